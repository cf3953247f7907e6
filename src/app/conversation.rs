//! What travels over an open connection: the hello, messages with receipts, typing notices, and
//! the conversation's history in browser storage.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::TinCan;
use crate::core::chat::{prepare_draft, Conversation, Received};
use crate::core::protocol::{clean_name, Frame, FrameGate, CAPABILITIES, PROTOCOL_VERSION};
use crate::core::session::{Phase, Role};
use crate::web::browser::{now_ms, sleep_ms};

/// How long "…is typing" stays up after the last notice.
const TYPING_SHOWN_MS: i32 = 4_000;
/// Typing notices are sent at most this often.
const TYPING_EVERY_MS: f64 = 2_500.0;

/// How long receipts gather before one acknowledgement goes out.
const ACK_DELAY_MS: i32 = 20;

impl TinCan {
    pub(super) fn send_frame(&self, frame: &Frame) -> bool {
        self.peer.with_value(|peer| {
            peer.as_ref()
                .is_some_and(|peer| peer.send(&frame.encode()).is_ok())
        })
    }

    /// Whether messages can go on the wire now: connected and greeted.
    pub(super) fn live(&self) -> bool {
        self.phase.get_untracked() == Phase::Connected && self.gate.with_value(|g| g.greeted())
    }

    pub(super) fn send_hello(&self) {
        let Some((conversation, received)) = self
            .conversation
            .with_untracked(|c| c.as_ref().map(|c| (c.id.clone(), c.received_upto())))
        else {
            return;
        };
        self.send_frame(&Frame::Hello {
            v: PROTOCOL_VERSION,
            conversation,
            peer: self.my_id.get_value(),
            name: clean_name(&self.settings.with_untracked(|s| s.display_name.clone())),
            received,
            caps: CAPABILITIES.iter().map(|c| (*c).to_owned()).collect(),
        });
    }

    pub(super) fn on_frame(&self, raw: &str) {
        // Junk, oversized and out-of-place frames are dropped (and counted) without a trace in
        // the conversation.
        let frame = self.gate.try_update_value(|gate| gate.admit(raw)).flatten();
        let dropped = self.gate.with_value(|g| g.dropped());
        if dropped != self.dropped_frames.get_untracked() {
            self.dropped_frames.set(dropped);
        }
        match frame {
            Some(Frame::Hello {
                conversation,
                peer,
                name,
                received,
                ..
            }) => self.on_hello(conversation, &peer, name, received),
            Some(Frame::Text { seq, text, .. }) => self.on_text(seq, text),
            Some(Frame::Ack { upto }) => self.update_conversation(|c| c.acknowledge(upto)),
            Some(Frame::Typing) => self.on_typing(),
            Some(Frame::Renegotiate { offer, sdp }) => self.on_renegotiate(offer, sdp),
            Some(Frame::Bye) => self.on_peer_gone("The other person closed the chat."),
            Some(Frame::Unknown) | None => {}
        }
    }

    /// The peer's hello names the conversation and says how much of ours it has.
    fn on_hello(&self, id: String, peer_id: &str, name: Option<String>, received: u64) {
        match self.role.get_value() {
            Some(Role::Inviter) => {
                // The invitee must join our conversation; anything else is out of place.
                if self
                    .conversation
                    .with_untracked(|c| c.as_ref().map(|c| c.id != id))
                    != Some(false)
                {
                    self.gate.update_value(|g| g.drop_one());
                    return;
                }
                self.greet(peer_id, name, received);
            }
            Some(Role::Invitee) => {
                // Join the inviter's conversation: the stored one if we had it (a reconnect).
                // The inviter sends nothing of it before our hello, which waits for the read.
                let (this, peer_id) = (*self, peer_id.to_owned());
                let attempt = self.attempt.get_value();
                spawn_local(async move {
                    let stored = this.read_stored(&id).await.ok().flatten();
                    if !this.is_current(attempt) || this.phase.get_untracked() != Phase::Connected {
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

    /// The hello is accepted: the conversation's frames may pass, and what the peer lacks goes.
    fn greet(&self, peer_id: &str, name: Option<String>, received: u64) {
        // Only an accepted hello opens the gate for the conversation's frames.
        self.gate.update_value(FrameGate::accept_hello);
        self.update_conversation(|c| c.meet(peer_id, name));
        if self.role.get_value() == Some(Role::Invitee) {
            self.send_hello();
        }
        self.resend(received);
    }

    /// Puts every own message the peer lacks on the wire, oldest first.
    fn resend(&self, peer_has: u64) {
        let outgoing = self
            .conversation
            .with_untracked(|c| c.as_ref().map(|c| c.unreceived(peer_has)))
            .unwrap_or_default();
        self.put_on_wire(outgoing);
    }

    /// The path came back on its own (same connection): whatever was not acknowledged goes out
    /// again. The peer keeps each message once, by its number, so a copy that did arrive before
    /// the drop is only acknowledged again.
    pub(super) fn resend_undelivered(&self) {
        if !self.live() {
            return;
        }
        let outgoing = self
            .conversation
            .with_untracked(|c| c.as_ref().map(Conversation::undelivered))
            .unwrap_or_default();
        self.put_on_wire(outgoing);
    }

    fn put_on_wire(&self, outgoing: Vec<crate::core::chat::Outgoing>) {
        let sent: Vec<u64> = outgoing
            .into_iter()
            .take_while(|m| {
                self.send_frame(&Frame::Text {
                    seq: m.seq,
                    text: m.text.clone(),
                    ts: m.at_ms,
                })
            })
            .map(|m| m.seq)
            .collect();
        if !sent.is_empty() {
            self.update_conversation(|c| sent.iter().for_each(|seq| c.mark_sent(*seq)));
        }
    }

    fn on_text(&self, seq: u64, text: String) {
        let mut outcome = Received::OutOfOrder;
        // Stamped with our clock: the peer's clock may be wrong or lying.
        self.update_conversation(|c| outcome = c.receive(seq, text, now_ms()));
        match outcome {
            Received::Added | Received::Duplicate => {
                self.peer_typing.set(false);
                self.acknowledge_soon();
            }
            Received::OutOfOrder => self.gate.update_value(|g| g.drop_one()),
        }
    }

    /// Receipts are cumulative, so a burst of messages is acknowledged with one frame, sent
    /// right after the burst's messages have been handled.
    fn acknowledge_soon(&self) {
        if self.ack_scheduled.get_value() {
            return;
        }
        self.ack_scheduled.set_value(true);
        let this = *self;
        spawn_local(async move {
            sleep_ms(ACK_DELAY_MS).await;
            this.ack_scheduled.set_value(false);
            let upto = this
                .conversation
                .with_untracked(|c| c.as_ref().map(Conversation::received_upto))
                .unwrap_or(0);
            this.send_frame(&Frame::Ack { upto });
        });
    }

    fn on_typing(&self) {
        if !self.live() {
            return;
        }
        self.typing_seen.update_value(|n| *n += 1);
        let this_notice = self.typing_seen.get_value();
        self.peer_typing.set(true);
        let this = *self;
        spawn_local(async move {
            sleep_ms(TYPING_SHOWN_MS).await;
            if this.typing_seen.get_value() == this_notice {
                this.peer_typing.set(false);
            }
        });
    }

    /// Called as the user types: tells the peer, at most every few seconds.
    pub fn typing(&self) {
        let now = now_ms();
        if self.live() && now - self.typing_sent_ms.get_value() >= TYPING_EVERY_MS {
            self.typing_sent_ms.set_value(now);
            self.send_frame(&Frame::Typing);
        }
    }

    /// Sends the draft, or keeps it pending while disconnected; returns true when it was taken
    /// (so the box can be cleared).
    pub fn send(&self, draft: &str) -> bool {
        let text = match prepare_draft(draft) {
            Ok(text) => text,
            Err(error) => {
                self.show_alert(error.to_string());
                return false;
            }
        };
        if self.conversation.with_untracked(Option::is_none) {
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
        self.alert.set(None);
        true
    }

    /// Changes the conversation on screen and stores it (once the peer is known: an invite
    /// nobody answered leaves no trace).
    pub(super) fn update_conversation(&self, change: impl FnOnce(&mut Conversation)) {
        let mut stored = false;
        self.conversation.update(|c| {
            if let Some(c) = c {
                change(c);
                stored = c.peer_id.is_some() && c.has_changes();
            }
        });
        if stored {
            self.store_now();
        }
    }
}
