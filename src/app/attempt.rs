//! One attempt at a connection: from "Create invite", "Reconnect" or an opened invite until
//! Start over, a failure, a new attempt or the peer leaving.
//!
//! An [`Attempt`] owns everything that belongs to it: the peer connection, the gate on the chat
//! channel, the file session and every task it started. Dropping it closes the connection and
//! cancels the tasks at once, so nothing of an old attempt can act on the next one. Tasks are
//! aborted rather than told to check: a task that sleeps 15 s holding the connection would
//! otherwise keep it open for those 15 s.
//!
//! Its number ([`AttemptId`]) is the one way to ask "is this still mine?": callbacks of the
//! browser carry it, and state reached through the app answers only for the current attempt.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};

use futures::future::{AbortHandle, Abortable};
use leptos::task::spawn_local;

use super::file_session::FileSession;
use crate::core::call::CallMachine;
use crate::core::outbox::Outbox;
use crate::core::protocol::FrameGate;
use crate::core::safety::Fingerprint;
use crate::core::session::Role;
use crate::core::sorted_vec::SortedMap;
use crate::web::media::CallMedia;
use crate::web::peer::Peer;

/// Numbers attempts in this tab, so a late callback can tell it belongs to an older one.
pub type AttemptId = u64;

pub struct Attempt {
    pub id: AttemptId,
    pub role: Role,
    pub peer: Rc<Peer>,
    /// What the peer may send on the chat channel of this connection.
    pub gate: FrameGate,
    /// Files on their own data channel, once the chat channel is open.
    pub files: Option<FileSession>,
    /// When messages, receipts and typing notices go on this connection.
    pub outbox: Outbox,
    /// The certificate fingerprint the peer proved in this connection's handshake (from its
    /// SDP, which the handshake checks), once the channel is open: what its identity is judged by.
    pub remote_fingerprint: Option<Fingerprint>,
    /// The call on this connection (`core::call`), and its devices and tracks while one runs.
    pub call: CallMachine,
    pub call_media: Option<CallMedia>,
    tasks: Rc<RefCell<Tasks>>,
}

/// Running tasks by number; each removes itself when it ends, so a long chat with thousands of
/// short tasks (one per received file chunk) does not pile up handles.
#[derive(Default)]
struct Tasks {
    last: u64,
    running: SortedMap<u64, AbortHandle>,
}

impl Attempt {
    pub fn new(id: AttemptId, role: Role, peer: Peer) -> Self {
        Self {
            id,
            role,
            peer: Rc::new(peer),
            gate: FrameGate::default(),
            files: None,
            outbox: Outbox::default(),
            remote_fingerprint: None,
            // The invitee yields when both sides ring or offer at once.
            call: CallMachine::new(role == Role::Invitee),
            call_media: None,
            tasks: Rc::default(),
        }
    }

    /// Runs `task` until it finishes or this attempt is dropped, whichever comes first.
    pub fn spawn(&self, task: impl Future<Output = ()> + 'static) {
        // Boxed here so the bookkeeping below is built once, not once per kind of task.
        self.spawn_boxed(Box::pin(task));
    }

    fn spawn_boxed(&self, task: Pin<Box<dyn Future<Output = ()>>>) {
        let (handle, registration) = AbortHandle::new_pair();
        let number = {
            let mut tasks = self.tasks.borrow_mut();
            tasks.last += 1;
            let number = tasks.last;
            tasks.running.insert(number, handle);
            number
        };
        let tasks: Weak<RefCell<Tasks>> = Rc::downgrade(&self.tasks);
        spawn_local(async move {
            // Err(Aborted): the attempt is gone, and so is everything the task held.
            let _ = Abortable::new(task, registration).await;
            if let Some(tasks) = tasks.upgrade() {
                tasks.borrow_mut().running.remove(&number);
            }
        });
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        let running = std::mem::take(&mut self.tasks.borrow_mut().running);
        for (_, task) in running {
            task.abort();
        }
        // The file channel first (its Drop closes it and removes its handlers), then the
        // connection, even if a clone of `peer` is still on its way out of an aborted task.
        self.files = None;
        // Every track of a call stops here: the camera and microphone are released.
        self.call_media = None;
        self.peer.close();
    }
}
