//! The safety code: a number both people compare once, by voice or in person.
//!
//! Each browser proves its identity during the DTLS handshake with a certificate whose fingerprint
//! travels inside the invite and answer links. Whoever carries the links could swap both
//! fingerprints for their own and sit in the middle; they cannot make the two ends agree on the
//! same pair, because each end sees a different pair. Hashing the pair (in a fixed order, so both
//! sides get the same result) gives a code that matches only when nobody is in the middle.
//!
//! How long the code must be: the attacker controls both certificates in the middle and can grind
//! variations of each offline, so matching the two ends' codes is a collision search across two
//! lists, about 2^(bits/2) hashes, and with stable identities the victims' fingerprints are known in
//! advance. 60 digits carry 199 bits, so a collision costs about 2^99.7 hashes: SECURITY.md ("How
//! strong the safety code is") has the numbers.

use sha2::{Digest, Sha256};

/// Domain separation: another scheme (v1 was 16 digits) hashes differently and cannot collide
/// with this one.
const SAFETY_CODE_CONTEXT: &[u8] = b"tincan safety code v2";

/// Digit groups shown, as Signal shows its safety numbers: 12 groups of 5 digits.
pub const GROUPS: usize = 12;
pub const DIGITS_PER_GROUP: usize = 5;
/// Digest bytes behind each group: 40 bits reduced mod 10^5, a bias of at most 10^5 / 2^40
/// (under 10^-7) per group.
const BYTES_PER_GROUP: usize = 5;
/// 12 × 5 bytes = 60: two SHA-256 blocks of output (see [`safety_code`]).
const OUTPUT_BLOCKS: u8 = 2;

/// Longest hash algorithm name taken (`sha-256`, `sha-512`; RFC 8122 allows tokens).
const MAX_ALGORITHM_CHARS: usize = 32;
/// Most digest bytes a fingerprint may have: SHA-512's 64.
const MAX_DIGEST_BYTES: usize = 64;

/// A DTLS certificate fingerprint as announced in SDP (`a=fingerprint:<alg> <hex:hex:...>`),
/// normalised: algorithm lower case, hex upper case with colons.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
            .find_map(Self::from_sdp_value)
    }

    /// Reads the value of an `a=fingerprint` line, `<alg> <hex:hex:...>` (also how stored
    /// records and frames carry a fingerprint). `None` when malformed.
    pub fn from_sdp_value(value: &str) -> Option<Self> {
        let (algorithm, hex) = value.trim().split_once(' ')?;
        Self::new(algorithm, hex.trim())
    }

    /// A fingerprint from its algorithm name and colon-separated hex digest (as
    /// `RTCCertificate.getFingerprints()` gives them), normalised. `None` when either is
    /// malformed or longer than any real one.
    pub fn new(algorithm: &str, hex: &str) -> Option<Self> {
        let algorithm_ok = !algorithm.is_empty()
            && algorithm.len() <= MAX_ALGORITHM_CHARS
            && algorithm.chars().all(|c| c.is_ascii_graphic());
        let hex_ok = !hex.is_empty()
            && hex.split(':').count() <= MAX_DIGEST_BYTES
            && hex
                .split(':')
                .all(|pair| pair.len() == 2 && pair.chars().all(|c| c.is_ascii_hexdigit()));
        (algorithm_ok && hex_ok).then(|| Self {
            algorithm: algorithm.to_ascii_lowercase(),
            hex: hex.to_ascii_uppercase(),
        })
    }

    /// The SDP form, `sha-256 AB:CD:…`: what [`Fingerprint::from_sdp_value`] reads.
    pub fn to_sdp_value(&self) -> String {
        format!("{} {}", self.algorithm, self.hex)
    }
}

/// Feeds one field with its length in front, so no two different pairs hash the same bytes.
fn update_field(hasher: &mut Sha256, field: &str) {
    let length = u32::try_from(field.len()).unwrap_or(u32::MAX);
    hasher.update(length.to_be_bytes());
    hasher.update(field.as_bytes());
}

/// The code both people compare, 12 groups of 5 digits, e.g. `"04829 92133 …"` (71 characters).
/// Order-independent: `safety_code(a, b) == safety_code(b, a)`.
///
/// Output block `i` (1, 2) is SHA-256 of the context, the byte `i`, then algorithm and hex of the
/// lower fingerprint and of the higher one, each field preceded by its length (u32, big endian).
/// The 64 output bytes are read 5 at a time (big endian), each reduced mod 10^5, for 12 groups.
pub fn safety_code(one: &Fingerprint, other: &Fingerprint) -> String {
    let (low, high) = if one <= other {
        (one, other)
    } else {
        (other, one)
    };
    let mut output = Vec::with_capacity(32 * usize::from(OUTPUT_BLOCKS));
    for block in 1..=OUTPUT_BLOCKS {
        let mut hasher = Sha256::new();
        hasher.update(SAFETY_CODE_CONTEXT);
        hasher.update([block]);
        for fingerprint in [low, high] {
            update_field(&mut hasher, &fingerprint.algorithm);
            update_field(&mut hasher, &fingerprint.hex);
        }
        output.extend_from_slice(&hasher.finalize());
    }
    let modulus = 10u64.pow(DIGITS_PER_GROUP as u32);
    output
        .chunks_exact(BYTES_PER_GROUP)
        .take(GROUPS)
        .map(|chunk| {
            let value = chunk
                .iter()
                .fold(0u64, |value, byte| (value << 8) | u64::from(*byte));
            format!("{:0width$}", value % modulus, width = DIGITS_PER_GROUP)
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

    /// A fingerprint from a real Chromium offer (`signal::sdp`'s tests) and a made-up second one.
    const CHROMIUM: &str = "B2:67:B9:CB:1B:E2:FB:19:83:B9:D2:CB:5D:13:EE:EB:60:44:B0:BD:AC:C0:49:51:8D:6C:DD:E1:AC:95:7C:F0";
    const FIREFOX: &str = "1F:8E:43:02:6C:9B:D4:A7:55:E0:31:CC:79:0A:BD:66:F2:18:4E:93:07:DA:B5:3C:A1:6E:88:F4:2D:C7:10:5B";

    fn is_code(code: &str) -> bool {
        let groups: Vec<&str> = code.split(' ').collect();
        groups.len() == GROUPS
            && groups
                .iter()
                .all(|g| g.len() == DIGITS_PER_GROUP && g.chars().all(|c| c.is_ascii_digit()))
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
        // Longer than any real digest, or an algorithm name no SDP has.
        let long = vec!["AB"; MAX_DIGEST_BYTES + 1].join(":");
        assert_eq!(Fingerprint::new("sha-256", &long), None);
        assert!(Fingerprint::new("sha-512", &vec!["AB"; MAX_DIGEST_BYTES].join(":")).is_some());
        assert_eq!(Fingerprint::new(&"s".repeat(33), "AB"), None);
        assert_eq!(Fingerprint::new("sha\u{0}256", "AB"), None);
        assert_eq!(Fingerprint::new("", "AB"), None);
        assert_eq!(Fingerprint::new("sha-256", "AB:"), None);
    }

    #[test]
    fn sdp_value_round_trips() {
        let fingerprint = Fingerprint::new("SHA-256", &CHROMIUM.to_ascii_lowercase());
        assert_eq!(fingerprint, Some(fp(CHROMIUM)));
        let value = fp(CHROMIUM).to_sdp_value();
        assert_eq!(value, format!("sha-256 {CHROMIUM}"));
        assert_eq!(Fingerprint::from_sdp_value(&value), Some(fp(CHROMIUM)));
    }

    #[test]
    fn code_is_order_independent_and_formatted() {
        let a = fp(CHROMIUM);
        let b = fp(FIREFOX);
        let code = safety_code(&a, &b);
        assert_eq!(code, safety_code(&b, &a));
        assert_eq!(code.len(), GROUPS * (DIGITS_PER_GROUP + 1) - 1);
        assert!(is_code(&code), "{code}");
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
    fn fields_are_framed_so_shifted_boundaries_differ() {
        // Without lengths, "sha-256" + "AB:CD" and "sha-256A" + "B:CD" would feed the same bytes.
        let plain = safety_code(&fp("AB:CD"), &fp("EF:01"));
        let shifted = Fingerprint {
            algorithm: "sha-256A".into(),
            hex: "B:CD".into(),
        };
        assert_ne!(safety_code(&shifted, &fp("EF:01")), plain);
        // Nor does moving the boundary between the two fingerprints give the same code.
        let joined = Fingerprint {
            algorithm: "sha-256".into(),
            hex: "AB:CDsha-256EF:01".into(),
        };
        assert_ne!(safety_code(&joined, &fp("")), plain);
    }

    #[test]
    fn every_group_uses_its_whole_range() {
        // Each group is its own slice of the output: across many pairs every group takes many
        // values, and no group is stuck (a slicing mistake would repeat or zero one).
        let mut seen = vec![std::collections::BTreeSet::new(); GROUPS];
        for i in 0..200u32 {
            let code = safety_code(
                &fp(&format!("{:02X}:{:02X}", i / 256, i % 256)),
                &fp(FIREFOX),
            );
            assert!(is_code(&code));
            for (group, digits) in code.split(' ').enumerate() {
                seen[group].insert(digits.to_owned());
            }
        }
        for (group, values) in seen.iter().enumerate() {
            assert!(values.len() > 190, "group {group}: {} values", values.len());
        }
    }

    #[test]
    fn known_answer_stays_stable() {
        // Pinned so that a change of the scheme is a conscious decision (both sides must agree).
        // The literal was computed independently (Python's hashlib, from the description on
        // `safety_code`): a changed hash, context string, framing or digit mapping fails here.
        let code = safety_code(&fp(CHROMIUM), &fp(FIREFOX));
        assert_eq!(code, safety_code(&fp(FIREFOX), &fp(CHROMIUM)));
        assert_eq!(
            code,
            "67043 84304 83360 33195 46739 10544 01008 06407 59992 65338 12046 40481"
        );
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn fingerprint() -> impl Strategy<Value = Fingerprint> {
        (
            prop::sample::select(vec!["sha-1", "sha-256", "sha-384", "sha-512"]),
            prop::collection::vec(any::<u8>(), 1..=MAX_DIGEST_BYTES),
        )
            .prop_map(|(algorithm, digest)| {
                let hex: Vec<String> = digest.iter().map(|b| format!("{b:02X}")).collect();
                Fingerprint {
                    algorithm: algorithm.into(),
                    hex: hex.join(":"),
                }
            })
    }

    proptest! {
        #[test]
        fn any_pair_gives_one_well_formed_code(a in fingerprint(), b in fingerprint()) {
            let code = safety_code(&a, &b);
            prop_assert_eq!(&code, &safety_code(&b, &a));
            let groups: Vec<&str> = code.split(' ').collect();
            prop_assert_eq!(groups.len(), GROUPS);
            prop_assert!(groups.iter().all(|g| g.len() == DIGITS_PER_GROUP
                && g.chars().all(|c| c.is_ascii_digit())));
            prop_assert_eq!(Fingerprint::from_sdp_value(&a.to_sdp_value()), Some(a));
        }
    }
}
