//! Groups are a part of the wasm of their own (README, "Shipped size"): `group.rs` and
//! `core::group` are code no one needs before a chat becomes a group, so they are fetched after
//! the first screen, when the live chat's peer says it can be in a group, or at the latest when
//! the first call into them comes.
//!
//! Every way into the group's code goes through [`TinCan::group`] with a [`GroupCall`]. While the
//! part is loading, calls wait in arrival order (a group frame from the first peer, a stored
//! group to restore) and run in that order once it is there. Once it is loaded a call runs at
//! once, in the same turn, as a plain call would: a draft sent in a group is taken or refused
//! before `send` returns. Calls that only make sense inside a group (`in_group()`, which only
//! the part's code can make true) therefore always find it loaded.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_split_helpers::{wasm_split, SplitLoaderError};

use super::attempt::AttemptId;
use super::TinCan;
use crate::core::group::is_group_frame;
use crate::core::signal::Signal;

/// Calls waiting for the part beyond this many are dropped: a peer flooding group frames while
/// the part loads cannot grow this tab's memory. The group's syncs bring back what was lost.
const MAX_WAITING: usize = 256;

const NOT_LOADED: &str = "The group's part of Tin Can could not be loaded: this browser could not fetch it. Check the connection; the next group action tries again.";

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

/// Where the part stands in this tab.
#[derive(Default)]
pub(super) struct GroupPart {
    loaded: bool,
    loading: bool,
    waiting: VecDeque<GroupCall>,
}

/// The one door into the part. `fallible`: a failed fetch is an `Err`, not a panic.
#[wasm_split(group, fallible, preload(load_group_part))]
fn group_part_call(tin_can: TinCan, call: GroupCall) -> Result<bool, SplitLoaderError> {
    Ok(tin_can.run_group_call(call))
}

/// Polls `future` once: a call into a loaded part completes in that poll (its loader is a
/// `OnceCell` already set, and the call itself is synchronous).
fn poll_now<F: Future + ?Sized>(future: Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

impl TinCan {
    /// Makes the call: now when the part is loaded (returning its answer), otherwise once it is
    /// (returning `None`).
    pub(super) fn group(&self, call: GroupCall) -> Option<bool> {
        let loaded = self
            .groups
            .part
            .try_update_value(|part| {
                if !part.loaded && part.waiting.len() < MAX_WAITING {
                    part.waiting.push_back(call);
                    return None;
                }
                Some(part.loaded.then_some(call))
            })
            .flatten();
        match loaded {
            Some(Some(call)) => self.group_now(call),
            // Dropped: too many waiting.
            Some(None) => None,
            None => {
                self.load_group_part();
                None
            }
        }
    }

    fn group_now(&self, call: GroupCall) -> Option<bool> {
        let mut future = Box::pin(group_part_call(*self, call));
        match poll_now(future.as_mut()) {
            Poll::Ready(result) => self.group_result(result),
            // Not expected once loaded; if it happens the call still runs, a turn later.
            Poll::Pending => {
                let this = *self;
                spawn_local(async move {
                    let result = future.await;
                    this.group_result(result);
                });
                None
            }
        }
    }

    fn group_result(&self, result: Result<bool, SplitLoaderError>) -> Option<bool> {
        match result {
            Ok(answer) => Some(answer),
            Err(_) => {
                self.notices.alert(NOT_LOADED);
                None
            }
        }
    }

    /// Fetches the part, if no one has yet, and then runs the calls that waited for it.
    pub(super) fn load_group_part(&self) {
        let start = self
            .groups
            .part
            .try_update_value(|part| {
                let start = !part.loaded && !part.loading;
                part.loading |= start;
                start
            })
            .unwrap_or(false);
        if !start {
            return;
        }
        let this = *self;
        spawn_local(async move {
            let loaded = load_group_part().await.is_ok();
            let waiting = this
                .groups
                .part
                .try_update_value(|part| {
                    part.loading = false;
                    part.loaded = loaded;
                    std::mem::take(&mut part.waiting)
                })
                .unwrap_or_default();
            if !loaded {
                if !waiting.is_empty() {
                    this.notices.alert(NOT_LOADED);
                }
                return;
            }
            if this
                .notices
                .alert
                .with_untracked(|alert| alert.as_deref() == Some(NOT_LOADED))
            {
                this.notices.alert.set(None);
            }
            for call in waiting {
                this.group_now(call);
            }
        });
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
