//! Bit packing (most significant bit first) and base64url without padding, for the compact record.
//!
//! Our own base64url rather than the `base64` crate's because decoding a *cut-off* code must still
//! yield its whole bytes (to compare with the declared length and say `Truncated`), which a
//! strict decoder refuses and a lenient one would let a changed last character through.

use super::CodeError;

#[derive(Default)]
pub(super) struct BitWriter {
    bytes: Vec<u8>,
    /// Bits already used in the last byte (0 = last byte full or none yet).
    used_in_last: u32,
}

impl BitWriter {
    /// Writes the low `count` bits of `value`, most significant first. `count <= 64`.
    pub(super) fn bits(&mut self, value: u64, count: u32) {
        for shift in (0..count).rev() {
            self.bit((value >> shift) & 1 == 1);
        }
    }

    pub(super) fn bit(&mut self, set: bool) {
        if self.used_in_last == 0 {
            self.bytes.push(0);
        }
        if set {
            if let Some(last) = self.bytes.last_mut() {
                *last |= 0x80 >> self.used_in_last;
            }
        }
        self.used_in_last = (self.used_in_last + 1) % 8;
    }

    pub(super) fn bytes(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.bits(u64::from(byte), 8);
        }
    }

    /// The packed bits, zero-padded to a whole byte.
    pub(super) fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

pub(super) struct BitReader<'a> {
    bytes: &'a [u8],
    /// Next bit to read, counted from the start.
    position: usize,
}

impl<'a> BitReader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, position: 0 }
    }

    /// Reads `count <= 64` bits. Running out is `Damaged`: the record's length was already checked
    /// against its declared length, so a short body is a malformed one, not a cut-off one.
    pub(super) fn bits(&mut self, count: u32) -> Result<u64, CodeError> {
        let mut value = 0u64;
        for _ in 0..count {
            value = (value << 1) | u64::from(self.bit()?);
        }
        Ok(value)
    }

    pub(super) fn bit(&mut self) -> Result<bool, CodeError> {
        let byte = self
            .bytes
            .get(self.position / 8)
            .ok_or(CodeError::Damaged)?;
        let set = byte & (0x80 >> (self.position % 8)) != 0;
        self.position += 1;
        Ok(set)
    }

    pub(super) fn byte_array<const N: usize>(&mut self) -> Result<[u8; N], CodeError> {
        let mut array = [0u8; N];
        for byte in &mut array {
            *byte = self.bits(8)? as u8;
        }
        Ok(array)
    }

    /// True when only zero padding (less than a byte) is left: anything else is damage.
    pub(super) fn at_clean_end(&self) -> bool {
        let total = self.bytes.len() * 8;
        if total.saturating_sub(self.position) >= 8 {
            return false;
        }
        (self.position..total).all(|bit| self.bytes[bit / 8] & (0x80 >> (bit % 8)) == 0)
    }
}

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub(super) fn base64url_encode(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let group = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        // n bytes need n + 1 characters.
        for index in 0..=chunk.len() {
            let sextet = (group >> (18 - 6 * index)) & 0x3f;
            text.push(char::from(BASE64URL[sextet as usize]));
        }
    }
    text
}

/// The bytes of a base64url text, and whether the text ended exactly where its last byte did
/// with zero filler bits (as `base64url_encode` writes it). A cut-off text yields its complete
/// bytes and `false`.
pub(super) struct Decoded {
    pub(super) bytes: Vec<u8>,
    pub(super) canonical_end: bool,
}

/// `None` when a character is outside the base64url alphabet.
pub(super) fn base64url_decode(text: &str) -> Option<Decoded> {
    let mut bytes = Vec::with_capacity(text.len() * 3 / 4);
    let mut accumulator = 0u32;
    let mut pending_bits = 0u32;
    for byte in text.bytes() {
        let sextet = BASE64URL.iter().position(|&known| known == byte)? as u32;
        accumulator = (accumulator << 6) | sextet;
        pending_bits += 6;
        if pending_bits >= 8 {
            pending_bits -= 8;
            bytes.push((accumulator >> pending_bits) as u8);
            accumulator &= (1 << pending_bits) - 1;
        }
    }
    // Canonical: at most 4 filler bits (6 would be a character with no byte in it), all zero.
    let canonical_end = pending_bits <= 4 && accumulator == 0;
    Some(Decoded {
        bytes,
        canonical_end,
    })
}

/// Bits needed to tell apart `count` choices (0 for a single choice).
pub(super) fn bits_for_choices(count: usize) -> u32 {
    if count <= 1 {
        0
    } else {
        usize::BITS - (count - 1).leading_zeros()
    }
}

// proptest needs getrandom, which has no wasm32-unknown-unknown backend: host only.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn base64url_matches_the_base64_crate() {
        use base64::Engine;
        for len in 0..20 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 250) as u8).collect();
            assert_eq!(
                base64url_encode(&bytes),
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes)
            );
        }
    }

    #[test]
    fn choice_bits() {
        assert_eq!(bits_for_choices(0), 0);
        assert_eq!(bits_for_choices(1), 0);
        assert_eq!(bits_for_choices(2), 1);
        assert_eq!(bits_for_choices(3), 2);
        assert_eq!(bits_for_choices(4), 2);
        assert_eq!(bits_for_choices(5), 3);
    }

    proptest! {
        #[test]
        fn base64url_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let decoded = base64url_decode(&base64url_encode(&bytes));
            prop_assert!(decoded.as_ref().is_some_and(|d| d.canonical_end));
            prop_assert_eq!(decoded.map(|d| d.bytes), Some(bytes));
        }

        #[test]
        fn bits_round_trip(values in proptest::collection::vec((any::<u64>(), 0u32..=64), 0..20)) {
            let mut writer = BitWriter::default();
            for &(value, count) in &values {
                writer.bits(value, count);
            }
            let bytes = writer.finish();
            let mut reader = BitReader::new(&bytes);
            for &(value, count) in &values {
                let mask = if count == 64 { u64::MAX } else { (1u64 << count) - 1 };
                prop_assert_eq!(reader.bits(count), Ok(value & mask));
            }
            prop_assert!(reader.at_clean_end());
        }
    }
}
