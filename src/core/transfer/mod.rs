//! File transfer protocol (version 2): what goes over the `files` data channel and the
//! bookkeeping on both ends. Pure Rust; the browser glue is in `web::file_channel` and `files`.
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
//! transfer rate on a 2-core machine (measured, see `src/files.rs`). WebCrypto has no streaming hash, hence one digest per chunk. Digests may come
//! back in any order; [`DigestList`] folds them in sequence order.
//!
//! # What a hostile peer cannot do
//!
//! Offers are checked against [`MAX_FILE_BYTES`] and [`MAX_INCOMING`]; a second offer with a live
//! id is ignored (nothing is overwritten); chunks must come in sequence (duplicates are dropped, a
//! gap aborts); more bytes than declared abort at once; fewer bytes, or another digest, is a
//! mismatch at `done`. Names are made safe by [`safe_file_name`] and images are recognised by
//! their bytes ([`sniff_image`]), never by the peer's claim.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};

use crate::core::protocol::need;

/// Version of the files protocol, in every offer and every chunk header.
pub const FILES_PROTOCOL_VERSION: u32 = 2;
/// The chunk header's first byte.
const CHUNK_FORMAT_VERSION: u8 = 1;
/// Bytes before the payload in a chunk frame: version, id, sequence number.
pub const CHUNK_HEADER_BYTES: usize = 9;

/// Largest file either side sends or accepts: 2 GiB. The receiver holds the file in the browser's
/// Blob storage until it is saved, so this bounds what a peer can make it keep.
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// Transfers one peer may have running towards us at once; more offers are refused.
pub const MAX_INCOMING: usize = 8;
/// Longest file name kept, in UTF-8 bytes (what common file systems allow).
pub const MAX_NAME_BYTES: usize = 255;
/// Longest control frame accepted: an offer with a 255-byte name fits easily.
pub const MAX_CONTROL_BYTES: usize = 4096;
/// Chunk payload used when the peer allows it. Chosen by measurement (headless Chromium 156, two
/// browser contexts, loopback, 2 cores, 64 MiB, 2026-11-26): a bare data channel moves 41.8 MiB/s
/// in 64 KiB messages (queue 64 / 256 KiB), 42.8 in 128 KiB and 45.4 in 256 KiB (queue 256 KiB /
/// 1 MiB); the app with 256 KiB chunks kept the same ratio to it (0.84x against 0.83x), and the
/// first transfer on a new connection, what most people see, was no faster and at times 2-3x
/// slower with the longer queue. Smaller messages also let a chat message on the other channel
/// slip in sooner.
pub const CHUNK_PAYLOAD_BYTES: usize = 64 * 1024;
/// Smallest payload we use even if the peer claims a tiny message limit.
pub const MIN_CHUNK_PAYLOAD_BYTES: usize = 1024;
/// Payload used when the peer's limit is unknown: 16 KiB crosses every browser.
pub const FALLBACK_CHUNK_PAYLOAD_BYTES: usize = 16 * 1024;
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

/// The header of a chunk frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkHeader {
    pub id: TransferId,
    pub seq: u32,
}

impl ChunkHeader {
    pub fn encode(self) -> [u8; CHUNK_HEADER_BYTES] {
        let mut out = [0u8; CHUNK_HEADER_BYTES];
        out[0] = CHUNK_FORMAT_VERSION;
        out[1..5].copy_from_slice(&self.id.to_be_bytes());
        out[5..9].copy_from_slice(&self.seq.to_be_bytes());
        out
    }

    /// Splits a chunk frame into header and payload.
    pub fn decode(frame: &[u8]) -> Result<(Self, &[u8]), TransferError> {
        if frame.len() < CHUNK_HEADER_BYTES || frame[0] != CHUNK_FORMAT_VERSION {
            return Err(TransferError::Malformed);
        }
        let word = |at: usize| {
            u32::from_be_bytes([frame[at], frame[at + 1], frame[at + 2], frame[at + 3]])
        };
        Ok((
            Self {
                id: word(1),
                seq: word(5),
            },
            &frame[CHUNK_HEADER_BYTES..],
        ))
    }
}

/// Payload size for a peer whose SCTP max-message-size is `max_message_size` (None: unknown).
/// Browsers report Infinity or huge values when they reassemble anything.
pub fn chunk_payload_bytes(max_message_size: Option<f64>) -> usize {
    match max_message_size {
        Some(max) if max.is_finite() && max > 0.0 => {
            let room = (max as u64).saturating_sub(CHUNK_HEADER_BYTES as u64);
            (room.min(CHUNK_PAYLOAD_BYTES as u64) as usize).max(MIN_CHUNK_PAYLOAD_BYTES)
        }
        Some(max) if max.is_infinite() && max > 0.0 => CHUNK_PAYLOAD_BYTES,
        _ => FALLBACK_CHUNK_PAYLOAD_BYTES,
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// The SHA-256 of one chunk's payload.
pub type ChunkDigest = [u8; 32];

/// Folds chunk digests into the file's digest: SHA-256 over every chunk's digest in sequence
/// order. Digests may be added in any order (WebCrypto promises nothing about the order its
/// promises settle in); early ones wait until the gap before them is filled. Only the owner adds
/// digests, one per chunk it accepted, so what waits is bounded by the chunks in flight.
#[derive(Default)]
pub struct DigestList {
    /// Digests folded so far; the next one folded is chunk `folded`.
    folded: u32,
    /// Digests that came before one they follow. Few: WebCrypto mostly answers in order.
    early: Vec<(u32, ChunkDigest)>,
    hasher: Sha256,
}

impl DigestList {
    /// Adds chunk `seq`'s digest; a second digest for the same chunk is ignored.
    pub fn add(&mut self, seq: u32, digest: ChunkDigest) {
        if seq < self.folded || self.early.iter().any(|(early, _)| *early == seq) {
            return;
        }
        self.early.push((seq, digest));
        while let Some(at) = self
            .early
            .iter()
            .position(|(early, _)| *early == self.folded)
        {
            let (_, next) = self.early.swap_remove(at);
            self.hasher.update(next);
            self.folded += 1;
        }
    }

    /// Whether chunks `0..chunks` are all folded in.
    pub fn covers(&self, chunks: u32) -> bool {
        self.folded == chunks && self.early.is_empty()
    }

    /// The file's digest, lowercase hex.
    pub fn finish(self) -> String {
        hex(&self.hasher.finalize())
    }
}

/// The sending end of one file: numbers chunks and collects their digests.
pub struct Outgoing {
    id: TransferId,
    size: u64,
    sent: u64,
    next_seq: u32,
    digests: DigestList,
}

impl Outgoing {
    pub fn new(id: TransferId, size: u64) -> Result<Self, TransferError> {
        if size > MAX_FILE_BYTES {
            return Err(TransferError::TooLarge);
        }
        Ok(Self {
            id,
            size,
            sent: 0,
            next_seq: 0,
            digests: DigestList::default(),
        })
    }

    pub fn id(&self) -> TransferId {
        self.id
    }

    pub fn sent(&self) -> u64 {
        self.sent
    }

    pub fn is_complete(&self) -> bool {
        self.sent == self.size
    }

    /// The offer that announces this file.
    pub fn offer(&self, name: &str, mime: &str) -> Control {
        Control::Offer {
            v: FILES_PROTOCOL_VERSION,
            id: self.id,
            name: name.to_owned(),
            size: self.size,
            mime: mime.chars().take(127).collect(),
        }
    }

    /// Takes the next `len` bytes of the file as a chunk; returns the header to put before them.
    pub fn next_chunk(&mut self, len: usize) -> Result<ChunkHeader, TransferError> {
        if len == 0 {
            return Err(TransferError::EmptyChunk);
        }
        if self.sent + len as u64 > self.size {
            return Err(TransferError::SourceChanged);
        }
        let header = ChunkHeader {
            id: self.id,
            seq: self.next_seq,
        };
        self.sent += len as u64;
        self.next_seq += 1;
        Ok(header)
    }

    /// The SHA-256 of chunk `seq`'s payload (as sent).
    pub fn chunk_digest(&mut self, seq: u32, digest: ChunkDigest) {
        if seq < self.next_seq {
            self.digests.add(seq, digest);
        }
    }

    /// The `done` frame, once every byte is sent and every chunk's digest is in; returns it with
    /// the file's digest (hex).
    pub fn finish(self) -> Result<(Control, String), TransferError> {
        if self.sent != self.size {
            return Err(TransferError::SourceChanged);
        }
        if !self.digests.covers(self.next_seq) {
            return Err(TransferError::DigestFailed);
        }
        let digest = self.digests.finish();
        Ok((
            Control::Done {
                id: self.id,
                digest: digest.clone(),
            },
            digest,
        ))
    }
}

/// An image format the receiver will preview, recognised from the file's first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Gif,
    Webp,
}

impl ImageKind {
    pub fn mime(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
        }
    }
}

/// Recognises PNG, JPEG, GIF and WebP by their magic bytes. Anything else (SVG included, which can
/// carry script) is not an image to us.
pub fn sniff_image(head: &[u8]) -> Option<ImageKind> {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageKind::Png)
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageKind::Jpeg)
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some(ImageKind::Gif)
    } else if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        Some(ImageKind::Webp)
    } else {
        None
    }
}

/// Bidirectional-text controls: they let `evil<U+202E>gnp.exe` display as `evilexe.png`.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A name that is safe to save under and to show: the last path component only, no control or
/// bidi characters, no leading dots or spaces (hidden files, `..`), no trailing dots or spaces,
/// at most [`MAX_NAME_BYTES`] bytes with the extension kept. Never empty.
pub fn safe_file_name(claimed: &str) -> String {
    let last = claimed
        .rsplit(['/', '\\'])
        .find(|part| !part.trim().is_empty())
        .unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect();
    let trimmed = cleaned
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    if trimmed.is_empty() {
        return "file".to_owned();
    }
    truncate_keeping_extension(trimmed, MAX_NAME_BYTES)
}

fn truncate_keeping_extension(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    // An extension is a short ASCII suffix like ".tar" or ".jpeg".
    let extension = name
        .rfind('.')
        .map(|dot| &name[dot..])
        .filter(|ext| ext.len() <= 16 && ext.is_ascii())
        .unwrap_or("");
    let mut stem_end = max - extension.len();
    while !name.is_char_boundary(stem_end) {
        stem_end -= 1;
    }
    format!("{}{}", &name[..stem_end], extension)
}

/// The receiving end of one file: checks each chunk against the offer and collects the chunks'
/// digests.
pub struct Incoming {
    name: String,
    size: u64,
    received: u64,
    next_seq: u32,
    digests: DigestList,
    head: Vec<u8>,
    /// The sender's digest, when `done` came before every chunk's digest was computed.
    claimed: Option<String>,
}

/// What became of a chunk.
#[derive(Debug, PartialEq, Eq)]
pub enum ChunkVerdict {
    /// New bytes: keep them. `received` is the total so far.
    Accepted { received: u64 },
    /// A sequence number already taken: drop it.
    Duplicate,
}

impl Incoming {
    pub fn new(claimed_name: &str, size: u64) -> Result<Self, TransferError> {
        if size > MAX_FILE_BYTES {
            return Err(TransferError::TooLarge);
        }
        Ok(Self {
            name: safe_file_name(claimed_name),
            size,
            received: 0,
            next_seq: 0,
            digests: DigestList::default(),
            head: Vec::with_capacity(HEAD_BYTES),
            claimed: None,
        })
    }

    /// The safe name to show and save under.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn received(&self) -> u64 {
        self.received
    }

    /// Takes chunk `seq` of `len` bytes. `head` is the start of its payload, at least
    /// [`HEAD_BYTES`] of it when there is that much (only the file's first bytes are looked at).
    pub fn accept(
        &mut self,
        seq: u32,
        len: usize,
        head: &[u8],
    ) -> Result<ChunkVerdict, TransferError> {
        if seq < self.next_seq {
            return Ok(ChunkVerdict::Duplicate);
        }
        if seq > self.next_seq {
            return Err(TransferError::OutOfOrder);
        }
        if len == 0 {
            return Err(TransferError::EmptyChunk);
        }
        if self.received + len as u64 > self.size {
            return Err(TransferError::MoreThanDeclared);
        }
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(len).min(head.len());
            self.head.extend_from_slice(&head[..take]);
        }
        self.received += len as u64;
        self.next_seq += 1;
        Ok(ChunkVerdict::Accepted {
            received: self.received,
        })
    }

    /// The SHA-256 of accepted chunk `seq`'s payload.
    pub fn chunk_digest(&mut self, seq: u32, digest: ChunkDigest) {
        if seq < self.next_seq {
            self.digests.add(seq, digest);
        }
    }

    /// Whether the outcome is known: `done` came and every accepted chunk's digest is in (or the
    /// file is short, which needs no digest to be a failure).
    fn ready(&self) -> bool {
        self.claimed.is_some() && (self.received != self.size || self.digests.covers(self.next_seq))
    }

    /// Checks the end: every declared byte arrived and the digest is the sender's.
    fn finish(self) -> Result<Verified, TransferError> {
        if self.received != self.size {
            return Err(TransferError::Short {
                received: self.received,
                declared: self.size,
            });
        }
        let claimed = self.claimed.unwrap_or_default();
        let digest = self.digests.finish();
        if !digest.eq_ignore_ascii_case(claimed.trim()) {
            return Err(TransferError::HashMismatch);
        }
        Ok(Verified {
            digest,
            image: sniff_image(&self.head),
        })
    }
}

/// A file whose bytes and digest checked out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The file's digest (see "The digest" in the module docs), lowercase hex.
    pub digest: String,
    pub image: Option<ImageKind>,
}

/// Why an offer was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfferRejection {
    /// Tell the sender, with this reason.
    Refuse(CancelReason),
    /// A live transfer already has this id: ignore the offer, keep the live one.
    DuplicateId,
}

/// A transfer whose outcome is known, with what the caller kept alongside it.
pub type Finished<T> = (Result<Verified, TransferError>, T);

/// What became of a chunk frame, as a whole.
pub enum ChunkOutcome<'a, T> {
    /// Keep the payload and compute its digest for [`Inbox::chunk_digest`]; `extra` is what the
    /// caller stored with the transfer.
    Accepted {
        id: TransferId,
        seq: u32,
        received: u64,
        extra: &'a mut T,
    },
    /// Nothing to do: a duplicate, or a chunk of a transfer that is over (cancelled ones may still
    /// have chunks in flight).
    Ignored,
    /// The transfer broke the protocol and is removed; tell the sender.
    Aborted {
        id: TransferId,
        error: TransferError,
        extra: T,
    },
}

/// Every incoming transfer that is running, each with something the caller keeps alongside (the
/// browser side keeps the received parts there).
pub struct Inbox<T> {
    running: BTreeMap<TransferId, (Incoming, T)>,
}

impl<T> Default for Inbox<T> {
    fn default() -> Self {
        Self {
            running: BTreeMap::new(),
        }
    }
}

impl<T> Inbox<T> {
    pub fn len(&self) -> usize {
        self.running.len()
    }

    pub fn is_empty(&self) -> bool {
        self.running.is_empty()
    }

    /// Every running transfer's id with what the caller keeps alongside.
    pub fn iter(&self) -> impl Iterator<Item = (TransferId, &T)> + '_ {
        self.running.iter().map(|(id, (_, extra))| (*id, extra))
    }

    pub fn get(&self, id: TransferId) -> Option<&Incoming> {
        self.running.get(&id).map(|(incoming, _)| incoming)
    }

    /// Takes an offer; returns the safe name to show.
    pub fn offer(
        &mut self,
        version: u32,
        id: TransferId,
        claimed_name: &str,
        size: u64,
        extra: T,
    ) -> Result<&Incoming, OfferRejection> {
        if self.running.contains_key(&id) {
            return Err(OfferRejection::DuplicateId);
        }
        if version != FILES_PROTOCOL_VERSION {
            return Err(OfferRejection::Refuse(CancelReason::Version));
        }
        if self.running.len() >= MAX_INCOMING {
            return Err(OfferRejection::Refuse(CancelReason::TooMany));
        }
        let incoming = Incoming::new(claimed_name, size)
            .map_err(|_| OfferRejection::Refuse(CancelReason::TooLarge))?;
        let (incoming, _) = self.running.entry(id).or_insert((incoming, extra));
        Ok(incoming)
    }

    /// Takes a chunk frame of `frame_len` bytes, of which `frame_start` is the beginning: at least
    /// [`CHUNK_START_BYTES`] of it when the frame is that long (the payload stays where it is).
    pub fn chunk(&mut self, frame_start: &[u8], frame_len: usize) -> ChunkOutcome<'_, T> {
        let Ok((header, head)) = ChunkHeader::decode(frame_start) else {
            return ChunkOutcome::Ignored;
        };
        let Some((incoming, _)) = self.running.get_mut(&header.id) else {
            return ChunkOutcome::Ignored;
        };
        let len = frame_len.saturating_sub(CHUNK_HEADER_BYTES);
        match incoming.accept(header.seq, len, head) {
            Ok(ChunkVerdict::Duplicate) => ChunkOutcome::Ignored,
            Ok(ChunkVerdict::Accepted { received }) => match self.running.get_mut(&header.id) {
                Some((_, extra)) => ChunkOutcome::Accepted {
                    id: header.id,
                    seq: header.seq,
                    received,
                    extra,
                },
                None => ChunkOutcome::Ignored,
            },
            Err(error) => match self.running.remove(&header.id) {
                Some((_, extra)) => ChunkOutcome::Aborted {
                    id: header.id,
                    error,
                    extra,
                },
                None => ChunkOutcome::Ignored,
            },
        }
    }

    /// The sender says it is done. Once the outcome is known (now, or when the last chunk digest
    /// comes in through [`Inbox::chunk_digest`]) the transfer is removed and returned with it.
    /// None: not running, or still waiting for digests.
    pub fn done(&mut self, id: TransferId, digest: &str) -> Option<Finished<T>> {
        let (incoming, _) = self.running.get_mut(&id)?;
        if incoming.claimed.is_some() {
            // A second `done` changes nothing.
            return None;
        }
        incoming.claimed = Some(digest.to_owned());
        self.finish_if_ready(id)
    }

    /// The digest of accepted chunk `seq` of transfer `id`; the outcome if it was the last one
    /// missing after `done`. A failed digest fails the transfer.
    pub fn chunk_digest(
        &mut self,
        id: TransferId,
        seq: u32,
        digest: Result<ChunkDigest, TransferError>,
    ) -> Option<Finished<T>> {
        let (incoming, _) = self.running.get_mut(&id)?;
        match digest {
            Ok(digest) => {
                incoming.chunk_digest(seq, digest);
                self.finish_if_ready(id)
            }
            Err(error) => self
                .running
                .remove(&id)
                .map(|(_, extra)| (Err(error), extra)),
        }
    }

    fn finish_if_ready(&mut self, id: TransferId) -> Option<Finished<T>> {
        if !self.running.get(&id)?.0.ready() {
            return None;
        }
        let (incoming, extra) = self.running.remove(&id)?;
        Some((incoming.finish(), extra))
    }

    /// Stops a transfer (either side cancelled); returns what was kept with it.
    pub fn cancel(&mut self, id: TransferId) -> Option<T> {
        self.running.remove(&id).map(|(_, extra)| extra)
    }

    /// Stops everything (the peer is gone); returns the ids and what was kept with them.
    pub fn drain(&mut self) -> Vec<(TransferId, T)> {
        std::mem::take(&mut self.running)
            .into_iter()
            .map(|(id, (_, extra))| (id, extra))
            .collect()
    }
}

/// Transfer rate and time left, smoothed so the numbers do not jump with every chunk.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RateMeter {
    last_ms: Option<f64>,
    last_bytes: u64,
    bytes_per_second: Option<f64>,
}

/// Samples closer together than this are merged, so a burst does not read as a huge rate.
const RATE_SAMPLE_MS: f64 = 250.0;

impl RateMeter {
    /// Records that `bytes` are done at `now_ms`; returns true when the estimate changed.
    pub fn record(&mut self, now_ms: f64, bytes: u64) -> bool {
        let Some(last_ms) = self.last_ms else {
            self.last_ms = Some(now_ms);
            self.last_bytes = bytes;
            return false;
        };
        let elapsed = now_ms - last_ms;
        if elapsed < RATE_SAMPLE_MS {
            return false;
        }
        let rate = bytes.saturating_sub(self.last_bytes) as f64 * 1000.0 / elapsed;
        self.bytes_per_second = Some(match self.bytes_per_second {
            Some(previous) => previous * 0.6 + rate * 0.4,
            None => rate,
        });
        self.last_ms = Some(now_ms);
        self.last_bytes = bytes;
        true
    }

    pub fn bytes_per_second(&self) -> Option<f64> {
        self.bytes_per_second
    }

    /// Seconds until `total` at the current rate.
    pub fn seconds_left(&self, done: u64, total: u64) -> Option<f64> {
        let rate = self.bytes_per_second.filter(|r| *r > 0.0)?;
        Some(total.saturating_sub(done) as f64 / rate)
    }
}

/// "532 B", "12.3 KB", "24.0 MB", "1.50 GB" (decimal units, as file managers show).
///
/// Integer arithmetic only: formatting an `f64` pulls about 11 KB of float-printing code into
/// the wasm, for this one line of text.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut unit = 0;
    let mut divisor: u128 = 1000;
    while unit + 1 < UNITS.len() && u128::from(bytes) >= divisor * 1000 {
        divisor *= 1000;
        unit += 1;
    }
    // Two decimals below 10, one above, rounded half up.
    let decimals: u32 = if u128::from(bytes) < divisor * 10 {
        2
    } else {
        1
    };
    let scale = 10u128.pow(decimals);
    let scaled = (u128::from(bytes) * scale + divisor / 2) / divisor;
    format!(
        "{}.{:0width$} {}",
        scaled / scale,
        scaled % scale,
        UNITS[unit],
        width = decimals as usize
    )
}

/// "3 s", "2 min 5 s", "1 h 4 min".
pub fn format_seconds(seconds: f64) -> String {
    let total = seconds.max(0.0).ceil() as u64;
    match total {
        0..=59 => format!("{total} s"),
        60..=3599 => format!("{} min {} s", total / 60, total % 60),
        _ => format!("{} h {} min", total / 3600, (total % 3600) / 60),
    }
}

/// The line under a running transfer: "3.20 MB of 24.0 MB · 12.1 MB/s · 2 s left".
pub fn progress_text(done: u64, total: u64, meter: &RateMeter) -> String {
    let mut text = format!("{} of {}", format_bytes(done), format_bytes(total));
    if let Some(rate) = meter.bytes_per_second() {
        let _ = write!(text, " · {}/s", format_bytes(rate as u64));
        if let Some(left) = meter.seconds_left(done, total) {
            let _ = write!(text, " · {} left", format_seconds(left));
        }
    }
    text
}

/// Whole percent done, for the progress bar (an empty file is 100% once it is done).
pub fn percent(done: u64, total: u64) -> u8 {
    if total == 0 {
        return 100;
    }
    ((done.min(total) as f64 * 100.0 / total as f64).floor()) as u8
}

// proptest needs getrandom, which has no wasm32-unknown-unknown backend: host only.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn sha256(bytes: &[u8]) -> ChunkDigest {
        Sha256::digest(bytes).into()
    }

    /// Frames `data` as the browser side does; digests are added last chunk first (the browser
    /// may return them in any order).
    fn send_all(data: &[u8], chunk: usize) -> (Vec<Vec<u8>>, Control, String) {
        let mut outgoing = Outgoing::new(7, data.len() as u64).unwrap();
        let mut frames = Vec::new();
        for piece in data.chunks(chunk) {
            let mut frame = outgoing.next_chunk(piece.len()).unwrap().encode().to_vec();
            frame.extend_from_slice(piece);
            frames.push(frame);
        }
        assert!(outgoing.is_complete());
        for (seq, piece) in data.chunks(chunk).enumerate().rev() {
            outgoing.chunk_digest(seq as u32, sha256(piece));
        }
        let (done, digest) = outgoing.finish().unwrap();
        (frames, done, digest)
    }

    #[derive(Debug, PartialEq)]
    enum Delivered {
        Accepted { received: u64 },
        Ignored,
        Aborted(TransferError),
    }

    /// Gives a frame to the inbox as the browser side does: only the frame's start crosses, then
    /// the payload's digest follows.
    fn deliver<T>(inbox: &mut Inbox<T>, frame: &[u8]) -> Delivered {
        let start = &frame[..frame.len().min(CHUNK_START_BYTES)];
        let (delivered, accepted) = match inbox.chunk(start, frame.len()) {
            ChunkOutcome::Accepted {
                id, seq, received, ..
            } => (Delivered::Accepted { received }, Some((id, seq))),
            ChunkOutcome::Ignored => (Delivered::Ignored, None),
            ChunkOutcome::Aborted { error, .. } => (Delivered::Aborted(error), None),
        };
        if let Some((id, seq)) = accepted {
            let digest = sha256(&frame[CHUNK_HEADER_BYTES..]);
            assert!(inbox.chunk_digest(id, seq, Ok(digest)).is_none());
        }
        delivered
    }

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 251) as u8).collect()
    }

    fn offer<T>(
        inbox: &mut Inbox<T>,
        id: u32,
        size: u64,
        extra: T,
    ) -> Result<String, OfferRejection> {
        inbox
            .offer(FILES_PROTOCOL_VERSION, id, "data.bin", size, extra)
            .map(|incoming| incoming.name().to_owned())
    }

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

    #[test]
    fn chunk_header_round_trips_and_rejects_junk() {
        let header = ChunkHeader {
            id: 0x0102_0304,
            seq: 0xA0B0_C0D0,
        };
        let mut frame = header.encode().to_vec();
        frame.extend_from_slice(b"xyz");
        assert_eq!(ChunkHeader::decode(&frame), Ok((header, &b"xyz"[..])));
        assert_eq!(
            ChunkHeader::decode(&frame[..8]),
            Err(TransferError::Malformed)
        );
        frame[0] = 2;
        assert_eq!(ChunkHeader::decode(&frame), Err(TransferError::Malformed));
    }

    #[test]
    fn chunk_size_follows_the_peers_message_limit() {
        assert_eq!(
            chunk_payload_bytes(Some(262_144.0)),
            CHUNK_PAYLOAD_BYTES.min(262_144 - 9)
        );
        assert_eq!(
            chunk_payload_bytes(Some(16_384.0)),
            16_384 - CHUNK_HEADER_BYTES
        );
        assert_eq!(
            chunk_payload_bytes(Some(1_073_741_823.0)),
            CHUNK_PAYLOAD_BYTES
        );
        assert_eq!(
            chunk_payload_bytes(Some(f64::INFINITY)),
            CHUNK_PAYLOAD_BYTES
        );
        assert_eq!(chunk_payload_bytes(Some(10.0)), MIN_CHUNK_PAYLOAD_BYTES);
        assert_eq!(
            chunk_payload_bytes(Some(f64::NAN)),
            FALLBACK_CHUNK_PAYLOAD_BYTES
        );
        assert_eq!(chunk_payload_bytes(Some(0.0)), FALLBACK_CHUNK_PAYLOAD_BYTES);
        assert_eq!(chunk_payload_bytes(None), FALLBACK_CHUNK_PAYLOAD_BYTES);
    }

    #[test]
    fn a_file_sent_in_chunks_is_reassembled_and_verified() {
        let data = sample(100_000);
        let (frames, done, digest) = send_all(&data, 4096);
        assert_eq!(frames.len(), 25);
        let mut inbox = Inbox::<Vec<u8>>::default();
        offer(&mut inbox, 7, data.len() as u64, Vec::new()).unwrap();
        for frame in &frames {
            match inbox.chunk(frame, frame.len()) {
                ChunkOutcome::Accepted { extra, .. } => {
                    extra.extend_from_slice(&frame[CHUNK_HEADER_BYTES..])
                }
                _ => panic!("chunk not accepted"),
            }
        }
        let Control::Done {
            id,
            digest: claimed,
        } = done
        else {
            panic!()
        };
        assert_eq!(claimed, digest);
        // `done` before the chunk digests: the outcome waits for the last one.
        assert!(inbox.done(id, &claimed).is_none());
        assert!(inbox.done(id, &claimed).is_none());
        let mut finished = None;
        for (seq, frame) in frames.iter().enumerate() {
            assert!(finished.is_none());
            finished = inbox.chunk_digest(7, seq as u32, Ok(sha256(&frame[CHUNK_HEADER_BYTES..])));
        }
        let (verdict, kept) = finished.unwrap();
        let verified = verdict.unwrap();
        assert_eq!(kept, data);
        // The hash list, computed independently: SHA-256 over the 4096-byte pieces' SHA-256s.
        let mut list = Sha256::new();
        for piece in data.chunks(4096) {
            list.update(Sha256::digest(piece));
        }
        assert_eq!(verified.digest, hex(&list.finalize()));
        assert_eq!(verified.image, None);
        assert!(inbox.is_empty());
    }

    #[test]
    fn digests_fold_in_sequence_order_whatever_order_they_come_in() {
        let pieces: Vec<ChunkDigest> = (0..5u8).map(|i| sha256(&[i])).collect();
        let mut in_order = DigestList::default();
        for (seq, digest) in pieces.iter().enumerate() {
            in_order.add(seq as u32, *digest);
        }
        let mut shuffled = DigestList::default();
        for seq in [3, 1, 4, 0, 1, 0] {
            shuffled.add(seq, pieces[seq as usize]);
        }
        assert!(!shuffled.covers(5));
        shuffled.add(2, pieces[2]);
        assert!(shuffled.covers(5));
        assert!(!shuffled.covers(4));
        let in_order = in_order.finish();
        assert_eq!(shuffled.finish(), in_order);
        let mut swapped = DigestList::default();
        for (seq, at) in [0, 2, 1, 3, 4].into_iter().enumerate() {
            swapped.add(seq as u32, pieces[at]);
        }
        assert_ne!(swapped.finish(), in_order);
    }

    #[test]
    fn a_chunk_digest_the_browser_could_not_compute_fails_the_transfer() {
        let (frames, _, digest) = send_all(&sample(30), 10);
        let mut inbox = Inbox::default();
        offer(&mut inbox, 7, 30, "parts").unwrap();
        for frame in &frames {
            assert!(matches!(
                inbox.chunk(frame, frame.len()),
                ChunkOutcome::Accepted { .. }
            ));
        }
        assert!(inbox.done(7, &digest).is_none());
        assert_eq!(
            inbox.chunk_digest(7, 1, Err(TransferError::DigestFailed)),
            Some((Err(TransferError::DigestFailed), "parts"))
        );
        assert!(inbox.is_empty());
        // Digests still in flight for it change nothing.
        assert!(inbox.chunk_digest(7, 0, Ok([0; 32])).is_none());
    }

    #[test]
    fn an_empty_file_needs_no_chunks() {
        let (frames, _, digest) = send_all(&[], 10);
        assert!(frames.is_empty());
        assert_eq!(
            digest,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let mut inbox = Inbox::default();
        offer(&mut inbox, 1, 0, ()).unwrap();
        assert!(inbox.done(1, &digest).unwrap().0.is_ok());
    }

    #[test]
    fn duplicate_chunks_are_dropped_and_gaps_abort() {
        let data = sample(30);
        let (frames, _, digest) = send_all(&data, 10);
        let mut inbox = Inbox::default();
        offer(&mut inbox, 7, 30, ()).unwrap();
        assert_eq!(
            deliver(&mut inbox, &frames[0]),
            Delivered::Accepted { received: 10 }
        );
        assert_eq!(deliver(&mut inbox, &frames[0]), Delivered::Ignored);
        assert_eq!(
            deliver(&mut inbox, &frames[1]),
            Delivered::Accepted { received: 20 }
        );
        assert_eq!(deliver(&mut inbox, &frames[0]), Delivered::Ignored);
        assert_eq!(
            deliver(&mut inbox, &frames[2]),
            Delivered::Accepted { received: 30 }
        );
        assert!(inbox.done(7, &digest).unwrap().0.is_ok());

        // Chunk 2 before chunk 1: out of order, the transfer is stopped and removed.
        offer(&mut inbox, 7, 30, ()).unwrap();
        assert!(matches!(
            deliver(&mut inbox, &frames[0]),
            Delivered::Accepted { .. }
        ));
        assert_eq!(
            deliver(&mut inbox, &frames[2]),
            Delivered::Aborted(TransferError::OutOfOrder)
        );
        assert!(inbox.get(7).is_none());
        // Its late chunks are ignored.
        assert_eq!(deliver(&mut inbox, &frames[1]), Delivered::Ignored);
    }

    #[test]
    fn more_bytes_than_declared_abort_at_once() {
        let data = sample(30);
        let (frames, _, _) = send_all(&data, 20);
        let mut inbox = Inbox::default();
        offer(&mut inbox, 7, 25, ()).unwrap();
        assert!(matches!(
            deliver(&mut inbox, &frames[0]),
            Delivered::Accepted { .. }
        ));
        assert_eq!(
            deliver(&mut inbox, &frames[1]),
            Delivered::Aborted(TransferError::MoreThanDeclared)
        );
        assert!(inbox.is_empty());
    }

    #[test]
    fn fewer_bytes_than_declared_or_another_digest_is_a_mismatch() {
        let data = sample(30);
        let (frames, _, digest) = send_all(&data, 10);
        let mut inbox = Inbox::default();
        offer(&mut inbox, 7, 40, ()).unwrap();
        for frame in &frames {
            assert!(matches!(
                deliver(&mut inbox, frame),
                Delivered::Accepted { .. }
            ));
        }
        assert_eq!(
            inbox.done(7, &digest).unwrap().0,
            Err(TransferError::Short {
                received: 30,
                declared: 40
            })
        );

        offer(&mut inbox, 8, 30, ()).unwrap();
        let mut tampered = frames[1].clone();
        tampered[0] = 1;
        tampered[4] = 8; // id 8
        tampered[CHUNK_HEADER_BYTES] ^= 0xFF;
        let retag = |frame: &Vec<u8>| {
            let mut frame = frame.clone();
            frame[4] = 8;
            frame
        };
        assert!(matches!(
            deliver(&mut inbox, &retag(&frames[0])),
            Delivered::Accepted { .. }
        ));
        assert!(matches!(
            deliver(&mut inbox, &tampered),
            Delivered::Accepted { .. }
        ));
        assert!(matches!(
            deliver(&mut inbox, &retag(&frames[2])),
            Delivered::Accepted { .. }
        ));
        assert_eq!(
            inbox.done(8, &digest).unwrap().0,
            Err(TransferError::HashMismatch)
        );
        // A digest in upper case is the same digest.
        offer(&mut inbox, 9, 0, ()).unwrap();
        assert!(inbox
            .done(
                9,
                "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
            )
            .unwrap()
            .0
            .is_ok());
    }

    #[test]
    fn empty_chunks_and_unknown_ids_do_nothing_harmful() {
        let mut inbox = Inbox::default();
        offer(&mut inbox, 1, 10, ()).unwrap();
        let empty = ChunkHeader { id: 1, seq: 0 }.encode();
        assert_eq!(
            deliver(&mut inbox, &empty),
            Delivered::Aborted(TransferError::EmptyChunk)
        );
        let mut stray = ChunkHeader { id: 99, seq: 0 }.encode().to_vec();
        stray.push(1);
        assert_eq!(deliver(&mut inbox, &stray), Delivered::Ignored);
        assert_eq!(deliver(&mut inbox, b"junk"), Delivered::Ignored);
        assert!(inbox.done(99, "").is_none());
        assert!(inbox.cancel(99).is_none());
    }

    #[test]
    fn offers_are_limited_and_never_overwrite() {
        let mut inbox = Inbox::default();
        for id in 0..MAX_INCOMING as u32 {
            offer(&mut inbox, id, 10, id).unwrap();
        }
        assert_eq!(
            offer(&mut inbox, 100, 10, 0),
            Err(OfferRejection::Refuse(CancelReason::TooMany))
        );
        // The same id again: ignored, and the live transfer keeps its state.
        assert_eq!(
            offer(&mut inbox, 3, 99, 42),
            Err(OfferRejection::DuplicateId)
        );
        assert_eq!(inbox.get(3).map(Incoming::size), Some(10));
        assert_eq!(inbox.cancel(3), Some(3));
        assert_eq!(inbox.len(), MAX_INCOMING - 1);
        assert_eq!(
            offer(&mut inbox, 100, MAX_FILE_BYTES + 1, 0),
            Err(OfferRejection::Refuse(CancelReason::TooLarge))
        );
        assert_eq!(
            // Version 1 hashed the whole stream; its digest would never match.
            inbox.offer(1, 101, "x", 1, 0).map(|_| ()),
            Err(OfferRejection::Refuse(CancelReason::Version))
        );
        offer(&mut inbox, 100, MAX_FILE_BYTES, 0).unwrap();
        assert_eq!(inbox.drain().len(), MAX_INCOMING);
        assert!(inbox.is_empty());
    }

    #[test]
    fn a_cancelled_transfer_is_gone_and_its_chunks_are_ignored() {
        let data = sample(20);
        let (frames, _, digest) = send_all(&data, 10);
        let mut inbox = Inbox::default();
        offer(&mut inbox, 7, 20, "parts").unwrap();
        assert!(matches!(
            deliver(&mut inbox, &frames[0]),
            Delivered::Accepted { .. }
        ));
        assert_eq!(inbox.cancel(7), Some("parts"));
        assert_eq!(deliver(&mut inbox, &frames[1]), Delivered::Ignored);
        assert!(inbox.done(7, &digest).is_none());
    }

    #[test]
    fn the_sender_refuses_to_frame_more_than_the_file_or_finish_without_digests() {
        let mut outgoing = Outgoing::new(1, 5).unwrap();
        assert_eq!(outgoing.next_chunk(6), Err(TransferError::SourceChanged));
        assert_eq!(outgoing.next_chunk(0), Err(TransferError::EmptyChunk));
        assert_eq!(outgoing.next_chunk(3), Ok(ChunkHeader { id: 1, seq: 0 }));
        assert_eq!(outgoing.sent(), 3);
        assert!(!outgoing.is_complete());
        assert!(matches!(
            outgoing.finish(),
            Err(TransferError::SourceChanged)
        ));
        let mut outgoing = Outgoing::new(1, 5).unwrap();
        outgoing.next_chunk(3).unwrap();
        outgoing.next_chunk(2).unwrap();
        outgoing.chunk_digest(1, [1; 32]);
        // A digest for a chunk that was never framed counts for nothing.
        outgoing.chunk_digest(2, [2; 32]);
        assert!(outgoing.is_complete());
        assert!(matches!(
            outgoing.finish(),
            Err(TransferError::DigestFailed)
        ));
        assert!(matches!(
            Outgoing::new(1, MAX_FILE_BYTES + 1),
            Err(TransferError::TooLarge)
        ));
    }

    #[test]
    fn names_are_made_safe() {
        assert_eq!(safe_file_name("report.pdf"), "report.pdf");
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("C:\\Users\\me\\evil.exe"), "evil.exe");
        assert_eq!(safe_file_name("dir/"), "dir");
        assert_eq!(safe_file_name(".bashrc"), "bashrc");
        assert_eq!(safe_file_name("..."), "file");
        assert_eq!(safe_file_name(""), "file");
        assert_eq!(safe_file_name("/"), "file");
        assert_eq!(safe_file_name("  spaced .txt . "), "spaced .txt");
        assert_eq!(safe_file_name("bell\u{7}\nname\r.txt"), "bellname.txt");
        assert_eq!(safe_file_name("photo\u{202E}gnp.exe"), "photognp.exe");
        // Markup is kept as characters: it is shown as text, never parsed.
        assert_eq!(
            safe_file_name("<img src=x onerror=alert(1)>.png"),
            "<img src=x onerror=alert(1)>.png"
        );
        let long = format!("{}.jpeg", "é".repeat(300));
        let safe = safe_file_name(&long);
        assert!(safe.len() <= MAX_NAME_BYTES);
        assert!(safe.ends_with(".jpeg"));
        assert!(safe.starts_with('é'));
        let no_extension = "x".repeat(1000);
        assert_eq!(safe_file_name(&no_extension).len(), MAX_NAME_BYTES);
    }

    #[test]
    fn images_are_recognised_by_their_bytes_only() {
        assert_eq!(
            sniff_image(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(ImageKind::Png)
        );
        assert_eq!(
            sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(ImageKind::Jpeg)
        );
        assert_eq!(sniff_image(b"GIF89a\x01\0\x01\0"), Some(ImageKind::Gif));
        assert_eq!(sniff_image(b"GIF87a"), Some(ImageKind::Gif));
        assert_eq!(
            sniff_image(b"RIFF\x24\0\0\0WEBPVP8 "),
            Some(ImageKind::Webp)
        );
        assert_eq!(sniff_image(b"RIFF\x24\0\0\0WAVEfmt "), None);
        assert_eq!(
            sniff_image(b"<svg xmlns=\"http://www.w3.org/2000/svg\">"),
            None
        );
        assert_eq!(sniff_image(b"<?xml version=\"1.0\"?><svg"), None);
        assert_eq!(sniff_image(b"\x89PN"), None);
        assert_eq!(sniff_image(b""), None);
        assert_eq!(ImageKind::Webp.mime(), "image/webp");
    }

    #[test]
    fn the_image_kind_comes_from_the_first_bytes_across_chunks() {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend_from_slice(&sample(100));
        let (frames, _, digest) = send_all(&png, 3);
        let mut inbox = Inbox::default();
        // Claimed as a text file: the bytes decide.
        inbox
            .offer(FILES_PROTOCOL_VERSION, 7, "notes.txt", png.len() as u64, ())
            .unwrap();
        for frame in &frames {
            assert!(matches!(
                deliver(&mut inbox, frame),
                Delivered::Accepted { .. }
            ));
        }
        assert_eq!(
            inbox.done(7, &digest).unwrap().0.unwrap().image,
            Some(ImageKind::Png)
        );
    }

    #[test]
    fn rate_and_time_left() {
        let mut meter = RateMeter::default();
        assert!(!meter.record(0.0, 0));
        assert!(!meter.record(100.0, 1_000_000));
        assert!(meter.record(1000.0, 10_000_000));
        assert_eq!(meter.bytes_per_second(), Some(10_000_000.0));
        assert_eq!(meter.seconds_left(10_000_000, 30_000_000), Some(2.0));
        assert_eq!(
            progress_text(10_000_000, 30_000_000, &meter),
            "10.0 MB of 30.0 MB · 10.0 MB/s · 2 s left"
        );
        assert_eq!(progress_text(0, 500, &RateMeter::default()), "0 B of 500 B");
        assert_eq!(format_bytes(1_500), "1.50 KB");
        assert_eq!(format_bytes(25_165_824), "25.2 MB");
        assert_eq!(format_bytes(2_147_483_648), "2.15 GB");
        assert_eq!(format_bytes(1_000), "1.00 KB");
        assert_eq!(format_bytes(9_994), "9.99 KB");
        assert_eq!(format_bytes(999_949), "999.9 KB");
        assert_eq!(format_bytes(67_108_864), "67.1 MB");
        assert_eq!(format_bytes(u64::MAX), "18446.7 PB");
        assert_eq!(format_seconds(0.2), "1 s");
        assert_eq!(format_seconds(125.0), "2 min 5 s");
        assert_eq!(format_seconds(3_840.0), "1 h 4 min");
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(5, 3), 100);
        assert_eq!(percent(0, 0), 100);
    }

    proptest::proptest! {
        #[test]
        fn safe_names_never_hold_separators_controls_or_leading_dots(name in "\\PC{0,400}|[./\\\\\\x00-\\x1f a-z]{0,50}") {
            let safe = safe_file_name(&name);
            proptest::prop_assert!(!safe.is_empty());
            proptest::prop_assert!(safe.len() <= MAX_NAME_BYTES);
            proptest::prop_assert!(!safe.contains(['/', '\\']));
            proptest::prop_assert!(!safe.chars().any(|c| c.is_control() || is_bidi_control(c)));
            proptest::prop_assert!(!safe.starts_with('.'));
        }

        #[test]
        fn any_chunking_round_trips(data in proptest::collection::vec(proptest::num::u8::ANY, 0..3000), chunk in 1usize..700) {
            let (frames, _, digest) = send_all(&data, chunk);
            let mut inbox = Inbox::<Vec<u8>>::default();
            offer(&mut inbox, 7, data.len() as u64, Vec::new()).unwrap();
            for frame in &frames {
                if let ChunkOutcome::Accepted { id, seq, extra, .. } = inbox.chunk(frame, frame.len()) {
                    extra.extend_from_slice(&frame[CHUNK_HEADER_BYTES..]);
                    inbox.chunk_digest(id, seq, Ok(sha256(&frame[CHUNK_HEADER_BYTES..])));
                }
                // Every chunk twice: duplicates change nothing.
                proptest::prop_assert_eq!(deliver(&mut inbox, frame), Delivered::Ignored);
            }
            let (verdict, kept) = inbox.done(7, &digest).unwrap();
            proptest::prop_assert!(verdict.is_ok());
            proptest::prop_assert_eq!(kept, data);
        }

        #[test]
        fn arbitrary_frames_never_panic(frame in proptest::collection::vec(proptest::num::u8::ANY, 0..64), raw in "\\PC{0,200}") {
            let mut inbox = Inbox::default();
            offer(&mut inbox, 0, 10, ()).unwrap();
            let _ = deliver(&mut inbox, &frame);
            let _ = Control::decode(&raw);
        }
    }
}
