//! Lowercase hexadecimal, the one spelling the app uses for ids and digests (invite and
//! conversation ids, file digests, link checks). Fingerprints keep SDP's own `AB:CD:…` form.

use std::fmt::Write as _;

/// `bytes` as lowercase hex, two digits a byte.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// The value of one hex digit, either case; `None` for anything else.
pub fn digit_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_lowercase_two_digits_a_byte() {
        assert_eq!(encode(&[]), "");
        assert_eq!(encode(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
    }

    #[test]
    fn reads_either_case_and_nothing_else() {
        for (digit, value) in [(b'0', 0), (b'9', 9), (b'a', 10), (b'F', 15)] {
            assert_eq!(digit_value(digit), Some(value));
        }
        for digit in [b'g', b'G', b' ', b':', 0xc3] {
            assert_eq!(digit_value(digit), None);
        }
    }
}
