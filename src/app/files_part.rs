//! File transfers' running code is a part of the wasm of its own (README, "Shipped size"): the
//! send loop, the handlers of the files channel and everything they reach (`core::transfer`'s
//! checks, the framing, WebCrypto's hashing) are not needed before a chat is connected. The part
//! is fetched when a files channel opens; `files.rs` keeps the rows, the sessions and their
//! channels, which the rest of the app touches.
//!
//! Every way into the part goes through [`FileTransfers::files_call`] with a [`FilesCall`]
//! (`lazy_part.rs`): the channel's events wait in order while the part loads, so a peer that
//! sends a file the moment the channel opens loses nothing.

use leptos::prelude::*;
use wasm_split_helpers::{wasm_split, SplitLoaderError};
use web_sys::File;

use super::attempt::AttemptId;
use super::files::{FileTarget, FileTransfers};
use super::lazy_part::{Door, DoorCall, DoorLoad};
use crate::web::file_channel::FileChannelEvent;

/// Every event of a files channel counts (a chunk left out breaks the file), so none is dropped
/// while the part loads: what a peer can send meanwhile is bounded by the load's time.
const MAX_WAITING: usize = usize::MAX;

const NOT_LOADED: &str = "Files could not be loaded: this browser could not fetch that part of Tin Can. Check the connection; a file sent or attached meanwhile did not go through, so send it again.";

/// One call into the part.
pub(super) enum FilesCall {
    /// An event of the files channel of attempt `attempt`.
    Channel {
        attempt: AttemptId,
        event: FileChannelEvent,
    },
    /// Files to send to each target (and rows saying why not to each of `unreachable`).
    Send {
        files: Vec<File>,
        targets: Vec<FileTarget>,
        unreachable: Vec<String>,
    },
    /// The user cancelled the transfer of row `key`.
    Cancel(u64),
    /// The files waiting on attempt `attempt` may go (a hold was released).
    Pump(AttemptId),
}

/// The one door into the part. `fallible`: a failed fetch is an `Err`, not a panic.
#[wasm_split(files, fallible, preload(load_files_part))]
fn files_part_call(files: FileTransfers, call: FilesCall) -> Result<bool, SplitLoaderError> {
    if files.problem.with_untracked(Option::is_some) {
        files.problem.set(None);
    }
    files.run_files_call(call);
    Ok(false)
}

impl Door<FilesCall> for FileTransfers {
    fn max_waiting(self) -> usize {
        MAX_WAITING
    }

    fn enter(self, call: FilesCall) -> DoorCall {
        Box::pin(files_part_call(self, call))
    }

    fn load(self) -> DoorLoad {
        Box::pin(load_files_part())
    }

    fn failed(self) {
        self.problem.set(Some(NOT_LOADED.to_owned()));
    }
}

impl FileTransfers {
    /// Makes the call: now when the part is loaded, otherwise once it is.
    pub(super) fn files_call(&self, call: FilesCall) {
        self.part.call(*self, call);
    }

    /// Fetches the part now, if no one has yet: a files channel is opening.
    pub(super) fn prepare_files_part(&self) {
        self.part.load(*self);
    }

    /// Queues files to send to the live chat's peer, in order.
    pub fn send_files(&self, files: Vec<File>) {
        let targets = self
            .current()
            .map(|attempt| FileTarget {
                attempt,
                peer: None,
            })
            .into_iter()
            .collect();
        self.send_files_to(files, targets, &[]);
    }

    /// Queues files to send to each of `targets`, in order: one transfer per file and target,
    /// each checked by its receiver. Each of `unreachable` (members a group reaches only
    /// through others) gets a row that says why the file did not go to them.
    pub fn send_files_to(
        &self,
        files: Vec<File>,
        targets: Vec<FileTarget>,
        unreachable: &[String],
    ) {
        self.files_call(FilesCall::Send {
            files,
            targets,
            unreachable: unreachable.to_vec(),
        });
    }

    /// Stops a transfer on both sides.
    pub fn cancel(&self, key: u64) {
        self.files_call(FilesCall::Cancel(key));
    }
}
