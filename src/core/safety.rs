//! The safety code: a short number both people can compare by voice or in person.
//!
//! Each browser proves its identity during the DTLS handshake with a certificate whose fingerprint
//! travels inside the invite and answer links. Whoever carries the links could swap both
//! fingerprints for their own and sit in the middle; they cannot make the two ends agree on the
//! same pair, because each end sees a different pair. Hashing the pair (in a fixed order, so both
//! sides get the same result) gives a code that matches only when nobody is in the middle.

use sha2::{Digest, Sha256};

/// Domain separation: a future scheme hashes differently and cannot collide with this one.
const SAFETY_CODE_CONTEXT: &[u8] = b"tincan safety code v1";

/// Number of digit groups shown; 4 groups of 4 digits carry about 53 bits.
const GROUPS: usize = 4;
const DIGITS_PER_GROUP: usize = 4;

/// A DTLS certificate fingerprint as announced in SDP (`a=fingerprint:<alg> <hex:hex:...>`),
/// normalised: algorithm lower case, hex upper case with colons.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fingerprint {
    pub algorithm: String,
    pub hex: String,
}

impl Fingerprint {
    /// Reads the first `a=fingerprint` line of an SDP (session or media level; a data-channel-only
    /// session has one). Returns `None` when there is none or it is malformed.
    pub fn from_sdp(sdp: &str) -> Option<Self> {
        sdp.lines()
            .filter_map(|line| line.trim().strip_prefix("a=fingerprint:"))
            .find_map(Self::parse_value)
    }

    fn parse_value(value: &str) -> Option<Self> {
        let (algorithm, hex) = value.trim().split_once(' ')?;
        let hex = hex.trim();
        let well_formed = !hex.is_empty()
            && hex
                .split(':')
                .all(|pair| pair.len() == 2 && pair.chars().all(|c| c.is_ascii_hexdigit()));
        if algorithm.is_empty() || !well_formed {
            return None;
        }
        Some(Self {
            algorithm: algorithm.to_ascii_lowercase(),
            hex: hex.to_ascii_uppercase(),
        })
    }
}

/// The code both people compare, e.g. `"0482 9921 3307 5518"`. Order-independent: `safety_code(a, b)
/// == safety_code(b, a)`.
pub fn safety_code(one: &Fingerprint, other: &Fingerprint) -> String {
    let (low, high) = if one <= other {
        (one, other)
    } else {
        (other, one)
    };
    let mut hasher = Sha256::new();
    hasher.update(SAFETY_CODE_CONTEXT);
    for fingerprint in [low, high] {
        hasher.update([0u8]);
        hasher.update(fingerprint.algorithm.as_bytes());
        hasher.update([b' ']);
        hasher.update(fingerprint.hex.as_bytes());
    }
    let digest = hasher.finalize();
    // Each group comes from its own 4 digest bytes, reduced mod 10^4: the bias of 2^32 mod 10^4 is
    // negligible for a human-compared code.
    digest
        .chunks_exact(4)
        .take(GROUPS)
        .map(|chunk| {
            let value = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            format!(
                "{:0width$}",
                value % 10u32.pow(DIGITS_PER_GROUP as u32),
                width = DIGITS_PER_GROUP
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(hex: &str) -> Fingerprint {
        Fingerprint {
            algorithm: "sha-256".into(),
            hex: hex.into(),
        }
    }

    #[test]
    fn reads_fingerprint_from_sdp_and_normalises_case() {
        let sdp =
            "v=0\r\na=group:BUNDLE 0\r\na=fingerprint:SHA-256 ab:cd:0f\r\na=setup:actpass\r\n";
        assert_eq!(Fingerprint::from_sdp(sdp), Some(fp("AB:CD:0F")));
    }

    #[test]
    fn rejects_malformed_fingerprints() {
        assert_eq!(Fingerprint::from_sdp("a=fingerprint:sha-256"), None);
        assert_eq!(Fingerprint::from_sdp("a=fingerprint:sha-256 zz:11"), None);
        assert_eq!(Fingerprint::from_sdp("a=fingerprint:sha-256 abc:11"), None);
        assert_eq!(Fingerprint::from_sdp("a=fingerprint: AB:CD"), None);
        assert_eq!(Fingerprint::from_sdp(""), None);
    }

    #[test]
    fn code_is_order_independent_and_formatted() {
        let a = fp("AA:BB");
        let b = fp("CC:DD");
        let code = safety_code(&a, &b);
        assert_eq!(code, safety_code(&b, &a));
        assert_eq!(code.len(), 19);
        let groups: Vec<&str> = code.split(' ').collect();
        assert_eq!(groups.len(), 4);
        assert!(groups
            .iter()
            .all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_digit())));
    }

    #[test]
    fn a_swapped_fingerprint_changes_the_code() {
        // What a man in the middle does: each side sees the relay's fingerprint instead of the peer's.
        let alice = fp("01:02:03");
        let bob = fp("04:05:06");
        let mallory = fp("07:08:09");
        let honest = safety_code(&alice, &bob);
        assert_ne!(safety_code(&alice, &mallory), honest);
        assert_ne!(safety_code(&mallory, &bob), honest);
        assert_ne!(safety_code(&alice, &mallory), safety_code(&mallory, &bob));
    }

    #[test]
    fn known_answer_stays_stable() {
        // Pinned so that a change of the scheme is a conscious decision (both sides must agree).
        let code = safety_code(&fp("AA:BB"), &fp("CC:DD"));
        assert_eq!(code, safety_code(&fp("CC:DD"), &fp("AA:BB")));
        assert_eq!(code.split(' ').count(), 4);
        // The literal: a changed hash, context string or digit mapping fails here.
        assert_eq!(code, "0689 4368 0743 5891");
    }
}
