//! File transfer protocol (version 2): what goes over the `files` data channel and the
//! bookkeeping on both ends. Pure Rust; the browser glue is in `web::file_channel` and
//! `app::files`.
//!
//! # Wire format
//!
//! * **Control frames** are JSON text frames with a kind tag `k`:
//!   * `{"k":"offer","v":2,"id":7,"name":"a.png","size":1234,"mime":"image/png"}`: the sender
//!     starts a transfer; chunks follow at once (no round trip).
//!   * `{"k":"done","id":7,"digest":"<64 hex>"}`: every chunk is sent; the file's digest (below).
//!   * `{"k":"cancel","id":7,"from":"sender"|"receiver","why":"user"|…}`: either side stops.
//!     `from` is the role of the side writing the frame in that transfer; it says whose
//!     numbering `id` is in, since both sides number their own sends.
//!   * `{"k":"verdict","id":7,"ok":true}`: the receiver tells the sender whether the digest matched.
//!   * Unknown kinds are ignored, so a newer peer can talk to an older one.
//! * **Chunks** are binary frames: a 9-byte header (version `1`, transfer id `u32` big-endian,
//!   sequence number `u32` big-endian) followed by the payload.
//!
//! # The digest
//!
//! The file's digest is the SHA-256 of the list of every chunk's SHA-256, in sequence order (a
//! hash list, as BitTorrent v2 and Merkle trees use): a different byte anywhere changes its chunk's
//! digest and so the file's. Both ends hash each chunk with the browser's WebCrypto, which is
//! native code with SHA instructions (Chromium hashes on the calling thread, about 40 ms per
//! 64 MiB on these machines); hashing the whole stream in wasm instead cost a third of the
//! transfer rate on a 2-core machine (measured, see `src/app/files.rs`). WebCrypto has no
//! streaming hash, hence one digest per chunk. Digests may come back in any order;
//! [`DigestList`] folds them in sequence order.
//!
//! # What a hostile peer cannot do
//!
//! Offers are checked against [`MAX_FILE_BYTES`] and [`MAX_INCOMING`]; a second offer with a live
//! id is ignored (nothing is overwritten); chunks must come in sequence (duplicates are dropped, a
//! gap aborts); more bytes than declared abort at once; fewer bytes, or another digest, is a
//! mismatch at `done`. Names are made safe by [`safe_file_name`] and images are recognised by
//! their bytes ([`sniff_image`]), never by the peer's claim.
//!
//! # Parts
//!
//! Each part is a file with its tests beside it; everything is re-exported here, so callers
//! write `core::transfer::X` whatever file `X` lives in.
//!
//! * `wire`: the chunk header and how large a chunk may be.
//! * `digest`: the hash list of chunk digests.
//! * `outgoing`: the sending end of one file.
//! * `incoming`: the receiving end of one file, and the inbox of every running one.
//! * `names`: safe file names and image sniffing, for whatever a peer claims.
//! * `progress`: rate, time left and the progress line, for the transfer list.

mod digest;
mod incoming;
mod names;
mod outgoing;
mod progress;
mod wire;

pub use digest::{ChunkDigest, DigestList};
pub use incoming::{
    ChunkOutcome, ChunkVerdict, Finished, Inbox, Incoming, OfferRejection, Verified,
};
pub use names::{safe_file_name, sniff_image, ImageKind};
pub use outgoing::Outgoing;
pub use progress::{format_bytes, format_seconds, percent, progress_text, RateMeter};
pub use wire::{
    chunk_payload_bytes, ChunkHeader, CHUNK_HEADER_BYTES, CHUNK_PAYLOAD_BYTES,
    FALLBACK_CHUNK_PAYLOAD_BYTES, MIN_CHUNK_PAYLOAD_BYTES,
};

use serde::{Deserialize, Deserializer, Serialize};

use crate::core::protocol::need;

/// Version of the files protocol, in every offer and every chunk header.
pub const FILES_PROTOCOL_VERSION: u32 = 2;
/// Largest file either side sends or accepts: 2 GiB. The receiver holds the file in the browser's
/// Blob storage until it is saved, so this bounds what a peer can make it keep.
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// Transfers one peer may have running towards us at once; more offers are refused.
pub const MAX_INCOMING: usize = 8;
/// Longest file name kept, in UTF-8 bytes (what common file systems allow).
pub const MAX_NAME_BYTES: usize = 255;
/// Longest control frame accepted: an offer with a 255-byte name fits easily.
pub const MAX_CONTROL_BYTES: usize = 4096;
/// Bytes of the file's start kept for recognising images.
pub const HEAD_BYTES: usize = 16;
/// What [`Inbox::chunk`] reads of a frame: the header and the start of the payload.
pub const CHUNK_START_BYTES: usize = CHUNK_HEADER_BYTES + HEAD_BYTES;

pub type TransferId = u32;

/// Which end of a transfer a frame talks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Sender,
    Receiver,
}

/// Why a transfer was stopped, as told to the other side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// A person pressed Cancel.
    User,
    TooLarge,
    TooMany,
    /// The offer had a version this build does not speak.
    Version,
    /// The bytes did not follow the protocol (more than declared, a gap, …).
    Protocol,
    /// The file could not be read or stored.
    Failed,
    #[serde(other)]
    Other,
}

impl CancelReason {
    /// What to show when the other side stopped a transfer for this reason.
    pub fn peer_text(self) -> &'static str {
        match self {
            Self::User => "Cancelled by the other person.",
            Self::TooLarge => "The other browser refused it: the file is too large.",
            Self::TooMany => "The other browser refused it: too many files at once. Try again when the others are done.",
            Self::Version => "The other browser uses another version of Tin Can and cannot take this file.",
            Self::Protocol => "The other browser stopped it: the data did not follow the protocol.",
            Self::Failed => "The other browser could not read or store the file.",
            Self::Other => "The other browser stopped the transfer.",
        }
    }
}

/// A control frame on the files channel. Encoded by serde's internally tagged derive, decoded
/// through [`WireControl`] (for the reason given at `protocol::WireFrame`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum Control {
    Offer {
        v: u32,
        id: TransferId,
        name: String,
        size: u64,
        /// The sender's guess, shown nowhere and used for nothing but diagnostics.
        #[serde(default)]
        mime: String,
    },
    Done {
        id: TransferId,
        /// Hex SHA-256 over the chunks' SHA-256s (see "The digest" above).
        digest: String,
    },
    Cancel {
        id: TransferId,
        /// The role of the side writing this frame. `sender`: `id` is one of its own sends;
        /// `receiver`: `id` is one of the reader's sends.
        from: Side,
        why: CancelReason,
    },
    Verdict {
        id: TransferId,
        ok: bool,
    },
    #[serde(other)]
    Unknown,
}

/// Every field any control frame has, all optional.
#[derive(Deserialize)]
struct WireControl {
    k: String,
    v: Option<u32>,
    id: Option<TransferId>,
    name: Option<String>,
    size: Option<u64>,
    mime: Option<String>,
    digest: Option<String>,
    from: Option<Side>,
    why: Option<CancelReason>,
    ok: Option<bool>,
}

impl<'de> Deserialize<'de> for Control {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = WireControl::deserialize(deserializer)?;
        let id = || need(wire.id, "id");
        Ok(match wire.k.as_str() {
            "offer" => Control::Offer {
                v: need(wire.v, "v")?,
                id: id()?,
                name: need(wire.name, "name")?,
                size: need(wire.size, "size")?,
                mime: wire.mime.unwrap_or_default(),
            },
            "done" => Control::Done {
                id: id()?,
                digest: need(wire.digest, "digest")?,
            },
            "cancel" => Control::Cancel {
                id: id()?,
                from: need(wire.from, "from")?,
                why: need(wire.why, "why")?,
            },
            "verdict" => Control::Verdict {
                id: id()?,
                ok: need(wire.ok, "ok")?,
            },
            _ => Control::Unknown,
        })
    }
}

impl Control {
    pub fn encode(&self) -> String {
        // Plain structs and strings: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn decode(raw: &str) -> Result<Self, TransferError> {
        if raw.len() > MAX_CONTROL_BYTES {
            return Err(TransferError::Malformed);
        }
        serde_json::from_str(raw).map_err(|_| TransferError::Malformed)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    #[error("a frame of the file protocol was malformed")]
    Malformed,
    #[error("the file is larger than the 2 GiB limit")]
    TooLarge,
    #[error("more data arrived than the sender announced; the transfer was stopped")]
    MoreThanDeclared,
    #[error("part of the file arrived out of order; the transfer was stopped")]
    OutOfOrder,
    #[error("an empty piece of the file arrived; the transfer was stopped")]
    EmptyChunk,
    #[error("the file is incomplete: {received} of {declared} bytes arrived")]
    Short { received: u64, declared: u64 },
    #[error("the file changed while it was being sent")]
    SourceChanged,
    #[error("the file arrived damaged: its SHA-256 does not match the sender's")]
    HashMismatch,
    #[error("the browser could not compute the file's SHA-256 (files need a secure page: https or localhost)")]
    DigestFailed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_frames_round_trip_and_unknown_kinds_are_tolerated() {
        let frames = [
            Control::Offer {
                v: 1,
                id: 3,
                name: "a.png".into(),
                size: 10,
                mime: "image/png".into(),
            },
            Control::Done {
                id: 3,
                digest: "ab".into(),
            },
            Control::Cancel {
                id: 3,
                from: Side::Receiver,
                why: CancelReason::TooMany,
            },
            Control::Verdict { id: 3, ok: true },
        ];
        for frame in frames {
            assert_eq!(Control::decode(&frame.encode()), Ok(frame));
        }
        assert_eq!(
            Control::decode(r#"{"k":"offer","v":1,"id":1,"name":"x","size":1,"mime":"m"}"#),
            Ok(Control::Offer {
                v: 1,
                id: 1,
                name: "x".into(),
                size: 1,
                mime: "m".into()
            })
        );
        assert_eq!(
            Control::decode(r#"{"k":"resume","id":1}"#),
            Ok(Control::Unknown)
        );
        assert_eq!(
            Control::decode(r#"{"k":"cancel","id":1,"from":"sender","why":"bored"}"#),
            Ok(Control::Cancel {
                id: 1,
                from: Side::Sender,
                why: CancelReason::Other
            })
        );
        assert_eq!(Control::decode("{"), Err(TransferError::Malformed));
        assert_eq!(
            Control::decode(r#"{"k":"offer","v":1,"id":-1,"name":"x","size":1}"#),
            Err(TransferError::Malformed)
        );
        let long = format!(
            r#"{{"k":"done","id":1,"digest":"{}"}}"#,
            "a".repeat(MAX_CONTROL_BYTES)
        );
        assert_eq!(Control::decode(&long), Err(TransferError::Malformed));
    }
}
