//! The optional passphrase lock. The browser's WebCrypto derives an AES-GCM key from the
//! passphrase with PBKDF2-SHA-256 ([`ITERATIONS`] rounds, a random 16-byte salt), and seals every
//! stored record with it under a fresh random 96-bit IV. The key never leaves the page's memory.
//!
//! The lock record in `meta` keeps the salt, the iteration count and a check value: a known text
//! sealed with the key. A passphrase is right when the check value opens with the key it gives;
//! AES-GCM's tag makes a wrong one fail, so no stored message is tried with a wrong key.

use serde::{Deserialize, Serialize};

use super::{base64url_decode, base64url_encode, StoreError};

/// PBKDF2-SHA-256 rounds for a new lock (OWASP's 2023 figure for PBKDF2-HMAC-SHA256).
pub const ITERATIONS: u32 = 600_000;
/// A stored count below this is refused (a tampered record would weaken the next key);
/// above the maximum, deriving would freeze the page.
pub const MIN_ITERATIONS: u32 = 600_000;
pub const MAX_ITERATIONS: u32 = 10_000_000;
pub const SALT_BYTES: usize = 16;
/// AES-GCM's IV, in front of every sealed value.
pub const IV_BYTES: usize = 12;
/// AES-GCM's tag, at the end of every sealed value.
pub const TAG_BYTES: usize = 16;
/// What the check value holds.
pub const CHECK_TEXT: &str = "Tin Can lock check, version 1";
/// Additional data the check value is bound to.
pub const CHECK_AAD: &str = "tincan/check";
pub const KDF: &str = "PBKDF2-SHA-256";
/// Shortest passphrase taken.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockRecord {
    pub v: u32,
    pub kdf: String,
    pub iterations: u32,
    pub salt: String,
    pub check: String,
}

impl LockRecord {
    pub fn new(salt: &[u8], check: &[u8]) -> Self {
        Self {
            v: 1,
            kdf: KDF.to_owned(),
            iterations: ITERATIONS,
            salt: base64url_encode(salt),
            check: base64url_encode(check),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The stored lock record, checked: salt and check value of the right shape, a known
    /// derivation with a count within bounds.
    pub fn from_json(json: &str) -> Result<Self, StoreError> {
        let record: Self = serde_json::from_str(json).map_err(|_| StoreError::Damaged)?;
        let salt_ok = record
            .salt_bytes()
            .is_some_and(|salt| salt.len() == SALT_BYTES);
        let check_ok = record
            .check_bytes()
            .is_some_and(|check| check.len() == IV_BYTES + CHECK_TEXT.len() + TAG_BYTES);
        if record.v == 1
            && record.kdf == KDF
            && (MIN_ITERATIONS..=MAX_ITERATIONS).contains(&record.iterations)
            && salt_ok
            && check_ok
        {
            Ok(record)
        } else {
            Err(StoreError::Damaged)
        }
    }

    pub fn salt_bytes(&self) -> Option<Vec<u8>> {
        base64url_decode(&self.salt)
    }

    pub fn check_bytes(&self) -> Option<Vec<u8>> {
        base64url_decode(&self.check)
    }
}

/// IV and ciphertext (with its tag) of a sealed value; `None` when too short to be one.
pub fn split_sealed(sealed: &[u8]) -> Option<(&[u8], &[u8])> {
    (sealed.len() >= IV_BYTES + TAG_BYTES).then(|| sealed.split_at(IV_BYTES))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PassphraseError {
    #[error("Choose a passphrase of at least {MIN_PASSPHRASE_CHARS} characters.")]
    TooShort,
    #[error("The two passphrases differ. Type the same one twice.")]
    Differ,
    #[error("Type your current passphrase.")]
    NoCurrent,
}

/// A new passphrase as typed twice: what is wrong with it, if anything. Spaces count (a
/// passphrase may well be a few words), so nothing is trimmed.
pub fn check_new_passphrase(passphrase: &str, repeated: &str) -> Result<(), PassphraseError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        Err(PassphraseError::TooShort)
    } else if passphrase != repeated {
        Err(PassphraseError::Differ)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> LockRecord {
        LockRecord::new(
            &[7; SALT_BYTES],
            &[1; IV_BYTES + CHECK_TEXT.len() + TAG_BYTES],
        )
    }

    #[test]
    fn a_new_lock_uses_at_least_600000_rounds_and_round_trips() {
        let record = record();
        assert!(record.iterations >= 600_000);
        assert_eq!(LockRecord::from_json(&record.to_json()), Ok(record.clone()));
        assert_eq!(record.salt_bytes(), Some(vec![7; SALT_BYTES]));
    }

    #[test]
    fn tampered_lock_records_are_refused() {
        let good = record();
        let mut weak = good.clone();
        weak.iterations = 1;
        let mut huge = good.clone();
        huge.iterations = u32::MAX;
        let mut short_salt = good.clone();
        short_salt.salt = base64url_encode(&[1; 4]);
        let mut other_kdf = good.clone();
        other_kdf.kdf = "none".into();
        let mut bad_check = good.clone();
        bad_check.check = "!!".into();
        for bad in [weak, huge, short_salt, other_kdf, bad_check] {
            assert_eq!(
                LockRecord::from_json(&bad.to_json()),
                Err(StoreError::Damaged)
            );
        }
        assert!(LockRecord::from_json("{}").is_err());
    }

    #[test]
    fn passphrases_are_long_enough_and_typed_twice() {
        assert_eq!(
            check_new_passphrase("short", "short"),
            Err(PassphraseError::TooShort)
        );
        assert_eq!(
            check_new_passphrase("long enough", "long enougH"),
            Err(PassphraseError::Differ)
        );
        assert_eq!(check_new_passphrase(" eight  ", " eight  "), Ok(()));
    }

    #[test]
    fn sealed_values_split_into_iv_and_ciphertext() {
        let sealed = [0u8; IV_BYTES + TAG_BYTES + 3];
        let (iv, rest) = split_sealed(&sealed).unwrap();
        assert_eq!((iv.len(), rest.len()), (IV_BYTES, TAG_BYTES + 3));
        assert_eq!(split_sealed(&[0; 20]), None);
    }
}
