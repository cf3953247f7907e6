//! The receiving end: one file checked chunk by chunk against its offer ([`Incoming`]), and
//! every running one with its limits ([`Inbox`]), which is what a hostile peer talks to.

use super::{
    safe_file_name, sniff_image, CancelReason, ChunkDigest, ChunkHeader, DigestList, ImageKind,
    TransferError, TransferId, CHUNK_HEADER_BYTES, FILES_PROTOCOL_VERSION, HEAD_BYTES,
    MAX_FILE_BYTES, MAX_INCOMING,
};
use crate::core::sorted_vec::SortedMap;

/// The receiving end of one file: checks each chunk against the offer and collects the chunks'
/// digests.
pub struct Incoming {
    name: String,
    size: u64,
    received: u64,
    next_seq: u32,
    digests: DigestList,
    head: Vec<u8>,
    /// The sender's digest, when `done` came before every chunk's digest was computed.
    claimed: Option<String>,
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
            digests: DigestList::default(),
            head: Vec::with_capacity(HEAD_BYTES),
            claimed: None,
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

    /// Takes chunk `seq` of `len` bytes. `head` is the start of its payload, at least
    /// [`HEAD_BYTES`] of it when there is that much (only the file's first bytes are looked at).
    pub fn accept(
        &mut self,
        seq: u32,
        len: usize,
        head: &[u8],
    ) -> Result<ChunkVerdict, TransferError> {
        if seq < self.next_seq {
            return Ok(ChunkVerdict::Duplicate);
        }
        if seq > self.next_seq {
            return Err(TransferError::OutOfOrder);
        }
        if len == 0 {
            return Err(TransferError::EmptyChunk);
        }
        if self.received + len as u64 > self.size {
            return Err(TransferError::MoreThanDeclared);
        }
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(len).min(head.len());
            self.head.extend_from_slice(&head[..take]);
        }
        self.received += len as u64;
        self.next_seq += 1;
        Ok(ChunkVerdict::Accepted {
            received: self.received,
        })
    }

    /// The SHA-256 of accepted chunk `seq`'s payload.
    pub fn chunk_digest(&mut self, seq: u32, digest: ChunkDigest) {
        if seq < self.next_seq {
            self.digests.add(seq, digest);
        }
    }

    /// Whether the outcome is known: `done` came and every accepted chunk's digest is in (or the
    /// file is short, which needs no digest to be a failure).
    fn ready(&self) -> bool {
        self.claimed.is_some() && (self.received != self.size || self.digests.covers(self.next_seq))
    }

    /// Checks the end: every declared byte arrived and the digest is the sender's.
    fn finish(self) -> Result<Verified, TransferError> {
        if self.received != self.size {
            return Err(TransferError::Short {
                received: self.received,
                declared: self.size,
            });
        }
        let claimed = self.claimed.unwrap_or_default();
        let digest = self.digests.finish();
        if !digest.eq_ignore_ascii_case(claimed.trim()) {
            return Err(TransferError::HashMismatch);
        }
        Ok(Verified {
            digest,
            image: sniff_image(&self.head),
        })
    }
}

/// A file whose bytes and digest checked out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The file's digest (see "The digest" in the module docs), lowercase hex.
    pub digest: String,
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

/// A transfer whose outcome is known, with what the caller kept alongside it.
pub type Finished<T> = (Result<Verified, TransferError>, T);

/// What became of a chunk frame, as a whole.
pub enum ChunkOutcome<'a, T> {
    /// Keep the payload and compute its digest for [`Inbox::chunk_digest`]; `extra` is what the
    /// caller stored with the transfer.
    Accepted {
        id: TransferId,
        seq: u32,
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
    running: SortedMap<TransferId, (Incoming, T)>,
}

impl<T> Default for Inbox<T> {
    fn default() -> Self {
        Self {
            running: SortedMap::new(),
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

    /// Takes a chunk frame of `frame_len` bytes, of which `frame_start` is the beginning: at least
    /// [`CHUNK_START_BYTES`](super::CHUNK_START_BYTES) of it when the frame is that long (the
    /// payload stays where it is).
    pub fn chunk(&mut self, frame_start: &[u8], frame_len: usize) -> ChunkOutcome<'_, T> {
        let Ok((header, head)) = ChunkHeader::decode(frame_start) else {
            return ChunkOutcome::Ignored;
        };
        let Some((incoming, _)) = self.running.get_mut(&header.id) else {
            return ChunkOutcome::Ignored;
        };
        let len = frame_len.saturating_sub(CHUNK_HEADER_BYTES);
        match incoming.accept(header.seq, len, head) {
            Ok(ChunkVerdict::Duplicate) => ChunkOutcome::Ignored,
            Ok(ChunkVerdict::Accepted { received }) => match self.running.get_mut(&header.id) {
                Some((_, extra)) => ChunkOutcome::Accepted {
                    id: header.id,
                    seq: header.seq,
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

    /// The sender says it is done. Once the outcome is known (now, or when the last chunk digest
    /// comes in through [`Inbox::chunk_digest`]) the transfer is removed and returned with it.
    /// None: not running, or still waiting for digests.
    pub fn done(&mut self, id: TransferId, digest: &str) -> Option<Finished<T>> {
        let (incoming, _) = self.running.get_mut(&id)?;
        if incoming.claimed.is_some() {
            // A second `done` changes nothing.
            return None;
        }
        incoming.claimed = Some(digest.to_owned());
        self.finish_if_ready(id)
    }

    /// The digest of accepted chunk `seq` of transfer `id`; the outcome if it was the last one
    /// missing after `done`. A failed digest fails the transfer.
    pub fn chunk_digest(
        &mut self,
        id: TransferId,
        seq: u32,
        digest: Result<ChunkDigest, TransferError>,
    ) -> Option<Finished<T>> {
        let (incoming, _) = self.running.get_mut(&id)?;
        match digest {
            Ok(digest) => {
                incoming.chunk_digest(seq, digest);
                self.finish_if_ready(id)
            }
            Err(error) => self
                .running
                .remove(&id)
                .map(|(_, extra)| (Err(error), extra)),
        }
    }

    fn finish_if_ready(&mut self, id: TransferId) -> Option<Finished<T>> {
        if !self.running.get(&id)?.0.ready() {
            return None;
        }
        let (incoming, extra) = self.running.remove(&id)?;
        Some((incoming.finish(), extra))
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

// proptest needs getrandom, which has no wasm32-unknown-unknown backend: host only.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;
    use crate::core::hex::encode as hex;
    use crate::core::transfer::{Control, Outgoing, CHUNK_START_BYTES};

    fn sha256(bytes: &[u8]) -> ChunkDigest {
        Sha256::digest(bytes).into()
    }

    /// Frames `data` as the browser side does; digests are added last chunk first (the browser
    /// may return them in any order).
    fn send_all(data: &[u8], chunk: usize) -> (Vec<Vec<u8>>, Control, String) {
        let mut outgoing = Outgoing::new(7, data.len() as u64).unwrap();
        let mut frames = Vec::new();
        for piece in data.chunks(chunk) {
            let mut frame = outgoing.next_chunk(piece.len()).unwrap().encode().to_vec();
            frame.extend_from_slice(piece);
            frames.push(frame);
        }
        assert!(outgoing.is_complete());
        for (seq, piece) in data.chunks(chunk).enumerate().rev() {
            outgoing.chunk_digest(seq as u32, sha256(piece));
        }
        let (done, digest) = outgoing.finish().unwrap();
        (frames, done, digest)
    }

    #[derive(Debug, PartialEq)]
    enum Delivered {
        Accepted { received: u64 },
        Ignored,
        Aborted(TransferError),
    }

    /// Gives a frame to the inbox as the browser side does: only the frame's start crosses, then
    /// the payload's digest follows.
    fn deliver<T>(inbox: &mut Inbox<T>, frame: &[u8]) -> Delivered {
        let start = &frame[..frame.len().min(CHUNK_START_BYTES)];
        let (delivered, accepted) = match inbox.chunk(start, frame.len()) {
            ChunkOutcome::Accepted {
                id, seq, received, ..
            } => (Delivered::Accepted { received }, Some((id, seq))),
            ChunkOutcome::Ignored => (Delivered::Ignored, None),
            ChunkOutcome::Aborted { error, .. } => (Delivered::Aborted(error), None),
        };
        if let Some((id, seq)) = accepted {
            let digest = sha256(&frame[CHUNK_HEADER_BYTES..]);
            assert!(inbox.chunk_digest(id, seq, Ok(digest)).is_none());
        }
        delivered
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
    fn a_file_sent_in_chunks_is_reassembled_and_verified() {
        let data = sample(100_000);
        let (frames, done, digest) = send_all(&data, 4096);
        assert_eq!(frames.len(), 25);
        let mut inbox = Inbox::<Vec<u8>>::default();
        offer(&mut inbox, 7, data.len() as u64, Vec::new()).unwrap();
        for frame in &frames {
            match inbox.chunk(frame, frame.len()) {
                ChunkOutcome::Accepted { extra, .. } => {
                    extra.extend_from_slice(&frame[CHUNK_HEADER_BYTES..])
                }
                _ => panic!("chunk not accepted"),
            }
        }
        let Control::Done {
            id,
            digest: claimed,
        } = done
        else {
            panic!()
        };
        assert_eq!(claimed, digest);
        // `done` before the chunk digests: the outcome waits for the last one.
        assert!(inbox.done(id, &claimed).is_none());
        assert!(inbox.done(id, &claimed).is_none());
        let mut finished = None;
        for (seq, frame) in frames.iter().enumerate() {
            assert!(finished.is_none());
            finished = inbox.chunk_digest(7, seq as u32, Ok(sha256(&frame[CHUNK_HEADER_BYTES..])));
        }
        let (verdict, kept) = finished.unwrap();
        let verified = verdict.unwrap();
        assert_eq!(kept, data);
        // The hash list, computed independently: SHA-256 over the 4096-byte pieces' SHA-256s.
        let mut list = Sha256::new();
        for piece in data.chunks(4096) {
            list.update(Sha256::digest(piece));
        }
        assert_eq!(verified.digest, hex(&list.finalize()));
        assert_eq!(verified.image, None);
        assert!(inbox.is_empty());
    }

    #[test]
    fn a_chunk_digest_the_browser_could_not_compute_fails_the_transfer() {
        let (frames, _, digest) = send_all(&sample(30), 10);
        let mut inbox = Inbox::default();
        offer(&mut inbox, 7, 30, "parts").unwrap();
        for frame in &frames {
            assert!(matches!(
                inbox.chunk(frame, frame.len()),
                ChunkOutcome::Accepted { .. }
            ));
        }
        assert!(inbox.done(7, &digest).is_none());
        assert_eq!(
            inbox.chunk_digest(7, 1, Err(TransferError::DigestFailed)),
            Some((Err(TransferError::DigestFailed), "parts"))
        );
        assert!(inbox.is_empty());
        // Digests still in flight for it change nothing.
        assert!(inbox.chunk_digest(7, 0, Ok([0; 32])).is_none());
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
        assert_eq!(
            deliver(&mut inbox, &frames[0]),
            Delivered::Accepted { received: 10 }
        );
        assert_eq!(deliver(&mut inbox, &frames[0]), Delivered::Ignored);
        assert_eq!(
            deliver(&mut inbox, &frames[1]),
            Delivered::Accepted { received: 20 }
        );
        assert_eq!(deliver(&mut inbox, &frames[0]), Delivered::Ignored);
        assert_eq!(
            deliver(&mut inbox, &frames[2]),
            Delivered::Accepted { received: 30 }
        );
        assert!(inbox.done(7, &digest).unwrap().0.is_ok());

        // Chunk 2 before chunk 1: out of order, the transfer is stopped and removed.
        offer(&mut inbox, 7, 30, ()).unwrap();
        assert!(matches!(
            deliver(&mut inbox, &frames[0]),
            Delivered::Accepted { .. }
        ));
        assert_eq!(
            deliver(&mut inbox, &frames[2]),
            Delivered::Aborted(TransferError::OutOfOrder)
        );
        assert!(inbox.get(7).is_none());
        // Its late chunks are ignored.
        assert_eq!(deliver(&mut inbox, &frames[1]), Delivered::Ignored);
    }

    #[test]
    fn more_bytes_than_declared_abort_at_once() {
        let data = sample(30);
        let (frames, _, _) = send_all(&data, 20);
        let mut inbox = Inbox::default();
        offer(&mut inbox, 7, 25, ()).unwrap();
        assert!(matches!(
            deliver(&mut inbox, &frames[0]),
            Delivered::Accepted { .. }
        ));
        assert_eq!(
            deliver(&mut inbox, &frames[1]),
            Delivered::Aborted(TransferError::MoreThanDeclared)
        );
        assert!(inbox.is_empty());
    }

    #[test]
    fn fewer_bytes_than_declared_or_another_digest_is_a_mismatch() {
        let data = sample(30);
        let (frames, _, digest) = send_all(&data, 10);
        let mut inbox = Inbox::default();
        offer(&mut inbox, 7, 40, ()).unwrap();
        for frame in &frames {
            assert!(matches!(
                deliver(&mut inbox, frame),
                Delivered::Accepted { .. }
            ));
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
            deliver(&mut inbox, &retag(&frames[0])),
            Delivered::Accepted { .. }
        ));
        assert!(matches!(
            deliver(&mut inbox, &tampered),
            Delivered::Accepted { .. }
        ));
        assert!(matches!(
            deliver(&mut inbox, &retag(&frames[2])),
            Delivered::Accepted { .. }
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
        assert_eq!(
            deliver(&mut inbox, &empty),
            Delivered::Aborted(TransferError::EmptyChunk)
        );
        let mut stray = ChunkHeader { id: 99, seq: 0 }.encode().to_vec();
        stray.push(1);
        assert_eq!(deliver(&mut inbox, &stray), Delivered::Ignored);
        assert_eq!(deliver(&mut inbox, b"junk"), Delivered::Ignored);
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
            // Version 1 hashed the whole stream; its digest would never match.
            inbox.offer(1, 101, "x", 1, 0).map(|_| ()),
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
            deliver(&mut inbox, &frames[0]),
            Delivered::Accepted { .. }
        ));
        assert_eq!(inbox.cancel(7), Some("parts"));
        assert_eq!(deliver(&mut inbox, &frames[1]), Delivered::Ignored);
        assert!(inbox.done(7, &digest).is_none());
    }

    #[test]
    fn the_image_kind_comes_from_the_first_bytes_across_chunks() {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend_from_slice(&sample(100));
        let (frames, _, digest) = send_all(&png, 3);
        let mut inbox = Inbox::default();
        // Claimed as a text file: the bytes decide.
        inbox
            .offer(FILES_PROTOCOL_VERSION, 7, "notes.txt", png.len() as u64, ())
            .unwrap();
        for frame in &frames {
            assert!(matches!(
                deliver(&mut inbox, frame),
                Delivered::Accepted { .. }
            ));
        }
        assert_eq!(
            inbox.done(7, &digest).unwrap().0.unwrap().image,
            Some(ImageKind::Png)
        );
    }

    proptest::proptest! {
        #[test]
        fn any_chunking_round_trips(data in proptest::collection::vec(proptest::num::u8::ANY, 0..3000), chunk in 1usize..700) {
            let (frames, _, digest) = send_all(&data, chunk);
            let mut inbox = Inbox::<Vec<u8>>::default();
            offer(&mut inbox, 7, data.len() as u64, Vec::new()).unwrap();
            for frame in &frames {
                if let ChunkOutcome::Accepted { id, seq, extra, .. } = inbox.chunk(frame, frame.len()) {
                    extra.extend_from_slice(&frame[CHUNK_HEADER_BYTES..]);
                    inbox.chunk_digest(id, seq, Ok(sha256(&frame[CHUNK_HEADER_BYTES..])));
                }
                // Every chunk twice: duplicates change nothing.
                proptest::prop_assert_eq!(deliver(&mut inbox, frame), Delivered::Ignored);
            }
            let (verdict, kept) = inbox.done(7, &digest).unwrap();
            proptest::prop_assert!(verdict.is_ok());
            proptest::prop_assert_eq!(kept, data);
        }

        #[test]
        fn arbitrary_frames_never_panic(frame in proptest::collection::vec(proptest::num::u8::ANY, 0..64), raw in "\\PC{0,200}") {
            let mut inbox = Inbox::default();
            offer(&mut inbox, 0, 10, ()).unwrap();
            let _ = deliver(&mut inbox, &frame);
            let _ = Control::decode(&raw);
        }
    }
}
