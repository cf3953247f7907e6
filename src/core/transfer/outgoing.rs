//! The sending end of one file: numbers its chunks, collects their digests and writes the
//! `offer` and `done` frames. The app reads the file and hashes the chunks; this keeps count.

use super::{
    ChunkDigest, ChunkHeader, Control, DigestList, TransferError, TransferId,
    FILES_PROTOCOL_VERSION, MAX_FILE_BYTES,
};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
