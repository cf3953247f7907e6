//! The `L` fallback: lz-string (`compressToEncodedURIComponent`) of a small text record holding
//! the full SDP byte-exact.
//!
//! Text record: `<kind><invite id><check><sdp>` where kind is `I` or `A`, invite id is 16 lowercase
//! hex digits, check is 8 lowercase hex digits = the first 4 bytes of
//! SHA-256(`"L"`, kind, invite id bytes, sdp bytes).
//!
//! Length information: an lz-string stream ends with an explicit close code followed by zero
//! padding to the end of the current character (a whole padding character when the close code
//! ends on a character boundary). A cut-off code therefore runs out of input before the close
//! code (or before its padding), which is reported as `Truncated`; bits after the close code, or
//! non-zero padding, are `Damaged`.
//!
//! Decompression is our own bounded port of lz-string's decoder, not `lz_str`'s: `lz_str`
//! silently skips characters outside the alphabet, and it clones a dictionary entry per step,
//! so a hostile 8 KiB string can make it allocate tens of MiB (entries growing by one character
//! per step: quadratic). Here dictionary entries are ranges into the output, so memory is linear
//! in the output, and the output is capped at [`MAX_RECORD_UNITS`].

use super::{integrity_check, CodeError, InviteId, Signal, SignalKind};

/// lz-string's URI-safe alphabet; character value = index.
const URI_ALPHABET: &[u8; 65] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$";
const BITS_PER_CHAR: u32 = 6;

/// Most UTF-16 units a record may decompress to. 64 Ki units is far above any real SDP (a few
/// KiB), and bounds the decoder's memory at a few hundred KiB whatever the input.
const MAX_RECORD_UNITS: usize = 64 * 1024;

const KIND_INVITE: char = 'I';
const KIND_ANSWER: char = 'A';
const ID_HEX_LEN: usize = 16;
const CHECK_LEN: usize = 4;
const CHECK_HEX_LEN: usize = 2 * CHECK_LEN;

pub(super) fn encode(signal: &Signal) -> String {
    let kind = kind_char(signal.kind);
    let check = record_check(kind, &signal.invite_id, &signal.sdp);
    let mut record = String::with_capacity(1 + ID_HEX_LEN + CHECK_HEX_LEN + signal.sdp.len());
    record.push(kind);
    record.push_str(&signal.invite_id.to_string());
    record.push_str(&crate::core::hex::encode(&check));
    record.push_str(&signal.sdp);
    format!(
        "{}{}",
        super::TAG_LZ,
        lz_str::compress_to_encoded_uri_component(record.as_str())
    )
}

pub(super) fn decode(body: &str) -> Result<Signal, CodeError> {
    let units = decompress_uri_component(body)?;
    let record = String::from_utf16(&units).map_err(|_| CodeError::Damaged)?;
    parse_record(&record)
}

fn parse_record(record: &str) -> Result<Signal, CodeError> {
    let header_len = 1 + ID_HEX_LEN + CHECK_HEX_LEN;
    // `get` refuses a split inside a multi-byte character instead of panicking.
    let header = record.get(..header_len).ok_or(CodeError::Damaged)?;
    let sdp = record.get(header_len..).ok_or(CodeError::Damaged)?;
    // Everything `encode` writes in the header is ASCII; checking it first also makes the byte
    // slicing below safe.
    if !header.is_ascii() {
        return Err(CodeError::Damaged);
    }
    let kind = match header.as_bytes()[0] {
        b'I' => SignalKind::Invite,
        b'A' => SignalKind::Answer,
        _ => return Err(CodeError::Damaged),
    };
    let id_hex = &header[1..1 + ID_HEX_LEN];
    // Only the lowercase form `encode` writes is valid: anything else is a changed character.
    if id_hex.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(CodeError::Damaged);
    }
    let invite_id = InviteId::from_hex(id_hex).ok_or(CodeError::Damaged)?;
    let check = record_check(kind_char(kind), &invite_id, sdp);
    let expected_hex = crate::core::hex::encode(&check);
    if header[1 + ID_HEX_LEN..] != expected_hex {
        return Err(CodeError::Damaged);
    }
    Ok(Signal {
        kind,
        invite_id,
        sdp: sdp.to_owned(),
    })
}

fn kind_char(kind: SignalKind) -> char {
    match kind {
        SignalKind::Invite => KIND_INVITE,
        SignalKind::Answer => KIND_ANSWER,
    }
}

fn record_check(kind: char, invite_id: &InviteId, sdp: &str) -> [u8; CHECK_LEN] {
    let kind_byte = [kind as u8];
    integrity_check(&[b"L", &kind_byte, &invite_id.0, sdp.as_bytes()])
}

/// Reads the compressed stream bit by bit, exactly as lz-string does: value bits are read from the
/// most significant of the 6, and after the last bit of a character the next one is fetched at
/// once (so a stream always needs its padding character).
struct BitSource<'a> {
    chars: &'a [u8],
    next_index: usize,
    value: u8,
    /// Mask of the next bit to read in `value`.
    position: u8,
}

impl<'a> BitSource<'a> {
    fn new(chars: &'a [u8]) -> Result<Self, CodeError> {
        let value = *chars.first().ok_or(CodeError::Truncated)?;
        Ok(Self {
            chars,
            next_index: 1,
            value,
            position: 1 << (BITS_PER_CHAR - 1),
        })
    }

    fn bit(&mut self) -> Result<u32, CodeError> {
        let bit = u32::from(self.value & self.position != 0);
        self.position >>= 1;
        if self.position == 0 {
            self.value = *self
                .chars
                .get(self.next_index)
                .ok_or(CodeError::Truncated)?;
            self.next_index += 1;
            self.position = 1 << (BITS_PER_CHAR - 1);
        }
        Ok(bit)
    }

    /// lz-string writes multi-bit values least significant bit first.
    fn bits(&mut self, count: u32) -> Result<u32, CodeError> {
        let mut value = 0;
        for shift in 0..count {
            value |= self.bit()? << shift;
        }
        Ok(value)
    }

    /// After the close code: the rest of the current character must be zero padding, and nothing
    /// may follow it.
    fn at_clean_end(&self) -> bool {
        let rest_mask = (u16::from(self.position) << 1) - 1;
        self.next_index == self.chars.len() && u16::from(self.value) & rest_mask == 0
    }
}

const CODE_LITERAL_8: u32 = 0;
const CODE_LITERAL_16: u32 = 1;
const CODE_CLOSE: u32 = 2;

/// Position of a dictionary entry inside the output decoded so far: every lz-string entry is
/// "previous output chunk + first unit of the next one", which is contiguous in the output.
#[derive(Clone, Copy)]
struct Span {
    start: usize,
    len: usize,
}

fn decompress_uri_component(body: &str) -> Result<Vec<u16>, CodeError> {
    let chars = body
        .bytes()
        .map(|byte| {
            URI_ALPHABET
                .iter()
                .position(|&known| known == byte)
                .map(|index| index as u8)
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or(CodeError::Damaged)?;
    let mut source = BitSource::new(&chars)?;
    let mut output: Vec<u16> = Vec::new();

    let first = match source.bits(2)? {
        CODE_LITERAL_8 => source.bits(8)?,
        CODE_LITERAL_16 => source.bits(16)?,
        // Our records are never empty, so an immediate close is damage, not a valid code.
        _ => return Err(CodeError::Damaged),
    };
    output.push(first as u16);
    // Codes 0..=2 are the literal/close markers, never looked up; they keep indices aligned.
    let mut dictionary = vec![Span { start: 0, len: 0 }; 3];
    dictionary.push(Span { start: 0, len: 1 });
    let mut previous = Span { start: 0, len: 1 };
    let mut code_bits: u32 = 3;
    let mut enlarge_in: u64 = 4;

    loop {
        let code = source.bits(code_bits)?;
        let entry_start = output.len();
        let entry = match code {
            CODE_LITERAL_8 | CODE_LITERAL_16 => {
                let width = if code == CODE_LITERAL_8 { 8 } else { 16 };
                let unit = source.bits(width)? as u16;
                push_units(&mut output, 1)?;
                output.push(unit);
                dictionary.push(Span {
                    start: entry_start,
                    len: 1,
                });
                enlarge_in -= 1;
                if enlarge_in == 0 {
                    enlarge_in = 1 << code_bits;
                    code_bits += 1;
                }
                Span {
                    start: entry_start,
                    len: 1,
                }
            }
            CODE_CLOSE => {
                return if source.at_clean_end() {
                    Ok(output)
                } else {
                    Err(CodeError::Damaged)
                };
            }
            _ => {
                let index = code as usize;
                if let Some(&known) = dictionary.get(index) {
                    push_units(&mut output, known.len)?;
                    output.extend_from_within(known.start..known.start + known.len);
                } else if index == dictionary.len() {
                    // The "KwKwK" case: the entry being defined right now, previous + its first unit.
                    push_units(&mut output, previous.len + 1)?;
                    output.extend_from_within(previous.start..previous.start + previous.len);
                    output.push(output[previous.start]);
                } else {
                    return Err(CodeError::Damaged);
                }
                Span {
                    start: entry_start,
                    len: output.len() - entry_start,
                }
            }
        };
        // New entry: previous chunk plus the first unit of this one, which directly follows it.
        dictionary.push(Span {
            start: previous.start,
            len: previous.len + 1,
        });
        enlarge_in -= 1;
        if enlarge_in == 0 {
            enlarge_in = 1 << code_bits;
            code_bits += 1;
        }
        previous = entry;
        // A stream of 8 KiB characters cannot legitimately need codes this wide; stopping here
        // also keeps `1 << code_bits` far from overflow.
        if code_bits > 24 {
            return Err(CodeError::Damaged);
        }
    }
}

/// Refuses to grow the output past [`MAX_RECORD_UNITS`].
fn push_units(output: &mut Vec<u16>, extra: usize) -> Result<(), CodeError> {
    if output.len().saturating_add(extra) > MAX_RECORD_UNITS {
        return Err(CodeError::TooLong);
    }
    output.reserve(extra);
    Ok(())
}

// proptest needs getrandom, which has no wasm32-unknown-unknown backend: host only.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lz_units(text: &str) -> Vec<u16> {
        text.encode_utf16().collect()
    }

    #[test]
    fn decodes_lz_str_output() {
        for text in [
            "a",
            "ab",
            "aaaaaaaaaaaaaaaaaaaaaaaa",
            "hello hello hello world",
            "é€𝄞 mixed ✓",
        ] {
            let compressed = lz_str::compress_to_encoded_uri_component(text);
            assert_eq!(
                decompress_uri_component(&compressed),
                Ok(lz_units(text)),
                "{text}"
            );
        }
    }

    #[test]
    fn every_prefix_of_a_stream_is_truncated() {
        let compressed =
            lz_str::compress_to_encoded_uri_component("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n");
        for cut in 0..compressed.len() {
            assert_eq!(
                decompress_uri_component(&compressed[..cut]),
                Err(CodeError::Truncated),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn trailing_characters_are_damage() {
        let compressed = lz_str::compress_to_encoded_uri_component("some text");
        assert_eq!(
            decompress_uri_component(&format!("{compressed}A")),
            Err(CodeError::Damaged)
        );
        assert_eq!(
            decompress_uri_component(&format!("{compressed}!")),
            Err(CodeError::Damaged)
        );
    }

    #[test]
    fn run_length_bomb_is_capped() {
        // "aaaa…" compresses to ever-longer KwKwK entries: the worst case for output growth.
        let text = "a".repeat(MAX_RECORD_UNITS + 1);
        let compressed = lz_str::compress_to_encoded_uri_component(text.as_str());
        assert!(compressed.len() < 2000);
        assert_eq!(
            decompress_uri_component(&compressed),
            Err(CodeError::TooLong)
        );
    }

    proptest! {
        #[test]
        fn agrees_with_lz_str_on_its_output(text in "\\PC{0,300}") {
            prop_assume!(!text.is_empty());
            let compressed = lz_str::compress_to_encoded_uri_component(text.as_str());
            prop_assert_eq!(decompress_uri_component(&compressed), Ok(lz_units(&text)));
        }

        #[test]
        fn agrees_with_lz_str_on_random_streams(body in "[A-Za-z0-9+$-]{0,200}") {
            // Where ours accepts, lz_str must give the same text (it is laxer about the end).
            if let Ok(ours) = decompress_uri_component(&body) {
                prop_assert_eq!(lz_str::decompress_from_encoded_uri_component(&body), Some(ours));
            }
        }
    }
}
