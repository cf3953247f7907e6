//! What travels over an open connection: the hello, messages with receipts, typing notices, and
//! the conversation's history in browser storage.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{GroupCall, TinCan};
use crate::core::chat::{prepare_draft, Conversation, Received};
use crate::core::history::{History, PEER_ID_KEY};
use crate::core::outbox::Resend;
use crate::core::protocol::{clean_name, Frame, CAPABILITIES, PROTOCOL_VERSION};
use crate::core::session::{Phase, Role};
use crate::web::browser::{now_ms, random_hex_id};
use crate::web::site_storage;
use crate::web::timers::sleep_ms;

/// How long "…is typing" stays up after the last notice.
const TYPING_SHOWN_MS: i32 = 4_000;

/// How long receipts gather before one acknowledgement goes out.
const ACK_DELAY_MS: i32 = 20;

/// Changes to the conversation gather this long before they are written, so that a message, its
/// receipt and a quick reply go in one write, after the round trip rather than in its way. A
/// write costs the page several milliseconds of work; one per change made the time a message
/// takes depend on how fast messages came (see bench/README.md, "The round-trip swing"). Leaving
/// the page writes at once (`say_goodbye`).
const STORE_DELAY_MS: f64 = 50.0;

/// While messages flow, the conversation is written at most this often.
const STORE_EVERY_MS: f64 = 100.0;

/// The conversation on screen and who this browser is to peers. `Copy`: arena handles.
#[derive(Clone, Copy)]
pub struct Chat {
    /// The conversation on screen: live, being reconnected, or restored from storage.
    pub conversation: RwSignal<Option<Conversation>>,
    /// Every stored conversation, most recent first.
    pub history: RwSignal<History>,
    pub peer_typing: RwSignal<bool>,
    /// This browser's stable id, told to peers so a reconnect finds the same conversation.
    my_id: StoredValue<String>,
    /// Which typing notice from the peer is the latest.
    typing_seen: StoredValue<u64>,
    /// A write of the conversation is scheduled (see [`STORE_EVERY_MS`]).
    store_scheduled: StoredValue<bool>,
    /// When the latest scheduled write started.
    stored_at_ms: StoredValue<f64>,
    /// This browser had no id yet: nothing was ever stored for it, so its first screen is the
    /// start screen whatever storage holds, and it is shown without waiting for storage.
    pub first_visit: bool,
}

impl Chat {
    /// Restores this browser's id (made once, kept in localStorage).
    pub(super) fn new() -> Self {
        let known_id = site_storage::storage_get(PEER_ID_KEY).filter(|id| !id.is_empty());
        let first_visit = known_id.is_none();
        let my_id = known_id
            .or_else(|| {
                let id = random_hex_id()?;
                site_storage::storage_set(PEER_ID_KEY, &id);
                Some(id)
            })
            .unwrap_or_else(|| "unknown".to_owned());
        Self {
            conversation: RwSignal::new(None),
            history: RwSignal::new(History::default()),
            peer_typing: RwSignal::new(false),
            my_id: StoredValue::new(my_id),
            typing_seen: StoredValue::new(0),
            store_scheduled: StoredValue::new(false),
            stored_at_ms: StoredValue::new(f64::NEG_INFINITY),
            first_visit,
        }
    }
}

impl Chat {
    /// This browser's stable id.
    pub(super) fn my_id(&self) -> String {
        self.my_id.get_value()
    }
}

impl TinCan {
    pub(super) fn send_frame(&self, frame: &Frame) -> bool {
        self.with_attempt(|attempt| attempt.peer.send(&frame.encode()).is_ok())
            .unwrap_or(false)
    }

    /// Whether messages can go on the wire now: connected and greeted.
    pub(super) fn live(&self) -> bool {
        self.with_attempt(|attempt| attempt.outbox.can_send())
            .unwrap_or(false)
    }

    /// Whether the peer's hello was accepted on this connection.
    pub(super) fn greeted(&self) -> bool {
        self.with_attempt(|attempt| attempt.gate.greeted())
            .unwrap_or(false)
    }

    /// Counts one frame of the peer's as dropped (out of place, or refused by the app).
    pub(super) fn drop_frame(&self) {
        self.with_attempt_mut(|attempt| attempt.gate.drop_one());
        self.show_dropped();
    }

    pub(super) fn show_dropped(&self) {
        let dropped = self
            .with_attempt(|attempt| attempt.gate.dropped())
            .unwrap_or(0);
        if dropped != self.connection.dropped_frames.get_untracked() {
            self.connection.dropped_frames.set(dropped);
        }
    }

    pub(super) fn send_hello(&self) {
        let Some((conversation, received)) = self
            .chat
            .conversation
            .with_untracked(|c| c.as_ref().map(|c| (c.id.clone(), c.received_upto())))
        else {
            return;
        };
        self.send_frame(&Frame::Hello {
            v: PROTOCOL_VERSION,
            conversation,
            peer: self.chat.my_id.get_value(),
            name: clean_name(&self.settings.with_untracked(|s| s.display_name.clone())),
            received,
            caps: CAPABILITIES.iter().map(|c| (*c).to_owned()).collect(),
        });
    }

    pub(super) fn on_frame(&self, raw: &str) {
        // Junk, oversized and out-of-place frames are dropped (and counted) without a trace in
        // the conversation.
        let Some((frame, attempt)) =
            self.with_attempt_mut(|attempt| (attempt.gate.admit(raw), attempt.id))
        else {
            return;
        };
        self.show_dropped();
        if frame.is_none() {
            // Not a two-person frame: perhaps a group's (`group_part.rs`).
            self.on_other_frame(attempt, raw);
            return;
        }
        match frame {
            Some(Frame::Hello {
                conversation,
                peer,
                name,
                received,
                caps,
                ..
            }) => {
                self.on_peer_capabilities(&caps);
                self.on_peer_group_capability(&caps);
                self.on_hello(conversation, &peer, name, received)
            }
            Some(Frame::Text { seq, text, .. }) => self.on_text(seq, text),
            Some(Frame::Ack { upto }) => self.update_conversation(|c| c.acknowledge(upto)),
            Some(Frame::Typing) => self.on_typing(),
            Some(Frame::Renegotiate { offer, sdp }) => self.on_renegotiate(offer, sdp),
            Some(Frame::Bye) => self.on_peer_gone("The other person closed the chat."),
            Some(Frame::NextIdentity { fp }) => self.on_next_identity(&fp),
            Some(frame) if frame.call_signal().is_some() => self.on_call_frame(attempt, &frame),
            Some(_) | None => {}
        }
    }

    /// The peer's hello names the conversation and says how much of ours it has.
    fn on_hello(&self, id: String, peer_id: &str, name: Option<String>, received: u64) {
        match self.role() {
            Some(Role::Inviter) => {
                // The invitee must join our conversation; anything else is out of place.
                if self
                    .chat
                    .conversation
                    .with_untracked(|c| c.as_ref().map(|c| c.id != id))
                    != Some(false)
                {
                    self.drop_frame();
                    return;
                }
                self.greet(peer_id, name, received);
            }
            Some(Role::Invitee) => {
                // Join the inviter's conversation: the stored one if we had it (a reconnect).
                // The inviter sends nothing of it before our hello, which waits for the read.
                // A conversation the list does not have (a first contact) has nothing to read:
                // the hello goes back at once, not after a storage round trip.
                let stored_here = self
                    .chat
                    .history
                    .with_untracked(|h| h.summaries().iter().any(|s| s.id == id));
                if !stored_here {
                    self.show_conversation(Some(Conversation::new(id, now_ms())));
                    self.greet(peer_id, name, received);
                    return;
                }
                let (this, peer_id) = (*self, peer_id.to_owned());
                let Some(attempt) = self.with_attempt(|attempt| attempt.id) else {
                    return;
                };
                self.spawn_for(attempt, async move {
                    let stored = this.read_stored(&id).await.ok().flatten();
                    if this.connection.phase.get_untracked() != Phase::Connected {
                        return;
                    }
                    let conversation = stored.unwrap_or_else(|| Conversation::new(id, now_ms()));
                    this.show_conversation(Some(conversation));
                    this.greet(&peer_id, name, received);
                });
            }
            None => {}
        }
    }

    /// The peer's hello is judged by the identity it proves: unless that changed, it is accepted
    /// now; otherwise the greeting waits for the user (see `identity.rs`).
    fn greet(&self, peer_id: &str, name: Option<String>, received: u64) {
        if self.judge_hello(peer_id, &name, received) {
            self.complete_greeting(peer_id, name, received);
        }
    }

    /// The hello is accepted: the conversation's frames may pass, and what the peer lacks goes.
    pub(super) fn complete_greeting(&self, peer_id: &str, name: Option<String>, received: u64) {
        // Only an accepted hello opens the gate for the conversation's frames.
        let Some(resend) = self.with_attempt_mut(|attempt| {
            attempt.gate.accept_hello();
            attempt.outbox.hello_accepted(received)
        }) else {
            return;
        };
        // The invitee's hello first (it carries nothing `meet` changes): the inviter waits for it.
        if self.role() == Some(Role::Invitee) {
            self.send_hello();
        }
        self.update_conversation(|c| c.meet(peer_id, name));
        self.resend(resend);
        self.announce_next_identity();
    }

    /// The path came back on its own (same connection): see `Outbox::path_back`.
    pub(super) fn on_path_back(&self) {
        if let Some(resend) = self
            .with_attempt_mut(|attempt| attempt.outbox.path_back())
            .flatten()
        {
            self.resend(resend);
        }
    }

    /// Messages written in another tab joined the conversation: whatever the peer has not
    /// acknowledged goes, if the connection can take it.
    pub(super) fn resend_unacknowledged(&self) {
        if self.live() {
            self.resend(Resend::Unacknowledged);
        }
    }

    /// Puts own messages on the wire again, oldest first, as the outbox decided.
    pub(super) fn resend(&self, resend: Resend) {
        let outgoing = self
            .chat
            .conversation
            .with_untracked(|c| {
                c.as_ref().map(|c| match resend {
                    Resend::After { peer_has } => c.unreceived(peer_has),
                    Resend::Unacknowledged => c.undelivered(),
                })
            })
            .unwrap_or_default();
        // A copy: sending goes through the same attempt, which must not be borrowed meanwhile.
        let Some(outbox) = self.with_attempt(|attempt| attempt.outbox.clone()) else {
            return;
        };
        let sent = outbox.put_on_wire(&outgoing, |m| {
            self.send_frame(&Frame::Text {
                seq: m.seq,
                text: m.text.clone(),
                ts: m.at_ms,
            })
        });
        if sent > 0 {
            self.update_conversation(|c| outgoing[..sent].iter().for_each(|m| c.mark_sent(m.seq)));
        }
    }

    fn on_text(&self, seq: u64, text: String) {
        let mut outcome = Received::OutOfOrder;
        // Stamped with our clock: the peer's clock may be wrong or lying.
        self.update_conversation(|c| outcome = c.receive(seq, text, now_ms()));
        match outcome {
            Received::Added | Received::Duplicate => {
                self.chat.peer_typing.set(false);
                self.acknowledge_soon();
            }
            Received::OutOfOrder => self.drop_frame(),
        }
    }

    /// Receipts are cumulative, so a burst of messages is acknowledged with one frame, sent
    /// right after the burst's messages have been handled.
    fn acknowledge_soon(&self) {
        let Some(attempt) = self
            .with_attempt_mut(|attempt| attempt.outbox.received().then_some(attempt.id))
            .flatten()
        else {
            return;
        };
        let this = *self;
        // A task of the attempt: the flag and the task end together.
        self.spawn_for(attempt, async move {
            sleep_ms(ACK_DELAY_MS).await;
            this.with_attempt_mut(|attempt| attempt.outbox.ack_sent());
            let upto = this
                .chat
                .conversation
                .with_untracked(|c| c.as_ref().map(Conversation::received_upto))
                .unwrap_or(0);
            this.send_frame(&Frame::Ack { upto });
        });
    }

    fn on_typing(&self) {
        if self.in_group() {
            self.group(GroupCall::TypingFromFirstPeer);
            return;
        }
        if !self.live() {
            return;
        }
        self.chat.typing_seen.update_value(|n| *n += 1);
        let this_notice = self.chat.typing_seen.get_value();
        self.chat.peer_typing.set(true);
        let this = *self;
        // Not a task of the attempt: the notice must go even if the connection does.
        spawn_local(async move {
            sleep_ms(TYPING_SHOWN_MS).await;
            if this.chat.typing_seen.get_value() == this_notice {
                this.chat.peer_typing.set(false);
            }
        });
    }

    /// Called as the user types: tells the peer, at most every few seconds.
    pub fn typing(&self) {
        if self.in_group() {
            self.group(GroupCall::Typing);
            return;
        }
        let now = now_ms();
        if self
            .with_attempt_mut(|attempt| attempt.outbox.typing(now))
            .unwrap_or(false)
        {
            self.send_frame(&Frame::Typing);
        }
    }

    /// Sends the draft, or keeps it pending while disconnected; returns true when it was taken
    /// (so the box can be cleared).
    pub fn send(&self, draft: &str) -> bool {
        if self.in_group() {
            // In a group the part is loaded (only its code starts a group).
            return self
                .group(GroupCall::Send(draft.to_owned()))
                .unwrap_or(false);
        }
        let text = match prepare_draft(draft) {
            Ok(text) => text,
            Err(error) => {
                self.show_alert(error.to_string());
                return false;
            }
        };
        if self.chat.conversation.with_untracked(Option::is_none) {
            self.show_alert("Not sent: there is no conversation. Create an invite first.");
            return false;
        }
        let at_ms = now_ms();
        let live = self.live();
        // Compose and send in one change: the list re-renders once per message.
        self.update_conversation(|c| {
            let seq = c.compose(text.clone(), at_ms);
            if live
                && self.send_frame(&Frame::Text {
                    seq,
                    text,
                    ts: at_ms,
                })
            {
                c.mark_sent(seq);
            }
        });
        self.notices.alert.set(None);
        true
    }

    /// Changes the conversation on screen and stores it (once the peer is known: an invite
    /// nobody answered leaves no trace).
    pub(super) fn update_conversation(&self, change: impl FnOnce(&mut Conversation)) {
        let mut stored = false;
        self.chat.conversation.update(|c| {
            if let Some(c) = c {
                change(c);
                stored = c.peer_id.is_some() && c.has_changes();
            }
        });
        if stored {
            self.store_soon();
        }
    }

    /// Stores the conversation [`STORE_DELAY_MS`] from now, or [`STORE_EVERY_MS`] after the
    /// previous write while messages flow.
    fn store_soon(&self) {
        if self.chat.store_scheduled.get_value() {
            return;
        }
        self.chat.store_scheduled.set_value(true);
        let wait =
            (self.chat.stored_at_ms.get_value() + STORE_EVERY_MS - now_ms()).max(STORE_DELAY_MS);
        let this = *self;
        spawn_local(async move {
            sleep_ms(wait as i32).await;
            this.chat.store_scheduled.set_value(false);
            this.chat.stored_at_ms.set_value(now_ms());
            this.store_now();
        });
    }
}
