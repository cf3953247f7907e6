//! The file's digest: SHA-256 over every chunk's SHA-256, in sequence order, however the chunks'
//! digests arrive. Both ends use it, so it stands alone.

use sha2::{Digest, Sha256};

use crate::core::hex::encode as hex;

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

#[cfg(test)]
mod tests {
    use super::*;

    fn sha256(bytes: &[u8]) -> ChunkDigest {
        Sha256::digest(bytes).into()
    }

    /// The build uses sha2's compact rounds (Cargo.toml, for size): they must still be SHA-256.
    #[test]
    fn sha256_gives_the_published_digests() {
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // 1000 bytes: many blocks and a partial last one.
        let long: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(
            hex(&sha256(&long)),
            "4e4c294b331f7a2099a379bec34b9f9fc03dc46ab465d998f4d683da53487e6d"
        );
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
}
