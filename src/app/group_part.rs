//! Groups are a part of the wasm of their own (README, "Shipped size"): `group.rs` and
//! `core::group` are code no one needs before a chat becomes a group, so they are fetched after
//! the first screen, when the live chat's peer says it can be in a group, or at the latest when
//! the first call into them comes.
//!
//! Every way into the group's code goes through [`TinCan::group`] with a [`GroupCall`]
//! (`lazy_part.rs`: calls wait in order while the part loads, and run in the same turn once it
//! is there, so a draft sent in a group is taken or refused before `send` returns). Calls that
//! only make sense inside a group (`in_group()`, which only the part's code can make true)
//! always find it loaded.

use leptos::prelude::*;
use wasm_split_helpers::{wasm_split, SplitLoaderError};

use super::attempt::AttemptId;
use super::lazy_part::{Door, DoorCall, DoorLoad};
use super::TinCan;
use crate::core::group::is_group_frame;
use crate::core::signal::Signal;

/// Calls waiting for the part beyond this many are dropped: a peer flooding group frames while
/// the part loads cannot grow this tab's memory. The group's syncs bring back what was lost.
const MAX_WAITING: usize = 256;

const NOT_LOADED: &str = "The group's part of Tin Can could not be loaded: this browser could not fetch it. Check the connection; the next group message or action tries again.";

/// One call into the group's code.
pub(super) enum GroupCall {
    /// A frame on the live chat's connection that is not a two-person one but looks like a
    /// group's: admitted (or dropped) by the gate of attempt `attempt`, if that is still current.
    FirstPeerFrame {
        attempt: AttemptId,
        raw: String,
    },
    /// The conversation `id` on screen has a stored group log: the group comes back from it.
    Restore {
        id: String,
        log: String,
    },
    AddPerson,
    CancelAddPerson,
    UseAddPersonAnswer(String),
    /// An invite opened while live in the group: a member coming back.
    AnswerIntoGroup(Signal),
    /// The user types.
    Typing,
    /// The first peer's two-person typing notice (an app from before group notices).
    TypingFromFirstPeer,
    /// Returns whether the draft was taken.
    Send(String),
    /// Returns whether the group goes on with other members.
    GoesOnWithoutFirstPeer,
    SendFiles(Vec<web_sys::File>),
    Leave,
}

/// The one door into the part. `fallible`: a failed fetch is an `Err`, not a panic.
#[wasm_split(group, fallible, preload(load_group_part))]
fn group_part_call(tin_can: TinCan, call: GroupCall) -> Result<bool, SplitLoaderError> {
    if tin_can
        .notices
        .alert
        .with_untracked(|alert| alert.as_deref() == Some(NOT_LOADED))
    {
        tin_can.notices.alert.set(None);
    }
    Ok(tin_can.run_group_call(call))
}

impl Door<GroupCall> for TinCan {
    fn max_waiting(self) -> usize {
        MAX_WAITING
    }

    fn enter(self, call: GroupCall) -> DoorCall {
        Box::pin(group_part_call(self, call))
    }

    fn load(self) -> DoorLoad {
        Box::pin(load_group_part())
    }

    fn failed(self) {
        self.notices.alert(NOT_LOADED);
    }
}

impl TinCan {
    /// Makes the call: now when the part is loaded (returning its answer), otherwise once it is
    /// (returning `None`).
    pub(super) fn group(&self, call: GroupCall) -> Option<bool> {
        self.groups.part.call(*self, call)
    }

    /// Fetches the part now, if no one has yet: it will be there when the chat becomes a group.
    pub(super) fn prepare_group_part(&self) {
        self.groups.part.load(*self);
    }

    /// A frame the two-person gate did not take: a group's goes to the group's code.
    pub(super) fn on_other_frame(&self, attempt: AttemptId, raw: &str) {
        if is_group_frame(raw) {
            self.group(GroupCall::FirstPeerFrame {
                attempt,
                raw: raw.to_owned(),
            });
        }
    }

    /// After the conversation on screen changed: a group from another conversation ends, and a
    /// stored group comes back from its log (no connections yet: the sync of the next one
    /// brings what the others wrote meanwhile, and takes what was written here).
    pub(super) fn group_follows_conversation(&self) {
        let shown = self
            .chat
            .conversation
            .try_with_untracked(|c| {
                c.as_ref()
                    .map(|c| (c.id.clone(), c.group_log().map(str::to_owned)))
            })
            .flatten();
        let group_id = self.group_id();
        let Some((id, log)) = shown else {
            if group_id.is_some() {
                self.end_group();
            }
            return;
        };
        match group_id {
            Some(group_id) if group_id == id => return,
            Some(_) => self.end_group(),
            None => {}
        }
        if let Some(log) = log {
            self.group(GroupCall::Restore { id, log });
        }
    }

    /// "Add person" (the button): founds the group if this is still a two-person chat, then
    /// makes an invite link on a connection of its own.
    pub fn add_person(&self) {
        self.group(GroupCall::AddPerson);
    }

    /// Cancel on the "Add person" panel: its connection closes.
    pub fn cancel_add_person(&self) {
        self.group(GroupCall::CancelAddPerson);
    }

    /// The newcomer's answer link, pasted into the panel (or opened in this browser).
    pub fn use_add_person_answer(&self, pasted: &str) {
        self.group(GroupCall::UseAddPersonAnswer(pasted.to_owned()));
    }

    /// "Leave group": the others are told, and this tab starts over.
    pub fn leave_group(&self) {
        self.group(GroupCall::Leave);
    }

    /// Attached, dropped or pasted files: to the peer, or in a group to each member.
    pub fn send_files(&self, files: Vec<web_sys::File>) {
        if self.in_group() {
            self.group(GroupCall::SendFiles(files));
        } else {
            self.files.send_files(files);
        }
    }
}
