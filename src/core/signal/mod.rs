//! The invite/answer *code*: a [`Signal`] (kind + invite id + SDP) packed into the text that rides
//! in a link's fragment (`https://host/path/#<code>`), and back.
//!
//! A code's first character is its version tag:
//!
//! * `D` — compact binary record (module `compact`): the SDP is parsed into the facts a
//!   data-channel-only session needs ([`sdp::SessionFacts`]), packed as bits, base64url'd. Decoding
//!   rebuilds a canonical SDP both Chromium and Firefox accept as a remote description.
//! * `C` — the compact record before `D` (no `::` or "same as that candidate" related addresses).
//!   Read, never written: links made by earlier versions keep working.
//! * `L` — lz-string fallback (module `lz`): the full SDP, byte-exact. Used whenever the SDP holds
//!   anything the compact record cannot carry faithfully.
//!
//! Every other tag in `[A-Z0-9]` is reserved for future versions and reported as
//! [`CodeError::UnknownVersion`] — which is also what a version from before `D` says of a `D`
//! link, so a person with a stale tab is told to reload rather than that the link is damaged.
//!
//! Every form carries length information (so a cut-off code is [`CodeError::Truncated`]) and an
//! integrity check (so a changed character is [`CodeError::Damaged`]). The check guards against
//! accidental damage only — it is not security: anyone carrying the link can rewrite it and
//! recompute the check. The app's safety code (`core::safety`) is what detects a man in the middle.

mod bits;
mod compact;
mod lz;
pub mod sdp;

use std::fmt;

use crate::core::hex;

/// Longest input `decode` looks at, in bytes, whole link included. Real links are far shorter
/// (a compact code is 100–150 characters, an `L` code a few KiB at most); the cap keeps work and
/// memory bounded for hostile input.
pub const MAX_INPUT_LEN: usize = 16 * 1024;
/// Longest code (the part after `#`), in bytes, that `decode` accepts.
pub const MAX_CODE_LEN: usize = 8 * 1024;

/// Version tag of the compact binary record `encode` writes.
const TAG_COMPACT: char = 'D';
/// Version tag of the first compact record: read, no longer written (see `compact::Format`).
const TAG_COMPACT_V1: char = 'C';
/// Version tag of the lz-string fallback.
const TAG_LZ: char = 'L';

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignalKind {
    /// Carries an offer SDP (person A → person B).
    Invite,
    /// Carries an answer SDP (person B → person A).
    Answer,
}

/// Random id the app makes for one invitation; the answer repeats it so A can match them up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InviteId(pub [u8; 8]);

impl InviteId {
    /// Parses 16 hex digits (either case). Anything else is `None`.
    pub fn from_hex(text: &str) -> Option<Self> {
        let digits = text.as_bytes();
        if digits.len() != 16 {
            return None;
        }
        let mut id = [0u8; 8];
        for (byte, pair) in id.iter_mut().zip(digits.chunks_exact(2)) {
            *byte = (hex::digit_value(pair[0])? << 4) | hex::digit_value(pair[1])?;
        }
        Some(Self(id))
    }
}

impl fmt::Display for InviteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signal {
    pub kind: SignalKind,
    pub invite_id: InviteId,
    pub sdp: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("There is no link or code here.")]
    Empty,
    #[error("This link is cut off: part of it is missing. Ask for the whole link again.")]
    Truncated,
    #[error("This link is damaged or was changed on the way. Ask for the link again.")]
    Damaged,
    #[error("This link was made by a newer version of Tin Can. Reload the page to update, or ask for a new link.")]
    UnknownVersion,
    #[error("This link is too long to be a Tin Can link.")]
    TooLong,
}

/// Packs a signal into a code (without `#`). Never fails: the compact form when the SDP can be
/// represented faithfully (checked by decoding it again), else the lz-string fallback.
///
/// A code longer than [`MAX_CODE_LEN`] (only from an SDP of many KiB) is still returned, but
/// `decode` refuses it as [`CodeError::TooLong`]; callers may check `code.len()` up front.
pub fn encode(signal: &Signal) -> String {
    if let Some(code) = compact::encode(signal) {
        return code;
    }
    lz::encode(signal)
}

/// Reads a whole link, a fragment (`#...`) or a bare code. Strict and total: never panics, and
/// work and allocation are bounded by [`MAX_INPUT_LEN`] / [`MAX_CODE_LEN`] (and the fallback's
/// decompressed size by its own cap, see `lz`).
pub fn decode(input: &str) -> Result<Signal, CodeError> {
    let code = extract_code(input)?;
    let mut chars = code.chars();
    let tag = chars.next().ok_or(CodeError::Empty)?;
    let body = chars.as_str();
    match tag {
        TAG_COMPACT => compact::decode(compact::Format::V2, body),
        TAG_COMPACT_V1 => compact::decode(compact::Format::V1, body),
        TAG_LZ => lz::decode(body),
        'A'..='Z' | '0'..='9' => Err(CodeError::UnknownVersion),
        _ => Err(CodeError::Damaged),
    }
}

/// Finds the code in what the person pasted. Returns the code with its tag; an owned string
/// because a fragment may arrive percent-encoded (some messengers escape `$` and `+`).
fn extract_code(input: &str) -> Result<String, CodeError> {
    // Checked before trimming so a huge all-whitespace string is not scanned twice.
    if input.len() > MAX_INPUT_LEN {
        return Err(CodeError::TooLong);
    }
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(CodeError::Empty);
    }
    let code = match trimmed.split_once('#') {
        Some((before, after)) => {
            let after = after.trim();
            if after.is_empty() {
                // "https://host/tincan/#" lost its code on the way; a lone "#" is nothing at all.
                return Err(if before.trim().is_empty() {
                    CodeError::Empty
                } else {
                    CodeError::Truncated
                });
            }
            after
        }
        // A link without any fragment was cut before its code began.
        None if trimmed.contains("://") => return Err(CodeError::Truncated),
        None => trimmed,
    };
    if code.len() > MAX_CODE_LEN {
        return Err(CodeError::TooLong);
    }
    percent_decode(code).ok_or(CodeError::Damaged)
}

/// Undoes `%XX` escapes. Codes are pure ASCII, so an escape that yields a non-ASCII byte, or a
/// malformed escape, is damage.
fn percent_decode(code: &str) -> Option<String> {
    if !code.contains('%') {
        return Some(code.to_owned());
    }
    let bytes = code.as_bytes();
    let mut decoded = String::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte == b'%' {
            let high = hex::digit_value(*bytes.get(index + 1)?)?;
            let low = hex::digit_value(*bytes.get(index + 2)?)?;
            let value = (high << 4) | low;
            if !value.is_ascii() {
                return None;
            }
            decoded.push(char::from(value));
            index += 3;
        } else if byte.is_ascii() {
            decoded.push(char::from(byte));
            index += 1;
        } else {
            return None;
        }
    }
    Some(decoded)
}

/// First bytes of SHA-256 over `parts`, used as the integrity check of both forms.
fn integrity_check<const N: usize>(parts: &[&[u8]]) -> [u8; N] {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut check = [0u8; N];
    check.copy_from_slice(&digest[..N]);
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(sdp: &str) -> Signal {
        Signal {
            kind: SignalKind::Answer,
            invite_id: InviteId([1, 2, 3, 4, 5, 6, 7, 0xfe]),
            sdp: sdp.to_owned(),
        }
    }

    #[test]
    fn invite_id_hex_round_trips() {
        let id = InviteId([0, 0x1f, 0xa0, 0xff, 1, 2, 3, 4]);
        assert_eq!(id.to_string(), "001fa0ff01020304");
        assert_eq!(InviteId::from_hex("001fa0ff01020304"), Some(id));
        assert_eq!(InviteId::from_hex("001FA0FF01020304"), Some(id));
        assert_eq!(InviteId::from_hex("001fa0ff0102030"), None);
        assert_eq!(InviteId::from_hex("001fa0ff010203045"), None);
        assert_eq!(InviteId::from_hex("001fa0ff0102030g"), None);
        assert_eq!(InviteId::from_hex("é01fa0ff010203"), None);
    }

    #[test]
    fn accepts_link_fragment_and_bare_code() {
        let signal = sample("v=0\r\nnot really sdp\r\n");
        let code = encode(&signal);
        for input in [
            code.clone(),
            format!("#{code}"),
            format!("  https://example.github.io/tincan/#{code}\n"),
            format!("https://example.github.io/tincan/?x=1#{code}"),
        ] {
            assert_eq!(decode(&input), Ok(signal.clone()), "{input}");
        }
    }

    #[test]
    fn empty_and_cut_links() {
        assert_eq!(decode(""), Err(CodeError::Empty));
        assert_eq!(decode(" \n\t"), Err(CodeError::Empty));
        assert_eq!(decode("#"), Err(CodeError::Empty));
        assert_eq!(
            decode("https://example.github.io/tincan/#"),
            Err(CodeError::Truncated)
        );
        assert_eq!(
            decode("https://example.github.io/tincan/"),
            Err(CodeError::Truncated)
        );
        assert_eq!(decode("C"), Err(CodeError::Truncated));
        assert_eq!(decode("L"), Err(CodeError::Truncated));
    }

    #[test]
    fn tags() {
        assert_eq!(decode("Xabc"), Err(CodeError::UnknownVersion));
        assert_eq!(decode("7abc"), Err(CodeError::UnknownVersion));
        assert_eq!(decode("cabc"), Err(CodeError::Damaged));
        assert_eq!(decode("!abc"), Err(CodeError::Damaged));
        assert_eq!(decode("éabc"), Err(CodeError::Damaged));
    }

    #[test]
    fn too_long() {
        assert_eq!(
            decode(&"C".repeat(MAX_CODE_LEN + 1)),
            Err(CodeError::TooLong)
        );
        assert_eq!(
            decode(&" ".repeat(MAX_INPUT_LEN + 1)),
            Err(CodeError::TooLong)
        );
    }

    #[test]
    fn percent_escapes_are_undone() {
        let signal = sample("v=0\r\n$$$ +++ ---\r\n");
        let code = encode(&signal);
        let escaped = code.replace('$', "%24").replace('+', "%2B");
        assert_eq!(decode(&escaped), Ok(signal));
        assert_eq!(decode("L%2"), Err(CodeError::Damaged));
        assert_eq!(decode("L%C3%A9"), Err(CodeError::Damaged));
    }
}
