//! Files between the two browsers: the state behind the transfer list. Components read
//! [`FileTransfers::rows`] and call its methods; the protocol and every check live in
//! `core::transfer`, the data channel in `web::file_channel`.
//!
//! Every connection has a file session of its own, owned by its [`Attempt`]: the live chat's,
//! and in a group each member's (`group.rs`). A file to a group is sent to each member
//! connected directly, on that member's connection, and each of them checks it; every
//! transfer is one row, which names the member in a group. Rows outlive their connection.
//!
//! Sending streams each file from `File.slice` one read at a time, so a file is never in memory
//! whole. Files go one after another, in the order they were attached. Receiving keeps the
//! arriving chunks as JS objects and assembles a `Blob` from them. File bytes never cross into
//! wasm: chunks are framed in JS memory and hashed by WebCrypto (`web::webcrypto`); only a
//! frame's first bytes (header, and the file's start for image sniffing) are copied in.
//!
//! The running code (the send loop, the channel's handlers) is a part of the wasm of its own,
//! entered through a [`FilesCall`] (`files_part.rs`); rows, sessions and their channels stay in
//! the main module, which the rest of the app touches.
//!
//! Why WebCrypto (measured with `scripts/bench.sh`, 64 MiB, headless Chromium, 2 cores): hashing
//! the stream with the `sha2` crate in wasm on both sides held the app to 0.65x the plain-JS rate;
//! per-chunk WebCrypto digests bring it to the figure in the README.

use js_sys::{Array, ArrayBuffer, Uint8Array};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, File, Url};

use super::attempt::{Attempt, AttemptId};
use super::file_session::{FileSession, Job, Receiving, Sending};
use super::files_part::FilesCall;
use super::group::Groups;
use super::lazy_part::LazyPart;
use crate::core::transfer::{
    progress_text, safe_file_name, CancelReason, ChunkDigest, ChunkOutcome, Control, Finished,
    OfferRejection, Outgoing, RateMeter, Side, TransferError, TransferId, CHUNK_HEADER_BYTES,
    CHUNK_START_BYTES, MAX_FILE_BYTES,
};
use crate::web::browser::now_ms;
use crate::web::file_channel::{FileChannel, FileChannelError, FileChannelEvent};
use crate::web::webcrypto::{sha256_result, sha256_results, start_sha256};

/// Bytes read from the file per `arrayBuffer()` call, one read ahead of the one being sent (so at
/// most twice this is in memory). Every read is a round trip to the browser process, so fewer is
/// cheaper; measured with `scripts/bench.sh` (64 MiB, 2 cores), 4 MiB reads ran at 0.76-0.96x the
/// bare-channel rate and 1 MiB reads at 0.83-0.89x: the same within this machine's noise.
const READ_BYTES: u64 = 4 * 1024 * 1024;
/// The first read is smaller, so the first chunk leaves sooner.
const FIRST_READ_BYTES: u64 = 256 * 1024;
/// Progress is redrawn at most this often per transfer.
const PROGRESS_EVERY_MS: f64 = 150.0;
/// Received parts are merged into one Blob every this many bytes, so the browser can move them
/// out of the JS heap (Chromium pages large blobs to disk). Small enough that the last merge,
/// which the receiver waits for before it shows the file, is short.
const COMPACT_EVERY_BYTES: u64 = 8 * 1024 * 1024;
/// Rows kept in the list; the oldest finished ones go first (a peer cannot grow it forever).
const MAX_ROWS: usize = 200;

const PEER_GONE_SENDING: &str = "Stopped: the connection closed before the file was sent.";
const PEER_GONE_RECEIVING: &str = "Stopped: the connection closed before the file arrived.";
const NOT_CONNECTED: &str = "Not sent: the chat is not connected.";
const NO_MEMBER_CONNECTED: &str = "Not sent: nobody in the group is connected right now.";
const TOO_LARGE: &str = "Not sent: files can be at most 2 GiB.";
const CANCELLED_BY_ME: &str = "Cancelled.";
const UNREADABLE: &str = "Stopped: the file could not be read (was it moved or changed?).";

/// Which way a file goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Sending,
    Receiving,
}

impl Direction {
    pub fn as_attr(self) -> &'static str {
        match self {
            Self::Sending => "sending",
            Self::Receiving => "receiving",
        }
    }
}

/// Where a transfer stands.
#[derive(Clone, Debug, PartialEq)]
pub enum RowState {
    Queued,
    Running,
    /// Every byte went out. `confirmed`: the receiver checked the digest and it matched.
    Sent {
        digest: String,
        confirmed: bool,
    },
    /// Every byte arrived and the digest matched. `url` is a blob: URL of the file.
    Received {
        digest: String,
        url: String,
        image: bool,
    },
    Cancelled(String),
    Failed(String),
}

impl RowState {
    pub fn as_attr(&self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Sent { .. } => "sent",
            Self::Received { .. } => "received",
            Self::Cancelled(_) => "cancelled",
            Self::Failed(_) => "failed",
        }
    }

    pub fn is_active(&self) -> bool {
        matches!(self, Self::Queued | Self::Running)
    }
}

/// Bytes done and the line under the bar ("3.20 MB of 24.0 MB · 12.1 MB/s · 2 s left").
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Progress {
    pub done: u64,
    pub detail: String,
}

/// One transfer in the list. Cheap to clone: the changing parts are signals.
///
/// They are reference-counted signals, which live as long as the row: an arena signal belongs to
/// whatever reactive owner is current when it is made, and a row made from the "Attach file"
/// handler belonged to that control, which goes away when the connection does; the transfer
/// then failing (the peer left) touched a disposed signal and panicked (caught by the
/// Chromium-Firefox files test).
#[derive(Clone)]
pub struct TransferRow {
    /// Unique in this tab (the peer's ids may repeat).
    pub key: u64,
    /// The connection it runs on; `None` for a file refused before it went anywhere.
    pub attempt: Option<AttemptId>,
    /// Who it is to or from, in a group (a two-person chat has only one other side).
    pub peer: Option<String>,
    pub direction: Direction,
    /// Safe to show and to save under.
    pub name: String,
    pub size: u64,
    pub progress: ArcRwSignal<Progress>,
    pub state: ArcRwSignal<RowState>,
}

impl TransferRow {
    /// A row on no connection, nobody named; see the fields to set the rest.
    fn new(key: u64, direction: Direction, name: String, size: u64, state: RowState) -> Self {
        Self {
            key,
            attempt: None,
            peer: None,
            direction,
            name,
            size,
            progress: ArcRwSignal::new(Progress {
                done: 0,
                detail: progress_text(0, size, &RateMeter::default()),
            }),
            state: ArcRwSignal::new(state),
        }
    }
}

/// Where a file is sent: a connection with a file session, and who is at its other end.
#[derive(Clone, Debug, PartialEq)]
pub struct FileTarget {
    pub attempt: AttemptId,
    /// Shown on the row in a group.
    pub peer: Option<String>,
}

/// The files of one chat: the rows on screen outlive connections (finished files stay
/// downloadable), the session of each connection lives in its [`Attempt`].
/// `Copy`: every field is an arena handle.
#[derive(Clone, Copy)]
pub struct FileTransfers {
    /// Every transfer of this chat, oldest first.
    pub rows: RwSignal<Vec<TransferRow>>,
    /// True while a files channel exists (the Attach control is usable).
    pub attached: RwSignal<bool>,
    /// The app's connection attempt (the live chat's), which owns its file session.
    attempt: StoredValue<Option<Attempt>, LocalStorage>,
    /// A group's member connections, each owning a file session of its own.
    groups: Groups,
    /// Row keys, unique in this tab across connections.
    last_key: StoredValue<u64>,
    /// blob: URLs handed to the page, by row key; revoked when the row goes.
    urls: StoredValue<Vec<(u64, String)>, LocalStorage>,
    /// Why files do not work now: their part of the wasm could not be fetched.
    pub problem: RwSignal<Option<String>>,
    /// The part of the wasm that runs transfers (`files_part.rs`).
    pub(super) part: LazyPart<FilesCall>,
}

impl FileTransfers {
    pub fn new(attempt: StoredValue<Option<Attempt>, LocalStorage>, groups: Groups) -> Self {
        Self {
            rows: RwSignal::new(Vec::new()),
            attached: RwSignal::new(false),
            attempt,
            groups,
            last_key: StoredValue::new(0),
            urls: StoredValue::new_local(Vec::new()),
            problem: RwSignal::new(None),
            part: LazyPart::new(),
        }
    }

    /// What the part does with each call (`files_part.rs`).
    pub(super) fn run_files_call(&self, call: FilesCall) {
        match call {
            FilesCall::Channel { attempt, event } => self.on_channel_event(attempt, event),
            FilesCall::Send {
                files,
                targets,
                unreachable,
            } => self.queue_files(files, targets, &unreachable),
            FilesCall::Cancel(key) => self.cancel_transfer(key),
            FilesCall::Pump(attempt) => self.start_pump(attempt),
        }
    }

    /// The live chat's attempt, if there is one.
    pub(super) fn current(&self) -> Option<AttemptId> {
        self.attempt
            .try_with_value(|attempt| attempt.as_ref().map(|attempt| attempt.id))
            .flatten()
    }

    /// Runs `act` on attempt `id` while it lives: the live chat's, or a group member's.
    fn with_attempt_of<R>(&self, id: AttemptId, act: impl FnOnce(&mut Attempt) -> R) -> Option<R> {
        if self.current() == Some(id) {
            self.attempt
                .try_update_value(|attempt| attempt.as_mut().map(act))
                .flatten()
        } else {
            self.groups.with_member_attempt(id, act)
        }
    }

    /// The live chat's file session, if it has one.
    fn session<R>(&self, act: impl FnOnce(&mut FileSession) -> R) -> Option<R> {
        self.session_of(self.current()?, act)
    }

    /// The file session of attempt `id`, while that attempt lives and has one.
    fn session_of<R>(&self, id: AttemptId, act: impl FnOnce(&mut FileSession) -> R) -> Option<R> {
        self.with_attempt_of(id, |attempt| attempt.files.as_mut().map(act))
            .flatten()
    }

    /// Runs `task` as a task of attempt `id` (not at all if that attempt is gone).
    fn spawn_for(&self, id: AttemptId, task: impl std::future::Future<Output = ()> + 'static) {
        self.with_attempt_of(id, |attempt| attempt.spawn(task));
    }

    fn new_key(&self) -> u64 {
        self.last_key.update_value(|key| *key += 1);
        self.last_key.get_value()
    }

    /// Opens the files channel on the live chat's connection (call when its channel opens).
    pub fn attach(&self) {
        if let Some(id) = self.current() {
            self.attach_to(id, None);
        }
    }

    /// Opens the files channel on the connection of attempt `id`, to `peer` (named on rows).
    pub fn attach_to(&self, id: AttemptId, peer: Option<String>) {
        let Some((connection, open)) = self.with_attempt_of(id, |attempt| {
            let open = attempt
                .files
                .as_ref()
                .is_some_and(|session| !session.channel.is_closed());
            (attempt.peer.connection().clone(), open)
        }) else {
            return;
        };
        if open {
            // The chat channel reopened on the same connection: the files channel carries on.
            return;
        }
        self.detach_from(id);
        self.prepare_files_part();
        let this = *self;
        let on_event = move |event| {
            this.files_call(FilesCall::Channel { attempt: id, event });
        };
        match FileChannel::open(&connection, on_event) {
            Ok(channel) => {
                let mut session = FileSession::new(channel);
                session.peer = peer;
                if self
                    .with_attempt_of(id, |attempt| attempt.files = Some(session))
                    .is_some()
                {
                    self.attached.set(true);
                }
            }
            // The Attach control stays disabled; the chat works without files.
            Err(error) => leptos::logging::warn!("{error}"),
        }
    }

    /// Names who is at the other end of attempt `id`'s files (the live chat's peer, once the
    /// chat is a group), for the rows made from now on.
    pub fn name_peer(&self, id: AttemptId, peer: Option<String>) {
        self.session_of(id, |session| session.peer = peer);
    }

    /// The live chat's peer is gone: see [`FileTransfers::detach_from`].
    pub fn detach(&self) {
        match self.current() {
            Some(id) => self.detach_from(id),
            None => self.sessions_gone(),
        }
    }

    /// The peer of attempt `id` is gone: its session goes, and its channel is closed.
    pub fn detach_from(&self, id: AttemptId) {
        let session = self
            .with_attempt_of(id, |attempt| attempt.files.take())
            .flatten();
        drop(session);
        self.sessions_gone();
    }

    /// Call after connections went: stops the running and queued transfers whose connection
    /// is gone with a clear message, keeps finished ones (their files stay downloadable).
    pub fn sessions_gone(&self) {
        for row in self.rows.get_untracked() {
            if row.state.get_untracked().is_active()
                && row
                    .attempt
                    .and_then(|id| self.session_of(id, |_| ()))
                    .is_none()
            {
                let why = match row.direction {
                    Direction::Sending => PEER_GONE_SENDING,
                    Direction::Receiving => PEER_GONE_RECEIVING,
                };
                row.state.set(RowState::Failed(why.to_owned()));
            }
        }
        let attached = self.session(|_| ()).is_some() || self.groups.any_member_files();
        if self.attached.get_untracked() != attached {
            self.attached.set(attached);
        }
    }

    /// The peer's identity changed: files attached from now on wait, offers are refused, until
    /// [`FileTransfers::release`] (or the connection ends).
    pub fn hold(&self) {
        self.session(|session| session.held = true);
    }

    /// The user accepted the peer's new identity: waiting files go.
    pub fn release(&self) {
        self.session(|session| session.held = false);
        if let Some(id) = self.current() {
            self.files_call(FilesCall::Pump(id));
        }
    }

    /// A new chat: forgets every transfer and releases their files.
    pub fn clear(&self) {
        if let Some(id) = self.current() {
            let session = self
                .with_attempt_of(id, |attempt| attempt.files.take())
                .flatten();
            drop(session);
        }
        self.attached.set(false);
        self.urls.update_value(|urls| {
            for (_, url) in urls.drain(..) {
                let _ = Url::revoke_object_url(&url);
            }
        });
        self.rows.set(Vec::new());
    }

    /// See [`FileTransfers::send_files_to`].
    fn queue_files(&self, files: Vec<File>, targets: Vec<FileTarget>, unreachable: &[String]) {
        let attempts: Vec<AttemptId> = targets.iter().map(|target| target.attempt).collect();
        for file in files {
            let size = file.size().max(0.0) as u64;
            let name = safe_file_name(&file.name());
            if targets.is_empty() {
                let why = if unreachable.is_empty() {
                    NOT_CONNECTED
                } else {
                    NO_MEMBER_CONNECTED
                };
                self.refuse(&name, size, None, why.to_owned());
            }
            for target in &targets {
                let key = self.new_key();
                // Without a session there is no transfer id to give: the row says why.
                let id = self.session_of(target.attempt, |session| {
                    session.next_id = session.next_id.wrapping_add(1);
                    session.next_id
                });
                let state = if id.is_none() {
                    RowState::Failed(NOT_CONNECTED.to_owned())
                } else if size > MAX_FILE_BYTES {
                    RowState::Failed(TOO_LARGE.to_owned())
                } else {
                    RowState::Queued
                };
                let queued = state == RowState::Queued;
                self.push_row(TransferRow {
                    attempt: Some(target.attempt),
                    peer: target.peer.clone(),
                    ..TransferRow::new(key, Direction::Sending, name.clone(), size, state)
                });
                if let (true, Some(id)) = (queued, id) {
                    let file = file.clone();
                    self.session_of(target.attempt, |session| {
                        session.queue.push_back(Job { id, key, file })
                    });
                }
            }
            for member in unreachable {
                let why = format!(
                    "Not sent to {member}: files need a direct connection, and messages reach {member} only through others."
                );
                self.refuse(&name, size, Some(member.clone()), why);
            }
        }
        for attempt in attempts {
            self.start_pump(attempt);
        }
    }

    /// A file that goes nowhere (to `peer`, in a group): its row says why.
    fn refuse(&self, name: &str, size: u64, peer: Option<String>, why: String) {
        let key = self.new_key();
        let state = RowState::Failed(why);
        self.push_row(TransferRow {
            peer,
            ..TransferRow::new(key, Direction::Sending, name.to_owned(), size, state)
        });
    }

    /// See [`FileTransfers::cancel`].
    fn cancel_transfer(&self, key: u64) {
        let Some(row) = self.row(key) else { return };
        if !row.state.get_untracked().is_active() {
            return;
        }
        let Some(attempt) = row.attempt else { return };
        self.session_of(attempt, |session| match row.direction {
            Direction::Sending => {
                session.queue.retain(|job| job.key != key);
                if let Some(sending) = session.sending.as_mut() {
                    if sending.key == key && !sending.cancelled {
                        sending.cancelled = true;
                        let id = sending.id;
                        session.send_control(&Control::Cancel {
                            id,
                            from: Side::Sender,
                            why: CancelReason::User,
                        });
                    }
                }
            }
            Direction::Receiving => {
                if let Some(id) = session.inbox_id_of(key) {
                    session.inbox.cancel(id);
                    session.send_control(&Control::Cancel {
                        id,
                        from: Side::Receiver,
                        why: CancelReason::User,
                    });
                }
            }
        });
        row.state
            .set(RowState::Cancelled(CANCELLED_BY_ME.to_owned()));
    }

    fn row(&self, key: u64) -> Option<TransferRow> {
        self.rows
            .with_untracked(|rows| rows.iter().find(|row| row.key == key).cloned())
    }

    fn set_state(&self, key: u64, state: RowState) {
        if let Some(row) = self.row(key) {
            row.state.set(state);
        }
    }

    fn set_progress(&self, key: u64, done: u64, meter: &RateMeter) {
        if let Some(row) = self.row(key) {
            row.progress.set(Progress {
                done,
                detail: progress_text(done, row.size, meter),
            });
        }
    }

    fn push_row(&self, row: TransferRow) {
        let mut dropped = Vec::new();
        self.rows.update(|rows| {
            rows.push(row);
            while rows.len() > MAX_ROWS {
                match rows
                    .iter()
                    .position(|r| !r.state.get_untracked().is_active())
                {
                    Some(oldest) => dropped.push(rows.remove(oldest).key),
                    None => break,
                }
            }
        });
        if !dropped.is_empty() {
            self.urls.update_value(|urls| {
                urls.retain(|(owner, url)| {
                    let keep = !dropped.contains(owner);
                    if !keep {
                        let _ = Url::revoke_object_url(url);
                    }
                    keep
                })
            });
        }
    }

    // ---- Sending ------------------------------------------------------------------------------

    fn start_pump(&self, id: AttemptId) {
        let start = self
            .session_of(id, |session| {
                let start = !session.held && !session.pumping && !session.queue.is_empty();
                session.pumping |= start;
                start
            })
            .unwrap_or(false);
        if start {
            let this = *self;
            self.spawn_for(id, async move { this.pump(id).await });
        }
    }

    /// Sends queued files one after another until the queue is empty. A task of the attempt:
    /// it ends with the connection.
    async fn pump(self, attempt: AttemptId) {
        loop {
            let job = self
                .session_of(attempt, |session| {
                    // A hold stops the loop between files; the release starts it again.
                    let job = if session.held {
                        None
                    } else {
                        session.queue.pop_front()
                    };
                    session.sending = job.as_ref().map(|job| Sending {
                        id: job.id,
                        key: job.key,
                        cancelled: false,
                    });
                    if job.is_none() {
                        session.pumping = false;
                    }
                    job
                })
                .flatten();
            let Some(job) = job else { return };
            let key = job.key;
            let outcome = self.send_one(attempt, job).await;
            if self
                .session_of(attempt, |session| session.sending = None)
                .is_none()
            {
                return;
            }
            match outcome {
                SendOutcome::Sent(digest) => self.set_state(
                    key,
                    RowState::Sent {
                        digest,
                        confirmed: false,
                    },
                ),
                // The row already says so.
                SendOutcome::Stopped => {}
                SendOutcome::Failed(why) => self.set_state(key, RowState::Failed(why)),
            }
        }
    }

    /// Whether the send loop must stop: cancelled, or the session is gone.
    fn must_stop(&self, attempt: AttemptId, id: TransferId) -> bool {
        self.session_of(attempt, |session| {
            !session
                .sending
                .is_some_and(|sending| sending.id == id && !sending.cancelled)
                || session.channel.is_closed()
        })
        .unwrap_or(true)
    }

    fn with_channel<R>(
        &self,
        attempt: AttemptId,
        act: impl FnOnce(&FileChannel) -> R,
    ) -> Option<R> {
        self.session_of(attempt, |session| act(&session.channel))
    }

    async fn send_one(&self, attempt: AttemptId, job: Job) -> SendOutcome {
        let size = job.file.size().max(0.0) as u64;
        let mut outgoing = match Outgoing::new(job.id, size) {
            Ok(outgoing) => outgoing,
            Err(error) => return SendOutcome::Failed(error.to_string()),
        };
        let name = self.row(job.key).map(|row| row.name).unwrap_or_default();
        let offer = outgoing.offer(&name, &job.file.type_()).encode();
        let Some(payload_bytes) = self.with_channel(attempt, FileChannel::payload_bytes) else {
            return SendOutcome::Failed(NOT_CONNECTED.to_owned());
        };
        // Wait for the channel to open (it may still be connecting right after attach).
        if let Some(wait) = self.with_channel(attempt, FileChannel::writable).flatten() {
            let _ = wait.await;
        }
        if self.must_stop(attempt, job.id) {
            return SendOutcome::Stopped;
        }
        if let Some(Err(error)) = self.with_channel(attempt, |channel| channel.send_text(&offer)) {
            return SendOutcome::Failed(error.to_string());
        }
        self.set_state(job.key, RowState::Running);

        let mut meter = RateMeter::default();
        meter.record(now_ms(), 0);
        let mut shown_ms = now_ms();
        let header_bytes = CHUNK_HEADER_BYTES as u32;
        // One frame buffer for the whole file: `send` copies the bytes before it returns, and a
        // fresh 64 KiB buffer per chunk is a zeroed allocation and GC work for nothing.
        let frame_buffer = Uint8Array::new_with_length(header_bytes + payload_bytes as u32);
        // The next slice is read while this one is sent, so the channel never idles waiting for
        // the disk (each read is a round trip to the browser process). Measured: without the
        // read-ahead, the app moved 64 MiB at 0.67x the plain-JS rate with both pages mostly
        // idle; the channel drained during every read.
        let read = |from: u64| {
            let want = if from == 0 {
                FIRST_READ_BYTES
            } else {
                READ_BYTES
            };
            (from < size).then(|| start_read(&job.file, from, (from + want).min(size)))
        };
        let mut reading = read(0);
        while let Some(pending) = reading.take() {
            let slice = match finish_read(pending).await {
                Ok(slice) => slice,
                Err(why) => {
                    self.abort_outgoing(attempt, job.id);
                    return SendOutcome::Failed(why);
                }
            };
            reading = read(outgoing.sent() + u64::from(slice.length()));
            // Frame, send and start hashing each chunk of the slice as the channel takes them;
            // the slice's digests are collected once it is all sent.
            let digests = Array::new();
            let mut seqs = Vec::new();
            let mut offset = 0;
            while offset < slice.length() {
                if let Some(wait) = self.with_channel(attempt, FileChannel::writable).flatten() {
                    let _ = wait.await;
                }
                if self.must_stop(attempt, job.id) {
                    return SendOutcome::Stopped;
                }
                let len = (slice.length() - offset).min(payload_bytes as u32);
                let header = match outgoing.next_chunk(len as usize) {
                    Ok(header) => header,
                    Err(error) => {
                        self.abort_outgoing(attempt, job.id);
                        return SendOutcome::Failed(error.to_string());
                    }
                };
                let payload = slice.subarray(offset, offset + len);
                let frame = if len == payload_bytes as u32 {
                    frame_buffer.clone()
                } else {
                    frame_buffer.subarray(0, header_bytes + len)
                };
                frame.subarray(0, header_bytes).copy_from(&header.encode());
                frame.set(&payload, header_bytes);
                match self.with_channel(attempt, |channel| channel.send_view(&frame)) {
                    Some(Ok(())) => {}
                    Some(Err(error)) => return SendOutcome::Failed(error.to_string()),
                    None => return SendOutcome::Failed(FileChannelError::NotOpen.to_string()),
                }
                match start_sha256(&payload) {
                    Ok(pending) => digests.push(&pending),
                    Err(error) => {
                        self.abort_outgoing(attempt, job.id);
                        return SendOutcome::Failed(error.to_string());
                    }
                };
                seqs.push(header.seq);
                offset += len;
            }
            match sha256_results(&digests).await {
                Ok(hashed) => {
                    for (seq, digest) in seqs.into_iter().zip(hashed) {
                        outgoing.chunk_digest(seq, digest);
                    }
                }
                Err(error) => {
                    self.abort_outgoing(attempt, job.id);
                    return SendOutcome::Failed(error.to_string());
                }
            }
            let now = now_ms();
            meter.record(now, outgoing.sent());
            if now - shown_ms >= PROGRESS_EVERY_MS || outgoing.is_complete() {
                shown_ms = now;
                self.set_progress(job.key, outgoing.sent(), &meter);
            }
        }
        let (done, digest) = match outgoing.finish() {
            Ok(done) => done,
            Err(error) => return SendOutcome::Failed(error.to_string()),
        };
        if let Some(Err(error)) =
            self.with_channel(attempt, |channel| channel.send_text(&done.encode()))
        {
            return SendOutcome::Failed(error.to_string());
        }
        self.session_of(attempt, |session| {
            session.awaiting_verdict.push((job.id, job.key))
        });
        SendOutcome::Sent(digest)
    }

    /// Tells the receiver a transfer of ours stopped because of a problem on our side.
    fn abort_outgoing(&self, attempt: AttemptId, id: TransferId) {
        self.session_of(attempt, |session| {
            session.send_control(&Control::Cancel {
                id,
                from: Side::Sender,
                why: CancelReason::Failed,
            })
        });
    }

    // ---- Receiving ----------------------------------------------------------------------------

    fn on_channel_event(&self, attempt: AttemptId, event: FileChannelEvent) {
        // The channel's handlers go with its session; this is the net under that.
        if self.session_of(attempt, |_| ()).is_none() {
            return;
        }
        match event {
            FileChannelEvent::Text(raw) => {
                // Junk is dropped, like junk on the chat channel.
                if let Ok(control) = Control::decode(&raw) {
                    self.on_control(attempt, control);
                }
            }
            FileChannelEvent::Binary(buffer) => self.on_chunk(attempt, &buffer),
            FileChannelEvent::Closed => self.detach_from(attempt),
        }
    }

    fn on_control(&self, attempt: AttemptId, control: Control) {
        match control {
            Control::Offer {
                v, id, name, size, ..
            } => self.on_offer(attempt, v, id, &name, size),
            Control::Done { id, digest } => self.on_done(attempt, id, &digest),
            Control::Cancel {
                id,
                from: Side::Sender,
                why,
            } => {
                let key = self.session_of(attempt, |session| {
                    let key = session.inbox_id_to_key(id)?;
                    session.inbox.cancel(id);
                    Some(key)
                });
                if let Some(key) = key.flatten() {
                    self.set_state(key, RowState::Cancelled(why.peer_text().to_owned()));
                }
            }
            Control::Cancel {
                id,
                from: Side::Receiver,
                why,
            } => {
                let key = self.session_of(attempt, |session| {
                    if let Some(sending) = session.sending.as_mut() {
                        if sending.id == id && !sending.cancelled {
                            sending.cancelled = true;
                            return Some(sending.key);
                        }
                    }
                    let at = session
                        .awaiting_verdict
                        .iter()
                        .position(|(waiting, _)| *waiting == id)?;
                    Some(session.awaiting_verdict.remove(at).1)
                });
                if let Some(key) = key.flatten() {
                    self.set_state(key, RowState::Cancelled(why.peer_text().to_owned()));
                }
            }
            Control::Verdict { id, ok } => {
                let key = self
                    .session_of(attempt, |session| {
                        let at = session
                            .awaiting_verdict
                            .iter()
                            .position(|(waiting, _)| *waiting == id)?;
                        Some(session.awaiting_verdict.remove(at).1)
                    })
                    .flatten();
                let Some(row) = key.and_then(|key| self.row(key)) else {
                    return;
                };
                let RowState::Sent { digest, .. } = row.state.get_untracked() else {
                    return;
                };
                row.state.set(if ok {
                    RowState::Sent {
                        digest,
                        confirmed: true,
                    }
                } else {
                    RowState::Failed(
                        "The other browser reports the file arrived damaged (SHA-256 mismatch)."
                            .to_owned(),
                    )
                });
            }
            Control::Unknown => {}
        }
    }

    fn on_offer(
        &self,
        attempt: AttemptId,
        version: u32,
        id: TransferId,
        claimed_name: &str,
        size: u64,
    ) {
        let key = self.new_key();
        let accepted = self
            .session_of(attempt, |session| {
                if session.held {
                    // Nothing is taken from an identity the user has not accepted.
                    session.send_control(&Control::Cancel {
                        id,
                        from: Side::Receiver,
                        why: CancelReason::Other,
                    });
                    return Some(Err(()));
                }
                let receiving = Receiving {
                    key,
                    parts: Array::new(),
                    uncompacted: 0,
                    meter: RateMeter::default(),
                    shown_ms: now_ms(),
                };
                let peer = session.peer.clone();
                match session
                    .inbox
                    .offer(version, id, claimed_name, size, receiving)
                {
                    Ok(incoming) => Some(Ok((key, incoming.name().to_owned(), peer))),
                    Err(OfferRejection::Refuse(why)) => {
                        session.send_control(&Control::Cancel {
                            id,
                            from: Side::Receiver,
                            why,
                        });
                        Some(Err(()))
                    }
                    Err(OfferRejection::DuplicateId) => Some(Err(())),
                }
            })
            .flatten();
        if let Some(Ok((key, name, peer))) = accepted {
            self.push_row(TransferRow {
                attempt: Some(attempt),
                peer,
                ..TransferRow::new(key, Direction::Receiving, name, size, RowState::Running)
            });
        }
    }

    fn on_chunk(&self, attempt: AttemptId, buffer: &ArrayBuffer) {
        let mut hashing = None;
        let update = self
            .session_of(attempt, |session| {
                let FileSession { inbox, channel, .. } = session;
                let view = Uint8Array::new(buffer);
                let mut start = [0u8; CHUNK_START_BYTES];
                let start_len = (view.length() as usize).min(CHUNK_START_BYTES);
                view.subarray(0, start_len as u32)
                    .copy_to(&mut start[..start_len]);
                match inbox.chunk(&start[..start_len], view.length() as usize) {
                    ChunkOutcome::Accepted {
                        id,
                        seq,
                        received,
                        extra,
                    } => {
                        let payload =
                            Uint8Array::new_with_byte_offset(buffer, CHUNK_HEADER_BYTES as u32);
                        hashing = Some((id, seq, start_sha256(&payload)));
                        extra.parts.push(&payload);
                        extra.uncompacted += u64::from(payload.length());
                        if extra.uncompacted >= COMPACT_EVERY_BYTES {
                            compact(extra);
                        }
                        let now = now_ms();
                        extra.meter.record(now, received);
                        if now - extra.shown_ms >= PROGRESS_EVERY_MS {
                            extra.shown_ms = now;
                            Some(ChunkUpdate::Progress(extra.key, received, extra.meter))
                        } else {
                            None
                        }
                    }
                    ChunkOutcome::Ignored => None,
                    ChunkOutcome::Aborted { id, error, extra } => {
                        let _ = channel.send_text(
                            &Control::Cancel {
                                id,
                                from: Side::Receiver,
                                why: CancelReason::Protocol,
                            }
                            .encode(),
                        );
                        Some(ChunkUpdate::Failed(extra.key, error))
                    }
                }
            })
            .flatten();
        match update {
            Some(ChunkUpdate::Progress(key, received, meter)) => {
                self.set_progress(key, received, &meter)
            }
            Some(ChunkUpdate::Failed(key, error)) => {
                self.set_state(key, RowState::Failed(format!("Stopped: {error}")))
            }
            None => {}
        }
        if let Some((id, seq, pending)) = hashing {
            let this = *self;
            self.spawn_for(attempt, async move {
                let digest = match pending {
                    Ok(pending) => sha256_result(pending).await,
                    Err(error) => Err(error),
                };
                this.on_chunk_digest(attempt, id, seq, digest);
            });
        }
    }

    /// A chunk's digest is computed; the transfer ends here if `done` is in and this was the last.
    fn on_chunk_digest(
        &self,
        attempt: AttemptId,
        id: TransferId,
        seq: u32,
        digest: Result<ChunkDigest, TransferError>,
    ) {
        let finished = self
            .session_of(attempt, |session| {
                session.inbox.chunk_digest(id, seq, digest)
            })
            .flatten();
        if let Some(finished) = finished {
            self.finish_incoming(attempt, id, finished);
        }
    }

    fn on_done(&self, attempt: AttemptId, id: TransferId, claimed_digest: &str) {
        let finished = self
            .session_of(attempt, |session| session.inbox.done(id, claimed_digest))
            .flatten();
        if let Some(finished) = finished {
            self.finish_incoming(attempt, id, finished);
        }
    }

    /// Shows the outcome of a received file and tells the sender.
    fn finish_incoming(
        &self,
        attempt: AttemptId,
        id: TransferId,
        (verdict, receiving): Finished<Receiving>,
    ) {
        let key = receiving.key;
        let (state, ok) = match verdict {
            Ok(verified) => {
                let mime = verified
                    .image
                    .map(|image| image.mime())
                    // Never the peer's claim: a blob: URL of text/html would run in our origin.
                    .unwrap_or("application/octet-stream");
                match blob_url(&receiving.parts, mime) {
                    Ok(url) => {
                        self.urls.update_value(|urls| urls.push((key, url.clone())));
                        (
                            RowState::Received {
                                digest: verified.digest,
                                url,
                                image: verified.image.is_some(),
                            },
                            true,
                        )
                    }
                    Err(why) => (RowState::Failed(why), false),
                }
            }
            Err(error) => (RowState::Failed(mismatch_text(&error)), false),
        };
        if let Some(row) = self.row(key) {
            row.progress.set(Progress {
                done: row.size,
                detail: String::new(),
            });
            row.state.set(state);
        }
        self.session_of(attempt, |session| {
            session.send_control(&Control::Verdict { id, ok })
        });
    }
}

enum SendOutcome {
    Sent(String),
    /// Cancelled, or the connection changed: the row already says so.
    Stopped,
    Failed(String),
}

enum ChunkUpdate {
    Progress(u64, u64, RateMeter),
    Failed(u64, TransferError),
}

fn mismatch_text(error: &TransferError) -> String {
    format!("Not saved: {error}.")
}

/// Merges the parts into one Blob (by reference: the browser does not copy the bytes).
fn compact(receiving: &mut Receiving) {
    if let Ok(blob) = Blob::new_with_buffer_source_sequence(&receiving.parts) {
        let parts = Array::new();
        parts.push(&blob);
        receiving.parts = parts;
        receiving.uncompacted = 0;
    }
}

fn blob_url(parts: &Array, mime: &str) -> Result<String, String> {
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_buffer_source_sequence_and_options(parts, &options)
        .map_err(|_| "Not saved: the browser could not store the file.".to_owned())?;
    Url::create_object_url_with_blob(&blob)
        .map_err(|_| "Not saved: the browser could not store the file.".to_owned())
}

/// Starts reading bytes `start..end` of a file (into JS memory); see [`finish_read`].
fn start_read(file: &File, start: u64, end: u64) -> Result<JsFuture, String> {
    let blob = file
        .slice_with_f64_and_f64(start as f64, end as f64)
        .map_err(|_| UNREADABLE.to_owned())?;
    Ok(JsFuture::from(blob.array_buffer()))
}

async fn finish_read(reading: Result<JsFuture, String>) -> Result<Uint8Array, String> {
    let buffer = reading?.await.map_err(|_| UNREADABLE.to_owned())?;
    let buffer = buffer
        .dyn_into::<ArrayBuffer>()
        .map_err(|_| UNREADABLE.to_owned())?;
    let view = Uint8Array::new(&buffer);
    if view.length() == 0 {
        // The file shrank since it was chosen.
        return Err(TransferError::SourceChanged.to_string());
    }
    Ok(view)
}
