//! Group chats: the browser side of `core::group` (read its module doc first).
//!
//! A two-person chat becomes a group when either person presses "Add person": the group's id
//! is the conversation's id, so both hellos already named it. The live chat's connection (the
//! [`Attempt`] the rest of the app owns) stays the connection to that first peer; every other
//! member has a connection of its own here, a [`MemberLink`]: one made from an "Add person"
//! invite link, or one the group introduced (its offer and answer relayed over the members'
//! channels, no link). Group frames go on whichever connection reaches the member they are for.
//!
//! Everything here ends with the group: Start over, a new invite and Leave drop [`GroupState`],
//! and with it every member connection and every task of theirs.
//!
//! Files go member by member: each member connection opens a files channel of its own once
//! the member said hello, and a file attached in a group is sent on each of them (`files.rs`).
//! A member reached only through others gets no file: relaying bytes through a member is
//! what a group of phones should not ask of one of them, and the row says so.
//!
//! This code is a part of the wasm of its own: the rest of the app reaches it only through a
//! [`GroupCall`] (`group_part.rs`), and what it keeps in [`Groups`] for the main module (is there
//! a group, its id, the member connections' attempts) are plain reads.

use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::RtcPeerConnectionState;

use super::attempt::{Attempt, AttemptId};
use super::files::FileTarget;
use super::group_part::GroupCall;
use super::lazy_part::LazyPart;
use super::TinCan;
use crate::core::chat::prepare_draft;
use crate::core::group::{
    admit_group_frame, entries_from_json, entries_to_json, Body, Connect, Envelope, Group,
    GroupError, GroupFrame, Outcome, PairState, Reach, Receipt, GROUP_CAPABILITY,
};
use crate::core::outbox::TYPING_EVERY_MS;
use crate::core::protocol::{clean_name, Frame, CAPABILITIES, PROTOCOL_VERSION};
use crate::core::safety::{safety_code, Fingerprint};
use crate::core::session::Role;
use crate::core::signal::{self, InviteId, Signal, SignalKind};
use crate::core::small_sort::sort_small;
use crate::core::sorted_vec::SortedMap;
use crate::web::browser::{now_ms, random_invite_id};
use crate::web::peer::{Peer, PeerEvent};
use crate::web::timers::sleep_ms;

/// How often running introductions are checked for their deadline, and broken pairs for a
/// new introduction.
const TICK_MS: i32 = 2_000;

/// Receipts gather this long before one acknowledgement goes to every neighbour.
const ACK_DELAY_MS: i32 = 20;

/// How long "…is typing" stays up after a member's latest notice.
const TYPING_SHOWN_MS: i32 = 4_000;

/// The newcomer's connection must be up this long after their answer is applied.
const ADD_DEADLINE_MS: i32 = 15_000;

const ADD_FAILED: &str = "Could not connect to the new person: no path was found between your networks (a relay, a TURN server in Settings, may help). Press Add person to make a new link.";
const NOT_AN_ADD_ANSWER: &str =
    "That is not the answer to your Add person link: paste the answer link the new person sent back.";
const NOT_A_MEMBER: &str = "That invite link is not from a member of this group, so it was not answered here. Press Start over first to open it as a chat of its own.";
const ADD_IN_PROGRESS: &str = "Finish or cancel Add person first, then open the link again.";

/// One line of the group's log as the screen shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupLine {
    /// Author and number: unique in the group, the list's key.
    pub key: (String, u64),
    /// The author's display name ("You" for this browser).
    pub author: String,
    pub mine: bool,
    pub at_ms: f64,
    pub what: LineKind,
    /// Own messages: how many of the others have it.
    pub receipt: Option<Receipt>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum LineKind {
    Text(String),
    /// "Ann added Bob".
    Added(String),
    Left,
}

/// One row of the member list.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MemberRow {
    pub id: String,
    pub name: String,
    pub me: bool,
    /// "me", "direct", "via", "unreachable": for tests and styles.
    pub reach: &'static str,
    /// "Direct", "Through Bob", "Not reachable", "Connecting…".
    pub reach_label: String,
    /// The safety code of our own direct connection with this member.
    pub safety_code: Option<String>,
    pub added_by: String,
    /// Where an introduction to this member stands ("offer-sent", "failed", …), for tests and
    /// for the curious (the row's `data-introduction`).
    pub introduction: Option<&'static str>,
}

/// Where "Add person" stands.
#[derive(Clone, Debug, PartialEq)]
pub enum AddPerson {
    Closed,
    /// The offer is being made.
    Preparing,
    /// The invite link is out; the answer is awaited.
    Invite {
        link: String,
    },
    /// The answer is applied; the newcomer's connection is coming up.
    Connecting,
    /// A member's Reconnect link was opened here: our answer link is out, for them to open.
    Answer {
        link: String,
    },
}

/// The group on screen, if the chat is one. `Copy`: arena handles.
#[derive(Clone, Copy)]
pub struct Groups {
    /// This chat is a group.
    pub active: RwSignal<bool>,
    pub lines: RwSignal<Vec<GroupLine>>,
    pub members: RwSignal<Vec<MemberRow>>,
    pub add: RwSignal<AddPerson>,
    /// Why the latest "Add person" did not work.
    pub add_problem: RwSignal<Option<String>>,
    /// The live chat's peer said it can be in a group (its hello's capabilities).
    pub peer_can_group: RwSignal<bool>,
    /// Names of the members typing now.
    pub typing: RwSignal<Vec<String>>,
    state: StoredValue<Option<GroupState>, LocalStorage>,
    /// Bumped when a group ends: its tick loop and pending acknowledgement see it and stop.
    generation: StoredValue<u64>,
    /// The group's part of the wasm (`group_part.rs`).
    pub(super) part: LazyPart<GroupCall>,
}

impl Groups {
    pub(super) fn new() -> Self {
        Self {
            active: RwSignal::new(false),
            lines: RwSignal::new(Vec::new()),
            members: RwSignal::new(Vec::new()),
            add: RwSignal::new(AddPerson::Closed),
            add_problem: RwSignal::new(None),
            peer_can_group: RwSignal::new(false),
            typing: RwSignal::new(Vec::new()),
            state: StoredValue::new_local(None),
            generation: StoredValue::new(0),
            part: LazyPart::new(),
        }
    }

    /// Runs `act` on the member connection of attempt `id`, while it lives.
    pub(super) fn with_member_attempt<R>(
        &self,
        id: AttemptId,
        act: impl FnOnce(&mut Attempt) -> R,
    ) -> Option<R> {
        self.state
            .try_update_value(|state| {
                let link = state
                    .as_mut()?
                    .links
                    .values_mut()
                    .find(|link| link.attempt.id == id)?;
                Some(act(&mut link.attempt))
            })
            .flatten()
    }

    /// Whether any member connection has a files channel.
    pub(super) fn any_member_files(&self) -> bool {
        self.state
            .try_with_value(|state| {
                state.as_ref().is_some_and(|state| {
                    state
                        .links
                        .values()
                        .any(|link| link.attempt.files.is_some())
                })
            })
            .unwrap_or(false)
    }
}

/// A member's connection, other than the live chat's.
struct MemberLink {
    attempt: Attempt,
    /// The member this connection is for: known in advance for an introduction, from the hello
    /// for an "Add person" link.
    member: Option<String>,
}

/// Which member connection an event is about.
#[derive(Clone, Debug, PartialEq)]
enum Slot {
    Member(String),
    /// The "Add person" connection, before the newcomer's hello.
    Adding,
}

struct GroupState {
    group: Group,
    links: SortedMap<String, MemberLink>,
    adding: Option<(InviteId, MemberLink)>,
    /// Our own certificate's fingerprint, as each member's connection proved it.
    local_fingerprints: SortedMap<String, Fingerprint>,
    ack_scheduled: bool,
    /// When our latest typing notice went.
    typing_sent_ms: Option<f64>,
    /// Members typing, each with the number of its latest notice (a newer one keeps it shown).
    typing: SortedMap<String, u64>,
    typing_notices: u64,
}

impl GroupState {
    fn new(group: Group, local_fingerprints: SortedMap<String, Fingerprint>) -> Self {
        Self {
            group,
            links: SortedMap::new(),
            adding: None,
            local_fingerprints,
            ack_scheduled: false,
            typing_sent_ms: None,
            typing: SortedMap::new(),
            typing_notices: 0,
        }
    }

    fn link(&self, slot: &Slot) -> Option<&MemberLink> {
        match slot {
            Slot::Member(member) => self.links.get(member),
            Slot::Adding => self.adding.as_ref().map(|(_, link)| link),
        }
    }

    /// Where the connection of attempt `id` is now: an "Add person" link moves to the members
    /// once the newcomer said hello.
    fn slot_of(&self, id: AttemptId) -> Option<Slot> {
        if self
            .adding
            .as_ref()
            .is_some_and(|(_, link)| link.attempt.id == id)
        {
            return Some(Slot::Adding);
        }
        self.links
            .iter()
            .find(|(_, link)| link.attempt.id == id)
            .map(|(member, _)| Slot::Member(member.clone()))
    }

    fn link_mut(&mut self, slot: &Slot) -> Option<&mut MemberLink> {
        match slot {
            Slot::Member(member) => self.links.get_mut(member),
            Slot::Adding => self.adding.as_mut().map(|(_, link)| link),
        }
    }
}

impl TinCan {
    fn with_group<R>(&self, act: impl FnOnce(&GroupState) -> R) -> Option<R> {
        self.groups
            .state
            .try_with_value(|state| state.as_ref().map(act))
            .flatten()
    }

    fn with_group_mut<R>(&self, act: impl FnOnce(&mut GroupState) -> R) -> Option<R> {
        self.groups
            .state
            .try_update_value(|state| state.as_mut().map(act))
            .flatten()
    }

    pub fn in_group(&self) -> bool {
        self.with_group(|_| ()).is_some()
    }

    /// The group's id (its conversation's), while there is a group.
    pub(super) fn group_id(&self) -> Option<String> {
        self.with_group(|state| state.group.id().to_owned())
    }

    /// What the part does with each call (`group_part.rs`); the answer is `send`'s "taken" and
    /// `GoesOnWithoutFirstPeer`'s "goes on", `false` for the others.
    pub(super) fn run_group_call(&self, call: GroupCall) -> bool {
        match call {
            GroupCall::FirstPeerFrame { attempt, raw } => self.on_first_peer_frame(attempt, &raw),
            GroupCall::Restore { id, log } => self.restore_group(&id, &log),
            GroupCall::AddPerson => self.make_add_person_invite(),
            GroupCall::CancelAddPerson => self.close_add_person(None),
            GroupCall::UseAddPersonAnswer(pasted) => self.take_add_person_answer(&pasted),
            GroupCall::AnswerIntoGroup(invite) => self.answer_into_group(invite),
            GroupCall::Typing => self.group_typing(),
            GroupCall::TypingFromFirstPeer => self.group_typing_from_first_peer(),
            GroupCall::Send(draft) => return self.send_to_group(&draft),
            GroupCall::GoesOnWithoutFirstPeer => return self.group_goes_on_without_first_peer(),
            GroupCall::SendFiles(files) => self.send_files_to_members(files),
            GroupCall::Leave => self.leave_and_start_over(),
        }
        false
    }

    /// The live chat's peer, as a member: its browser id and what the connection proved.
    /// The browser id of the live chat's peer: the group's first connection (the other ones
    /// are [`MemberLink`]s).
    fn first_peer_id(&self) -> Option<String> {
        self.chat
            .conversation
            .with_untracked(|c| c.as_ref().and_then(|c| c.peer_id.clone()))
    }

    fn first_peer(&self) -> Option<(String, Option<Fingerprint>, Option<Fingerprint>)> {
        let peer = self.first_peer_id()?;
        let (local, remote) = self.with_attempt(|attempt| {
            let local = attempt
                .peer
                .local_sdp()
                .and_then(|sdp| Fingerprint::from_sdp(&sdp));
            (local, attempt.remote_fingerprint.clone())
        })?;
        Some((peer, local, remote))
    }

    /// Ends the group: every member connection closes, its tasks stop.
    pub(super) fn end_group(&self) {
        self.groups.generation.update_value(|g| *g += 1);
        let ended = self.groups.state.try_update_value(Option::take).flatten();
        self.close_connections(ended);
        self.groups.active.set(false);
        self.groups.lines.set(Vec::new());
        self.groups.members.set(Vec::new());
        self.groups.add.set(AddPerson::Closed);
        self.groups.add_problem.set(None);
        self.groups.typing.set(Vec::new());
    }

    /// The stored group of conversation `id` comes back from its log, if that conversation is
    /// still the one on screen and no group runs yet (the call may have waited for the part).
    fn restore_group(&self, id: &str, log: &str) {
        let shown = self
            .chat
            .conversation
            .with_untracked(|c| c.as_ref().is_some_and(|c| c.id == id));
        if !shown || self.in_group() {
            return;
        }
        let entries = match entries_from_json(log) {
            Ok(entries) => entries,
            Err(_) => return,
        };
        if let Ok(group) = Group::restore(id, &self.chat.my_id(), entries, now_ms()) {
            self.start_group(GroupState::new(group, SortedMap::new()));
            self.show_group();
        }
    }

    /// The live chat's peer listed its capabilities. One that can be in a group may make this
    /// chat one at any moment: the group's part is fetched now, so it is there when needed.
    pub(super) fn on_peer_group_capability(&self, caps: &[String]) {
        let can_group = caps.iter().any(|c| c == GROUP_CAPABILITY);
        self.groups.peer_can_group.set(can_group);
        if can_group {
            self.prepare_group_part();
        }
    }

    /// Starts the group from the two-person chat: this browser founds it and adds the peer.
    fn found_group(&self) -> Result<(), String> {
        if self.in_group() {
            return Ok(());
        }
        let conversation = self
            .chat
            .conversation
            .with_untracked(|c| c.as_ref().map(|c| (c.id.clone(), c.peer_name.clone())));
        let (Some((id, peer_name)), Some((peer, local, remote))) =
            (conversation, self.first_peer())
        else {
            return Err("Add person works in a live chat.".to_owned());
        };
        let now = now_ms();
        let name = self.my_name();
        let mut group = Group::found(&id, &self.chat.my_id(), name.as_deref(), now)
            .map_err(|e| e.to_string())?;
        let mut send = group
            .add_member(&peer, peer_name.as_deref(), now)
            .map_err(|e| e.to_string())?;
        send.extend(
            group
                .neighbor_up(&peer, remote, now)
                .map_err(|e| e.to_string())?,
        );
        let mut local_fingerprints = SortedMap::new();
        if let Some(local) = local {
            local_fingerprints.insert(peer, local);
        }
        self.start_group(GroupState::new(group, local_fingerprints));
        self.deliver(send);
        self.after_group_change();
        Ok(())
    }

    fn my_name(&self) -> Option<String> {
        clean_name(&self.settings.with_untracked(|s| s.display_name.clone()))
    }

    fn start_group(&self, state: GroupState) {
        self.groups.state.set_value(Some(state));
        self.groups.active.set(true);
        let generation = self.groups.generation.get_value();
        let this = *self;
        spawn_local(async move {
            loop {
                sleep_ms(TICK_MS).await;
                if this.groups.generation.try_get_value() != Some(generation) {
                    return;
                }
                let connect = this
                    .with_group_mut(|state| state.group.tick(now_ms()))
                    .unwrap_or_default();
                for step in connect {
                    this.connect_step(step);
                }
                this.after_group_change();
            }
        });
    }

    /// "Add person": founds the group if this is still a two-person chat, then makes an invite
    /// link on a connection of its own.
    fn make_add_person_invite(&self) {
        self.groups.add_problem.set(None);
        if let Err(problem) = self.found_group() {
            self.groups.add_problem.set(Some(problem));
            return;
        }
        let Some(invite_id) = random_invite_id() else {
            self.groups.add_problem.set(Some(
                "This browser could not make a random invite id.".to_owned(),
            ));
            return;
        };
        let Some(peer) = self.new_member_link(Slot::Adding, Role::Inviter, Some(invite_id)) else {
            return;
        };
        self.groups.add.set(AddPerson::Preparing);
        let this = *self;
        self.spawn_on_link(&Slot::Adding, async move {
            match peer.create_offer().await {
                Ok(sdp) => {
                    let link = super::link_for(SignalKind::Invite, invite_id, sdp);
                    this.groups.add.set(AddPerson::Invite { link });
                }
                Err(error) => this.add_failed(error.to_string()),
            }
        });
    }

    fn add_failed(&self, why: impl Into<String>) {
        self.close_add_person(Some(why.into()));
    }

    /// Closes the "Add person" panel and its connection, saying `problem` if there is one.
    fn close_add_person(&self, problem: Option<String>) {
        let adding = self.with_group_mut(|state| state.adding.take()).flatten();
        self.close_connections(adding);
        self.groups.add.set(AddPerson::Closed);
        self.groups.add_problem.set(problem);
    }

    /// Closes member connections taken out of the group's state (dropped here, outside its
    /// borrow: their `Drop` closes them), and stops the transfers that ran on them.
    fn close_connections<T>(&self, taken: Option<T>) {
        if taken.is_some() {
            drop(taken);
            self.files.sessions_gone();
        }
    }

    /// The invite id of the "Add person" link that is out, if any.
    pub(super) fn adding_invite(&self) -> Option<InviteId> {
        self.with_group(|state| state.adding.as_ref().map(|(id, _)| *id))
            .flatten()
    }

    /// The newcomer's answer link, pasted into the panel (or opened in this browser).
    fn take_add_person_answer(&self, pasted: &str) {
        let answer = match signal::decode(pasted) {
            Ok(answer) => answer,
            Err(error) => {
                self.groups.add_problem.set(Some(error.to_string()));
                return;
            }
        };
        if answer.kind != SignalKind::Answer
            || Some(answer.invite_id) != self.adding_invite()
            || self.groups.add.get_untracked() == AddPerson::Connecting
        {
            self.groups
                .add_problem
                .set(Some(NOT_AN_ADD_ANSWER.to_owned()));
            return;
        }
        self.groups.add_problem.set(None);
        let Some(applied) = self
            .with_group(|state| {
                state
                    .link(&Slot::Adding)
                    .map(|link| link.attempt.peer.apply_answer(&answer.sdp))
            })
            .flatten()
        else {
            return;
        };
        self.groups.add.set(AddPerson::Connecting);
        let this = *self;
        self.spawn_on_link(&Slot::Adding, async move {
            if let Err(error) = applied.await {
                this.add_failed(error.to_string());
                return;
            }
            sleep_ms(ADD_DEADLINE_MS).await;
            if this.groups.add.get_untracked() == AddPerson::Connecting {
                this.add_failed(ADD_FAILED);
            }
        });
    }

    /// An invite link opened while this tab is live in the group: a member coming back (its
    /// Reconnect link, which may go to any member) is answered on a connection of its own,
    /// and the group takes that member back once its hello names it. Anyone else is turned
    /// away then: a live group is not the place to start another chat.
    fn answer_into_group(&self, invite: Signal) {
        if self.groups.add.get_untracked() != AddPerson::Closed {
            self.groups
                .add_problem
                .set(Some(ADD_IN_PROGRESS.to_owned()));
            return;
        }
        self.groups.add_problem.set(None);
        let Some(peer) = self.new_member_link(Slot::Adding, Role::Invitee, Some(invite.invite_id))
        else {
            return;
        };
        self.groups.add.set(AddPerson::Preparing);
        let offer = peer.apply_offer(&invite.sdp);
        let this = *self;
        self.spawn_on_link(&Slot::Adding, async move {
            match peer.answer_offer(offer).await {
                Ok(sdp) => this.groups.add.set(AddPerson::Answer {
                    link: super::link_for(SignalKind::Answer, invite.invite_id, sdp),
                }),
                Err(error) => this.add_failed(error.to_string()),
            }
        });
    }

    /// A new member connection in `slot` (replacing one there); returns its peer connection.
    fn new_member_link(
        &self,
        slot: Slot,
        role: Role,
        invite: Option<InviteId>,
    ) -> Option<std::rc::Rc<Peer>> {
        self.connection.last_attempt.update_value(|id| *id += 1);
        let id: AttemptId = self.connection.last_attempt.get_value();
        let this = *self;
        let settings = self.settings.get_untracked();
        let certificate = self.identity.certificate();
        let peer = match Peer::new(&settings, certificate.as_ref(), move |event| {
            this.on_member_event(id, event)
        }) {
            Ok(peer) => peer,
            Err(error) => {
                self.groups.add_problem.set(Some(error.to_string()));
                return None;
            }
        };
        let link = MemberLink {
            attempt: Attempt::new(id, role, peer),
            member: match &slot {
                Slot::Member(member) => Some(member.clone()),
                Slot::Adding => None,
            },
        };
        let peer = link.attempt.peer.clone();
        // The replaced connection is dropped outside the borrow.
        let replaced = self
            .with_group_mut(|state| match (&slot, invite) {
                (Slot::Member(member), _) => state
                    .links
                    .insert(member.clone(), link)
                    .map(|old| old.attempt),
                (Slot::Adding, Some(invite)) => state
                    .adding
                    .replace((invite, link))
                    .map(|(_, old)| old.attempt),
                (Slot::Adding, None) => None,
            })
            .flatten();
        self.close_connections(replaced);
        Some(peer)
    }

    /// Runs `task` as a task of the connection in `slot`: it stops when that connection goes.
    fn spawn_on_link(&self, slot: &Slot, task: impl std::future::Future<Output = ()> + 'static) {
        self.with_group(|state| {
            if let Some(link) = state.link(slot) {
                link.attempt.spawn(task);
            }
        });
    }

    fn on_member_event(&self, id: AttemptId, event: PeerEvent) {
        // A connection that was replaced or closed has no slot: its late events do nothing.
        let Some(slot) = self.with_group(|state| state.slot_of(id)).flatten() else {
            return;
        };
        let slot = &slot;
        match event {
            PeerEvent::ChannelOpen => self.send_group_hello(slot),
            PeerEvent::Message(raw) => self.on_member_frame(slot, &raw),
            PeerEvent::ChannelClosed
            | PeerEvent::State(RtcPeerConnectionState::Failed | RtcPeerConnectionState::Closed) => {
                self.member_link_down(slot)
            }
            PeerEvent::State(_) | PeerEvent::NegotiationNeeded => {}
        }
    }

    /// Our hello on a member connection: the group's id, like the two-person hello.
    fn send_group_hello(&self, slot: &Slot) {
        let Some(group_id) = self.with_group(|state| state.group.id().to_owned()) else {
            return;
        };
        let hello = Frame::Hello {
            v: PROTOCOL_VERSION,
            conversation: group_id,
            peer: self.chat.my_id(),
            name: self.my_name(),
            received: 0,
            caps: CAPABILITIES.iter().map(|c| (*c).to_owned()).collect(),
        }
        .encode();
        self.with_group(|state| {
            if let Some(link) = state.link(slot) {
                let _ = link.attempt.peer.send(&hello);
            }
        });
    }

    fn on_member_frame(&self, slot: &Slot, raw: &str) {
        enum Got {
            Hello(String, Option<String>),
            /// On our answer to someone's invite: a hello for another conversation.
            NotAMember,
            Group(String, GroupFrame),
            Typing(String),
            Bye,
            Nothing,
        }
        let got = self
            .with_group_mut(|state| {
                let group_id = state.group.id().to_owned();
                let Some(link) = state.link_mut(slot) else {
                    return Got::Nothing;
                };
                match link.attempt.gate.admit(raw) {
                    Some(Frame::Hello {
                        conversation,
                        peer,
                        name,
                        ..
                    }) => {
                        let expected = link.member.as_ref().is_none_or(|m| *m == peer);
                        if conversation == group_id && expected {
                            Got::Hello(peer, name)
                        } else if *slot == Slot::Adding && link.attempt.role == Role::Invitee {
                            Got::NotAMember
                        } else {
                            link.attempt.gate.drop_one();
                            Got::Nothing
                        }
                    }
                    Some(Frame::Bye) => Got::Bye,
                    Some(Frame::Typing) if link.attempt.gate.greeted() => {
                        link.member.clone().map_or(Got::Nothing, Got::Typing)
                    }
                    Some(_) => Got::Nothing,
                    None => match (
                        admit_group_frame(&mut link.attempt.gate, raw),
                        link.member.clone(),
                    ) {
                        (Some(frame), Some(member)) => Got::Group(member, frame),
                        _ => Got::Nothing,
                    },
                }
            })
            .unwrap_or(Got::Nothing);
        match got {
            Got::Hello(peer, name) => self.on_member_hello(slot, peer, name),
            // Our answer to an invite reached someone who is not a member: it closes.
            Got::NotAMember => self.add_failed(NOT_A_MEMBER),
            Got::Group(member, frame) => self.receive_group_frame(&member, frame),
            Got::Bye => self.member_link_down(slot),
            Got::Typing(member) => self.group_typing_from(&member),
            Got::Nothing => {}
        }
    }

    /// A member connection's hello named the member we expected (or, on an "Add person" link,
    /// the newcomer): it becomes a neighbour.
    fn on_member_hello(&self, slot: &Slot, peer: String, name: Option<String>) {
        if peer == self.chat.my_id() {
            return;
        }
        let now = now_ms();
        let mut replaced = None;
        let mut refused = None;
        let outcome = self.with_group_mut(|state| {
            if *slot == Slot::Adding {
                // The newcomer: its connection moves from "adding" to the members.
                let (invite, mut link) = state.adding.take()?;
                // Our answer to someone's invite takes back a member, and no one else.
                if link.attempt.role == Role::Invitee && !state.group.roster().is_present(&peer) {
                    refused = Some((invite, link));
                    return None;
                }
                link.member = Some(peer.clone());
                replaced = state.links.insert(peer.clone(), link);
            }
            let link = state.links.get_mut(&peer)?;
            let attempt = link.attempt.id;
            link.attempt.gate.accept_hello();
            let local = link
                .attempt
                .peer
                .local_sdp()
                .and_then(|sdp| Fingerprint::from_sdp(&sdp));
            let remote = link
                .attempt
                .peer
                .remote_sdp()
                .and_then(|sdp| Fingerprint::from_sdp(&sdp));
            if let Some(local) = local {
                state.local_fingerprints.insert(peer.clone(), local);
            }
            let mut send = Vec::new();
            let mut problem = None;
            if *slot == Slot::Adding {
                match state.group.add_member(&peer, name.as_deref(), now) {
                    Ok(more) => send.extend(more),
                    // Someone coming back: already a member, just a new connection.
                    Err(GroupError::AlreadyMember) => {}
                    Err(error) => problem = Some(error.to_string()),
                }
            }
            match state.group.neighbor_up(&peer, remote, now) {
                Ok(more) => send.extend(more),
                Err(error) => problem = Some(error.to_string()),
            }
            Some((send, problem, attempt))
        });
        self.close_connections(replaced);
        if refused.is_some() {
            self.close_connections(refused);
            self.add_failed(NOT_A_MEMBER);
            return;
        }
        let Some(Some((send, problem, attempt))) = outcome else {
            return;
        };
        // Both sides open the member's files channel once they know who is at the other end.
        let name = name.or_else(|| self.member_name(&peer));
        self.files.attach_to(attempt, name);
        if *slot == Slot::Adding {
            self.groups.add.set(AddPerson::Closed);
            self.groups.add_problem.set(problem);
        }
        self.deliver(send);
        self.after_group_change();
    }

    /// A member connection closed or failed.
    fn member_link_down(&self, slot: &Slot) {
        if *slot == Slot::Adding {
            if matches!(
                self.groups.add.get_untracked(),
                AddPerson::Connecting | AddPerson::Answer { .. }
            ) {
                self.add_failed(ADD_FAILED);
            }
            return;
        }
        let now = now_ms();
        let (send, gone) = self
            .with_group_mut(|state| {
                let Slot::Member(member) = slot else {
                    return (Vec::new(), None);
                };
                let gone = state.links.remove(member);
                (state.group.neighbor_down(member, now), gone)
            })
            .unwrap_or_default();
        self.close_connections(gone);
        self.deliver(send);
        self.after_group_change();
    }

    /// A frame that looks like a group's on the live chat's connection of attempt `attempt`:
    /// its gate admits or drops it, if that attempt is still the current one.
    fn on_first_peer_frame(&self, attempt: AttemptId, raw: &str) {
        let admitted = self
            .with_attempt_mut(|current| {
                (current.id == attempt)
                    .then(|| admit_group_frame(&mut current.gate, raw))
                    .flatten()
            })
            .flatten();
        self.show_dropped();
        if let Some(frame) = admitted {
            self.on_first_peer_group_frame(frame);
        }
    }

    /// A group frame on the live chat's connection (past its gate). The first one from the
    /// peer of a two-person chat means the peer made it a group: this browser joins it.
    fn on_first_peer_group_frame(&self, frame: GroupFrame) {
        let Some((peer, local, remote)) = self.first_peer() else {
            return;
        };
        if !self.in_group() {
            let Some(id) = self
                .chat
                .conversation
                .with_untracked(|c| c.as_ref().map(|c| c.id.clone()))
            else {
                return;
            };
            let Ok(mut group) = Group::join(&id, &self.chat.my_id()) else {
                return;
            };
            let Ok(send) = group.neighbor_up(&peer, remote, now_ms()) else {
                return;
            };
            let mut local_fingerprints = SortedMap::new();
            if let Some(local) = local {
                local_fingerprints.insert(peer.clone(), local);
            }
            self.start_group(GroupState::new(group, local_fingerprints));
            self.deliver(send);
        } else if self.with_group(|state| !state.group.neighbors().contains(&peer)) == Some(true) {
            // A restored group, back through this connection.
            let send = self
                .with_group_mut(|state| {
                    if let Some(local) = local {
                        state.local_fingerprints.insert(peer.clone(), local);
                    }
                    state.group.neighbor_up(&peer, remote, now_ms())
                })
                .and_then(Result::ok)
                .unwrap_or_default();
            self.deliver(send);
        }
        self.receive_group_frame(&peer, frame);
    }

    /// The live chat's peer is gone while in a group: it leaves the mesh, and the group goes on
    /// if other members are still connected. Returns whether it does.
    fn group_goes_on_without_first_peer(&self) -> bool {
        let Some(peer) = self.first_peer_id() else {
            return false;
        };
        let Some((send, others)) = self.with_group_mut(|state| {
            let send = state.group.neighbor_down(&peer, now_ms());
            (send, !state.group.neighbors().is_empty())
        }) else {
            return false;
        };
        self.deliver(send);
        self.after_group_change();
        others
    }

    fn receive_group_frame(&self, from: &str, frame: GroupFrame) {
        let now = now_ms();
        let outcome = self.with_group_mut(|state| state.group.receive(from, frame, now));
        let Some(Ok(outcome)) = outcome else {
            // Refused by the group's rules (a hostile or confused member): nothing happens.
            return;
        };
        self.apply_outcome(outcome);
    }

    fn apply_outcome(&self, outcome: Outcome) {
        let Outcome {
            send,
            connect,
            delivered,
            typing,
        } = outcome;
        self.deliver(send);
        for step in connect {
            self.connect_step(step);
        }
        if let Some(member) = typing {
            self.group_typing_from(&member);
        }
        if !delivered.is_empty() {
            // A message from someone ends their "typing".
            let wrote = self
                .with_group_mut(|state| {
                    let mut wrote = false;
                    for entry in state.group.history().get(delivered.clone()).unwrap_or(&[]) {
                        wrote |= state.typing.remove(&entry.author).is_some();
                    }
                    wrote
                })
                .unwrap_or(false);
            if wrote {
                self.show_group_typing();
            }
            self.group_acknowledge_soon();
        }
        self.after_group_change();
    }

    /// What an introduction asks of this browser.
    fn connect_step(&self, step: Connect) {
        match step {
            Connect::MakeOffer { other } => {
                let slot = Slot::Member(other.clone());
                let Some(peer) = self.new_member_link(slot.clone(), Role::Inviter, None) else {
                    return;
                };
                let this = *self;
                self.spawn_on_link(&slot, async move {
                    let Ok(sdp) = peer.create_offer().await else {
                        return;
                    };
                    let envelope = this
                        .with_group_mut(|state| state.group.offer_made(&other, sdp))
                        .and_then(Result::ok);
                    this.deliver(envelope.into_iter().collect());
                });
            }
            Connect::TakeOffer { other, sdp } => {
                let slot = Slot::Member(other.clone());
                let Some(peer) = self.new_member_link(slot.clone(), Role::Invitee, None) else {
                    return;
                };
                let offer = peer.apply_offer(&sdp);
                let this = *self;
                self.spawn_on_link(&slot, async move {
                    let Ok(sdp) = peer.answer_offer(offer).await else {
                        return;
                    };
                    let envelope = this
                        .with_group_mut(|state| state.group.answer_made(&other, sdp))
                        .and_then(Result::ok);
                    this.deliver(envelope.into_iter().collect());
                });
            }
            Connect::TakeAnswer { other, sdp } => {
                let slot = Slot::Member(other);
                let applied = self
                    .with_group(|state| {
                        state
                            .link(&slot)
                            .map(|link| link.attempt.peer.apply_answer(&sdp))
                    })
                    .flatten();
                if let Some(applied) = applied {
                    // A refused answer leaves the connection down; the introduction times out.
                    self.spawn_on_link(&slot, async move {
                        let _ = applied.await;
                    });
                }
            }
            Connect::GiveUp { other } => {
                let gone = self
                    .with_group_mut(|state| {
                        let greeted = state
                            .links
                            .get(&other)
                            .is_some_and(|link| link.attempt.gate.greeted());
                        (!greeted).then(|| state.links.remove(&other)).flatten()
                    })
                    .flatten();
                self.close_connections(gone);
            }
        }
    }

    /// Puts each frame on the connection to its member; one with no open connection is
    /// dropped (the sync of the next connection makes up for it).
    fn deliver(&self, envelopes: Vec<Envelope>) {
        if envelopes.is_empty() {
            return;
        }
        let first_peer = self.first_peer_id();
        for Envelope { to, frame } in envelopes {
            let raw = frame.encode();
            let sent = self
                .with_group(|state| {
                    state
                        .links
                        .get(&to)
                        .filter(|link| link.attempt.gate.greeted())
                        .map(|link| link.attempt.peer.send(&raw).is_ok())
                })
                .flatten();
            if sent.is_none() && first_peer.as_deref() == Some(to.as_str()) {
                self.with_attempt(|attempt| attempt.peer.send(&raw));
            }
        }
    }

    fn group_acknowledge_soon(&self) {
        let scheduled = self
            .with_group_mut(|state| std::mem::replace(&mut state.ack_scheduled, true))
            .unwrap_or(true);
        if scheduled {
            return;
        }
        let generation = self.groups.generation.get_value();
        let this = *self;
        spawn_local(async move {
            sleep_ms(ACK_DELAY_MS).await;
            if this.groups.generation.try_get_value() != Some(generation) {
                return;
            }
            let send = this
                .with_group_mut(|state| {
                    state.ack_scheduled = false;
                    state.group.acknowledge()
                })
                .unwrap_or_default();
            this.deliver(send);
        });
    }

    /// After every change: introduce the pairs this browser should introduce, and show the
    /// group as it is now.
    fn after_group_change(&self) {
        let now = now_ms();
        let send = self
            .with_group_mut(|state| {
                let due = state.group.introductions_due(now);
                let mut send = Vec::new();
                for (a, b) in due {
                    if let Ok(more) = state.group.introduce(&a, &b, now) {
                        send.extend(more);
                    }
                }
                send
            })
            .unwrap_or_default();
        self.deliver(send);
        self.name_first_peer_files();
        self.show_group();
    }

    /// Rows of files with the live chat's peer name it, once the chat is a group.
    fn name_first_peer_files(&self) {
        let Some(attempt) = self.with_attempt(|attempt| attempt.id) else {
            return;
        };
        let name = self
            .first_peer_id()
            .and_then(|peer| self.member_name(&peer));
        self.files.name_peer(attempt, name);
    }

    /// A member's display name, as the member list shows it.
    fn member_name(&self, id: &str) -> Option<String> {
        self.with_group(|state| {
            state
                .group
                .roster()
                .record(id)
                .map(|record| display_name(record.name.as_deref(), id))
        })
        .flatten()
    }

    /// Where a file attached in the group goes: every member connected directly (on the
    /// connection to that member); and who it cannot go to.
    fn group_file_targets(&self) -> (Vec<FileTarget>, Vec<String>) {
        let first_peer = self.first_peer_id();
        let first_attempt = self.with_attempt(|attempt| attempt.id);
        self.with_group(|state| {
            let me = state.group.me().to_owned();
            let mut targets = Vec::new();
            let mut unreachable = Vec::new();
            for view in state.group.members() {
                if view.id == me {
                    continue;
                }
                let name = display_name(view.name.as_deref(), &view.id);
                let attempt = match state.links.get(&view.id) {
                    Some(link) if link.attempt.gate.greeted() => Some(link.attempt.id),
                    _ if first_peer.as_deref() == Some(view.id.as_str()) => first_attempt,
                    _ => None,
                };
                match (attempt, view.reach) {
                    (Some(attempt), Reach::Direct) => targets.push(FileTarget {
                        attempt,
                        peer: Some(name),
                    }),
                    _ => unreachable.push(name),
                }
            }
            (targets, unreachable)
        })
        .unwrap_or_default()
    }

    /// Files attached in the chat: to the peer, or in a group to every member.
    fn send_files_to_members(&self, files: Vec<web_sys::File>) {
        let (targets, unreachable) = self.group_file_targets();
        self.files.send_files_to(files, targets, &unreachable);
    }

    fn show_group(&self) {
        let Some((lines, members)) = self.with_group(|state| {
            let group = &state.group;
            let me = group.me();
            let name_of = |id: &str| -> String {
                if id == me {
                    return "You".to_owned();
                }
                display_name(
                    group
                        .roster()
                        .record(id)
                        .and_then(|record| record.name.as_deref()),
                    id,
                )
            };
            let lines: Vec<GroupLine> = group
                .history()
                .iter()
                .map(|entry| {
                    let mine = entry.author == me;
                    let what = match &entry.body {
                        Body::Text(text) => LineKind::Text(text.clone()),
                        Body::Joined { member, .. } => LineKind::Added(name_of(member)),
                        Body::Left { .. } => LineKind::Left,
                    };
                    let receipt = (mine && matches!(entry.body, Body::Text(_)))
                        .then(|| group.receipt(&entry.author, entry.seq));
                    GroupLine {
                        key: (entry.author.clone(), entry.seq),
                        author: name_of(&entry.author),
                        mine,
                        at_ms: entry.ts,
                        what,
                        receipt,
                    }
                })
                // The founder adding itself is how the log starts, not news.
                .filter(|line| !matches!(&line.what, LineKind::Added(who) if line.key.1 == 1 && *who == line.author))
                .collect();
            let members = group
                .members()
                .into_iter()
                .map(|view| {
                    let connecting = view
                        .introduction
                        .as_ref()
                        .is_some_and(|pair| pair.introducer().is_some());
                    let (reach, reach_label) = match &view.reach {
                        Reach::Me => ("me", "You".to_owned()),
                        Reach::Direct => ("direct", "Direct".to_owned()),
                        Reach::Via(_) if connecting => ("via", "Connecting…".to_owned()),
                        Reach::Via(hop) => ("via", format!("Through {}", name_of(hop))),
                        Reach::Unreachable if connecting => {
                            ("unreachable", "Connecting…".to_owned())
                        }
                        Reach::Unreachable => ("unreachable", "Not reachable".to_owned()),
                    };
                    let safety_code = match (
                        state.local_fingerprints.get(&view.id),
                        view.fingerprint.as_ref(),
                    ) {
                        (Some(local), Some(remote)) => Some(safety_code(local, remote)),
                        _ => None,
                    };
                    MemberRow {
                        me: view.id == me,
                        name: name_of(&view.id),
                        added_by: name_of(&view.introduced_by),
                        id: view.id,
                        reach,
                        reach_label,
                        safety_code,
                        introduction: view.introduction.as_ref().map(|state| match state {
                            PairState::Introduced { .. } => "introduced",
                            PairState::OfferSent { .. } => "offer-sent",
                            PairState::OfferReceived { .. } => "offer-received",
                            PairState::AnswerSent { .. } => "answer-sent",
                            PairState::AnswerReceived { .. } => "answer-received",
                            PairState::Connected => "connected",
                            PairState::Failed => "failed",
                        }),
                    }
                })
                .collect();
            (lines, members)
        }) else {
            return;
        };
        let log_changed = self
            .groups
            .lines
            .with_untracked(|old| old.len() != lines.len());
        if self.groups.lines.with_untracked(|old| *old != lines) {
            self.groups.lines.set(lines);
        }
        // Stored with the conversation (written once its peer is known, like any change).
        if log_changed {
            if let Some(log) = self.with_group(|state| entries_to_json(state.group.history())) {
                self.update_conversation(|c| c.set_group_log(log));
            }
        }
        if self.groups.members.with_untracked(|old| *old != members) {
            self.groups.members.set(members);
        }
    }

    /// Sends a message to the group; true when it was taken.
    fn send_to_group(&self, draft: &str) -> bool {
        let text = match prepare_draft(draft) {
            Ok(text) => text,
            Err(error) => {
                self.notices.alert(error.to_string());
                return false;
            }
        };
        let written = self.with_group_mut(|state| state.group.write(text, now_ms()));
        match written {
            Some(Ok((_, send))) => {
                self.deliver(send);
                self.notices.alert.set(None);
                self.after_group_change();
                true
            }
            Some(Err(error)) => {
                self.notices.alert(format!("Not sent: {error}."));
                false
            }
            None => false,
        }
    }

    /// Called as the user types in a group: every member is told, at most every
    /// [`TYPING_EVERY_MS`]; the group's typing notice goes to each member connected directly,
    /// and members pass it on to those reached only through them.
    fn group_typing(&self) {
        let now = now_ms();
        let send = self
            .with_group_mut(|state| {
                let due = state
                    .typing_sent_ms
                    .is_none_or(|sent| now - sent >= TYPING_EVERY_MS);
                if !due {
                    return Vec::new();
                }
                state.typing_sent_ms = Some(now);
                state.group.typing(now)
            })
            .unwrap_or_default();
        self.deliver(send);
    }

    /// A typing notice from `member`: the group's (directly or passed on by others), or the
    /// two-person one over its direct connection (an app from before group notices).
    pub(super) fn group_typing_from(&self, member: &str) {
        let Some(notice) = self.with_group_mut(|state| {
            state.typing_notices += 1;
            state.typing.insert(member.to_owned(), state.typing_notices);
            state.typing_notices
        }) else {
            return;
        };
        self.show_group_typing();
        let (this, member) = (*self, member.to_owned());
        let generation = self.groups.generation.get_value();
        spawn_local(async move {
            sleep_ms(TYPING_SHOWN_MS).await;
            if this.groups.generation.try_get_value() != Some(generation) {
                return;
            }
            let expired = this
                .with_group_mut(|state| {
                    let latest = state.typing.get(&member) == Some(&notice);
                    if latest {
                        state.typing.remove(&member);
                    }
                    latest
                })
                .unwrap_or(false);
            if expired {
                this.show_group_typing();
            }
        });
    }

    /// The live chat's peer typed (its notice came on the live chat's connection).
    fn group_typing_from_first_peer(&self) {
        if let Some(peer) = self.first_peer_id() {
            self.group_typing_from(&peer);
        }
    }

    fn show_group_typing(&self) {
        let names = self
            .with_group(|state| {
                let mut names: Vec<String> = state
                    .typing
                    .keys()
                    .filter(|id| state.group.roster().is_present(id))
                    .map(|id| {
                        display_name(
                            state
                                .group
                                .roster()
                                .record(id)
                                .and_then(|record| record.name.as_deref()),
                            id,
                        )
                    })
                    .collect();
                // A few names: no need for the standard sort's code.
                sort_small(&mut names);
                names
            })
            .unwrap_or_default();
        if self.groups.typing.with_untracked(|old| *old != names) {
            self.groups.typing.set(names);
        }
    }

    /// "Leave group": the others are told, then every connection closes.
    fn leave_and_start_over(&self) {
        let send = self
            .with_group_mut(|state| state.group.leave(now_ms()))
            .and_then(Result::ok)
            .unwrap_or_default();
        self.deliver(send);
        self.start_over();
    }
}

/// A member's name, or for one who gave none the first characters of its browser id.
fn display_name(name: Option<&str>, id: &str) -> String {
    match name {
        Some(name) => name.to_owned(),
        None => format!("Member {}", id.get(..6).unwrap_or(id)),
    }
}
