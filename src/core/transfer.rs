//! File transfer protocol (version 1): what goes over the `files` data channel and the
//! bookkeeping on both ends. Pure Rust; the browser glue is in `web::file_channel` and `files`.
//!
//! # Wire format
//!
//! * **Control frames** are JSON text frames with a kind tag `k`:
//!   * `{"k":"offer","v":1,"id":7,"name":"a.png","size":1234,"mime":"image/png"}`: the sender
//!     starts a transfer; chunks follow at once (no round trip).
//!   * `{"k":"done","id":7,"sha256":"<64 hex>"}`: every chunk is sent; the digest of the whole file.
//!   * `{"k":"cancel","id":7,"from":"sender"|"receiver","why":"user"|…}`: either side stops.
//!     `from` is the role of the side writing the frame in that transfer; it says whose
//!     numbering `id` is in, since both sides number their own sends.
//!   * `{"k":"verdict","id":7,"ok":true}`: the receiver tells the sender whether the digest matched.
//!   * Unknown kinds are ignored, so a newer peer can talk to an older one.
//! * **Chunks** are binary frames: a 9-byte header (version `1`, transfer id `u32` big-endian,
//!   sequence number `u32` big-endian) followed by the payload.
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

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Version of the files protocol, in every offer and every chunk header.
pub const FILES_PROTOCOL_VERSION: u32 = 1;
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
/// Chunk payload used when the peer allows it. Chosen by measurement (headless Chromium, two
/// browser contexts, 24 MiB): raw data channel 6.0 MiB/s with 16 KiB messages, 10.9 with 64 KiB,
/// 9.8 with 256 KiB; the app's own rate did not improve past 64 KiB. Smaller messages also let
/// a chat message on the other channel slip in sooner.
pub const CHUNK_PAYLOAD_BYTES: usize = 64 * 1024;
/// Smallest payload we use even if the peer claims a tiny message limit.
pub const MIN_CHUNK_PAYLOAD_BYTES: usize = 1024;
/// Payload used when the peer's limit is unknown: 16 KiB crosses every browser.
pub const FALLBACK_CHUNK_PAYLOAD_BYTES: usize = 16 * 1024;
/// Bytes of the file's start kept for recognising images.
const HEAD_BYTES: usize = 16;

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

/// A control frame on the files channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
        sha256: String,
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

/// The sending end of one file: frames chunks, hashes what it frames.
pub struct Outgoing {
    id: TransferId,
    size: u64,
    sent: u64,
    next_seq: u32,
    hasher: Sha256,
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
            hasher: Sha256::new(),
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

    /// Writes the next chunk frame (header + `payload`) into `frame`, replacing its contents.
    pub fn frame_chunk(
        &mut self,
        payload: &[u8],
        frame: &mut Vec<u8>,
    ) -> Result<(), TransferError> {
        if payload.is_empty() {
            return Err(TransferError::EmptyChunk);
        }
        if self.sent + payload.len() as u64 > self.size {
            return Err(TransferError::SourceChanged);
        }
        self.hasher.update(payload);
        self.sent += payload.len() as u64;
        frame.clear();
        frame.extend_from_slice(
            &ChunkHeader {
                id: self.id,
                seq: self.next_seq,
            }
            .encode(),
        );
        frame.extend_from_slice(payload);
        self.next_seq += 1;
        Ok(())
    }

    /// The `done` frame, once every byte is framed; returns it with the digest (hex).
    pub fn finish(self) -> Result<(Control, String), TransferError> {
        if self.sent != self.size {
            return Err(TransferError::SourceChanged);
        }
        let sha256 = hex(&self.hasher.finalize());
        Ok((
            Control::Done {
                id: self.id,
                sha256: sha256.clone(),
            },
            sha256,
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

/// The receiving end of one file: checks each chunk against the offer and hashes it.
pub struct Incoming {
    name: String,
    size: u64,
    received: u64,
    next_seq: u32,
    hasher: Sha256,
    head: Vec<u8>,
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
            hasher: Sha256::new(),
            head: Vec::with_capacity(HEAD_BYTES),
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

    pub fn accept(&mut self, seq: u32, payload: &[u8]) -> Result<ChunkVerdict, TransferError> {
        if seq < self.next_seq {
            return Ok(ChunkVerdict::Duplicate);
        }
        if seq > self.next_seq {
            return Err(TransferError::OutOfOrder);
        }
        if payload.is_empty() {
            return Err(TransferError::EmptyChunk);
        }
        if self.received + payload.len() as u64 > self.size {
            return Err(TransferError::MoreThanDeclared);
        }
        self.hasher.update(payload);
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(payload.len());
            self.head.extend_from_slice(&payload[..take]);
        }
        self.received += payload.len() as u64;
        self.next_seq += 1;
        Ok(ChunkVerdict::Accepted {
            received: self.received,
        })
    }

    /// Checks the end: every declared byte arrived and the digest is the sender's.
    pub fn finish(self, claimed_sha256: &str) -> Result<Verified, TransferError> {
        if self.received != self.size {
            return Err(TransferError::Short {
                received: self.received,
                declared: self.size,
            });
        }
        let sha256 = hex(&self.hasher.finalize());
        if !sha256.eq_ignore_ascii_case(claimed_sha256.trim()) {
            return Err(TransferError::HashMismatch);
        }
        Ok(Verified {
            sha256,
            image: sniff_image(&self.head),
        })
    }
}

/// A file whose bytes and digest checked out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// Lowercase hex.
    pub sha256: String,
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

/// What became of a chunk frame, as a whole.
pub enum ChunkOutcome<'a, T> {
    /// Keep the payload; `extra` is what the caller stored with the transfer.
    Accepted {
        id: TransferId,
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

    /// Takes a chunk frame (header and payload).
    pub fn chunk(&mut self, frame: &[u8]) -> ChunkOutcome<'_, T> {
        let Ok((header, payload)) = ChunkHeader::decode(frame) else {
            return ChunkOutcome::Ignored;
        };
        let Some((incoming, _)) = self.running.get_mut(&header.id) else {
            return ChunkOutcome::Ignored;
        };
        match incoming.accept(header.seq, payload) {
            Ok(ChunkVerdict::Duplicate) => ChunkOutcome::Ignored,
            Ok(ChunkVerdict::Accepted { received }) => match self.running.get_mut(&header.id) {
                Some((_, extra)) => ChunkOutcome::Accepted {
                    id: header.id,
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

    /// The sender says it is done: removes the transfer and checks it. None if it is not running.
    pub fn done(
        &mut self,
        id: TransferId,
        sha256: &str,
    ) -> Option<(Result<Verified, TransferError>, T)> {
        let (incoming, extra) = self.running.remove(&id)?;
        Some((incoming.finish(sha256), extra))
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
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = "B";
    for next in UNITS {
        if value < 1000.0 {
            break;
        }
        value /= 1000.0;
        unit = next;
    }
    if value < 10.0 {
        format!("{value:.2} {unit}")
    } else {
        format!("{value:.1} {unit}")
    }
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

    fn send_all(data: &[u8], chunk: usize) -> (Vec<Vec<u8>>, Control, String) {
        let mut outgoing = Outgoing::new(7, data.len() as u64).unwrap();
        let mut frames = Vec::new();
        for piece in data.chunks(chunk) {
            let mut frame = Vec::new();
            outgoing.frame_chunk(piece, &mut frame).unwrap();
            frames.push(frame);
        }
        assert!(outgoing.is_complete());
        let (done, digest) = outgoing.finish().unwrap();
        (frames, done, digest)
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
                sha256: "ab".into(),
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
            r#"{{"k":"done","id":1,"sha256":"{}"}}"#,
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
            match inbox.chunk(frame) {
                ChunkOutcome::Accepted { extra, .. } => {
                    extra.extend_from_slice(&frame[CHUNK_HEADER_BYTES..])
                }
                _ => panic!("chunk not accepted"),
            }
        }
        let Control::Done { id, sha256 } = done else {
            panic!()
        };
        assert_eq!(sha256, digest);
        let (verdict, kept) = inbox.done(id, &sha256).unwrap();
        let verified = verdict.unwrap();
        assert_eq!(kept, data);
        // The known SHA-256 of the sample, computed independently.
        let mut hasher = Sha256::new();
        hasher.update(&data);
        assert_eq!(verified.sha256, hex(&hasher.finalize()));
        assert_eq!(verified.image, None);
        assert!(inbox.is_empty());
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
        assert!(matches!(
            inbox.chunk(&frames[0]),
            ChunkOutcome::Accepted { received: 10, .. }
        ));
        assert!(matches!(inbox.chunk(&frames[0]), ChunkOutcome::Ignored));
        assert!(matches!(
            inbox.chunk(&frames[1]),
            ChunkOutcome::Accepted { received: 20, .. }
        ));
        assert!(matches!(inbox.chunk(&frames[0]), ChunkOutcome::Ignored));
        assert!(matches!(
            inbox.chunk(&frames[2]),
            ChunkOutcome::Accepted { received: 30, .. }
        ));
        assert!(inbox.done(7, &digest).unwrap().0.is_ok());

        // Chunk 2 before chunk 1: out of order, the transfer is stopped and removed.
        offer(&mut inbox, 7, 30, ()).unwrap();
        assert!(matches!(
            inbox.chunk(&frames[0]),
            ChunkOutcome::Accepted { .. }
        ));
        assert!(matches!(
            inbox.chunk(&frames[2]),
            ChunkOutcome::Aborted {
                id: 7,
                error: TransferError::OutOfOrder,
                ..
            }
        ));
        assert!(inbox.get(7).is_none());
        // Its late chunks are ignored.
        assert!(matches!(inbox.chunk(&frames[1]), ChunkOutcome::Ignored));
    }

    #[test]
    fn more_bytes_than_declared_abort_at_once() {
        let data = sample(30);
        let (frames, _, _) = send_all(&data, 20);
        let mut inbox = Inbox::default();
        offer(&mut inbox, 7, 25, ()).unwrap();
        assert!(matches!(
            inbox.chunk(&frames[0]),
            ChunkOutcome::Accepted { .. }
        ));
        assert!(matches!(
            inbox.chunk(&frames[1]),
            ChunkOutcome::Aborted {
                error: TransferError::MoreThanDeclared,
                ..
            }
        ));
        assert!(inbox.is_empty());
    }

    #[test]
    fn fewer_bytes_than_declared_or_another_digest_is_a_mismatch() {
        let data = sample(30);
        let (frames, _, digest) = send_all(&data, 10);
        let mut inbox = Inbox::default();
        offer(&mut inbox, 7, 40, ()).unwrap();
        for frame in &frames {
            assert!(matches!(inbox.chunk(frame), ChunkOutcome::Accepted { .. }));
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
            inbox.chunk(&retag(&frames[0])),
            ChunkOutcome::Accepted { .. }
        ));
        assert!(matches!(
            inbox.chunk(&tampered),
            ChunkOutcome::Accepted { .. }
        ));
        assert!(matches!(
            inbox.chunk(&retag(&frames[2])),
            ChunkOutcome::Accepted { .. }
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
        assert!(matches!(
            inbox.chunk(&empty),
            ChunkOutcome::Aborted {
                error: TransferError::EmptyChunk,
                ..
            }
        ));
        let mut stray = ChunkHeader { id: 99, seq: 0 }.encode().to_vec();
        stray.push(1);
        assert!(matches!(inbox.chunk(&stray), ChunkOutcome::Ignored));
        assert!(matches!(inbox.chunk(b"junk"), ChunkOutcome::Ignored));
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
            inbox.offer(2, 101, "x", 1, 0).map(|_| ()),
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
            inbox.chunk(&frames[0]),
            ChunkOutcome::Accepted { .. }
        ));
        assert_eq!(inbox.cancel(7), Some("parts"));
        assert!(matches!(inbox.chunk(&frames[1]), ChunkOutcome::Ignored));
        assert!(inbox.done(7, &digest).is_none());
    }

    #[test]
    fn the_sender_refuses_to_frame_more_than_the_file() {
        let mut outgoing = Outgoing::new(1, 5).unwrap();
        let mut frame = Vec::new();
        assert_eq!(
            outgoing.frame_chunk(b"abcdef", &mut frame),
            Err(TransferError::SourceChanged)
        );
        assert_eq!(
            outgoing.frame_chunk(b"", &mut frame),
            Err(TransferError::EmptyChunk)
        );
        outgoing.frame_chunk(b"abc", &mut frame).unwrap();
        assert_eq!(
            &frame[..CHUNK_HEADER_BYTES],
            &ChunkHeader { id: 1, seq: 0 }.encode()
        );
        assert_eq!(outgoing.sent(), 3);
        assert!(!outgoing.is_complete());
        assert!(matches!(
            outgoing.finish(),
            Err(TransferError::SourceChanged)
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
            .offer(1, 7, "notes.txt", png.len() as u64, ())
            .unwrap();
        for frame in &frames {
            assert!(matches!(inbox.chunk(frame), ChunkOutcome::Accepted { .. }));
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
                if let ChunkOutcome::Accepted { extra, .. } = inbox.chunk(frame) {
                    extra.extend_from_slice(&frame[CHUNK_HEADER_BYTES..]);
                }
                // Every chunk twice: duplicates change nothing.
                proptest::prop_assert!(matches!(inbox.chunk(frame), ChunkOutcome::Ignored));
            }
            let (verdict, kept) = inbox.done(7, &digest).unwrap();
            proptest::prop_assert!(verdict.is_ok());
            proptest::prop_assert_eq!(kept, data);
        }

        #[test]
        fn arbitrary_frames_never_panic(frame in proptest::collection::vec(proptest::num::u8::ANY, 0..64), raw in "\\PC{0,200}") {
            let mut inbox = Inbox::default();
            offer(&mut inbox, 0, 10, ()).unwrap();
            let _ = inbox.chunk(&frame);
            let _ = Control::decode(&raw);
        }
    }
}
