//! The files of one connection: its channel, the send queue and the inbox. The connection's
//! [`Attempt`](super::attempt) owns it; `files.rs` drives it. Kept apart from `files.rs` so the
//! attempt can own a session without depending on the code that runs transfers.

use std::collections::VecDeque;

use js_sys::Array;
use web_sys::File;

use crate::core::transfer::{Control, Inbox, RateMeter, TransferId};
use crate::web::file_channel::FileChannel;

/// A file waiting to be sent or being sent.
pub(super) struct Job {
    pub(super) id: TransferId,
    pub(super) key: u64,
    pub(super) file: File,
}

/// The file the send loop is on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Sending {
    pub(super) id: TransferId,
    pub(super) key: u64,
    pub(super) cancelled: bool,
}

/// What is kept with each incoming transfer, next to its bookkeeping in the inbox.
pub(super) struct Receiving {
    pub(super) key: u64,
    /// ArrayBuffer views and, after compaction, one Blob in front.
    pub(super) parts: Array,
    pub(super) uncompacted: u64,
    pub(super) meter: RateMeter,
    pub(super) shown_ms: f64,
}

/// The files of one connection. When the attempt goes, so does all of this, and the send loop (a
/// task of the attempt) with it.
pub struct FileSession {
    pub(super) channel: FileChannel,
    pub(super) next_id: TransferId,
    pub(super) queue: VecDeque<Job>,
    /// The transfer the send loop is on.
    pub(super) sending: Option<Sending>,
    pub(super) pumping: bool,
    /// Our outgoing ids whose verdict we wait for, with their row keys.
    pub(super) awaiting_verdict: Vec<(TransferId, u64)>,
    pub(super) inbox: Inbox<Receiving>,
    /// The peer's identity changed and the user has not accepted it: files wait in the queue,
    /// offers are refused.
    pub(super) held: bool,
    /// Who is at the other end, named on rows in a group.
    pub(super) peer: Option<String>,
}

impl FileSession {
    pub(super) fn new(channel: FileChannel) -> Self {
        Self {
            channel,
            next_id: 0,
            queue: VecDeque::new(),
            sending: None,
            pumping: false,
            awaiting_verdict: Vec::new(),
            inbox: Inbox::default(),
            held: false,
            peer: None,
        }
    }

    pub(super) fn send_control(&self, control: &Control) {
        // If this fails the channel is closing; its close event reports that.
        let _ = self.channel.send_text(&control.encode());
    }

    pub(super) fn inbox_id_to_key(&self, id: TransferId) -> Option<u64> {
        self.inbox
            .iter()
            .find(|(running, _)| *running == id)
            .map(|(_, receiving)| receiving.key)
    }

    pub(super) fn inbox_id_of(&self, key: u64) -> Option<TransferId> {
        self.inbox
            .iter()
            .find(|(_, receiving)| receiving.key == key)
            .map(|(id, _)| id)
    }
}
