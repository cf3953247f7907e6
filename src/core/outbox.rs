//! When this side puts its own messages, receipts and typing notices on the wire.
//!
//! The conversation (`core::chat`) knows which messages exist and which the peer has; the outbox
//! knows whether the connection can take them now. Messages written while it cannot stay
//! pending in the conversation, and go out when it can again:
//!
//! - a new connection: once the peer's hello is accepted, everything the hello says the peer
//!   lacks goes, oldest first;
//! - the same connection after a network blip: everything not acknowledged goes again (the peer
//!   keeps each message once, by its number, and acknowledges a copy it already has);
//! - on the wire, messages go in order and stop at the first one the channel refuses, so a
//!   later message never overtakes an earlier one.
//!
//! Receipts are cumulative, so a burst of received messages is acknowledged with one frame.
//! Typing notices go at most every [`TYPING_EVERY_MS`].
//!
//! A hold ([`Outbox::hold`]) stops everything of this side's from going, whatever the link: the
//! peer came back with a changed identity and the user has not accepted it yet. What would have
//! gone meanwhile is resent on [`Outbox::release`].

/// Typing notices are sent at most this often.
pub const TYPING_EVERY_MS: f64 = 2_500.0;

/// Where the connection stands, as far as sending is concerned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Link {
    /// No chat channel yet (being made, or waiting for the other side).
    #[default]
    Closed,
    /// The channel is open; the peer's hello is not accepted yet, so nothing of the conversation
    /// may go (the invitee does not even know which conversation it is).
    Open,
    /// Hello accepted: messages go as they are written.
    Greeted,
    /// Greeted, but the path dropped; the browsers are looking for a new one.
    Interrupted,
}

/// What to put on the wire again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resend {
    /// Every own message after number `peer_has` (the peer's hello says it has those).
    After { peer_has: u64 },
    /// Every own message the peer has not acknowledged.
    Unacknowledged,
}

/// The sending side of one connection.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outbox {
    link: Link,
    ack_scheduled: bool,
    typing_sent_ms: Option<f64>,
    /// Nothing goes until the user accepts the peer's changed identity.
    held: bool,
    /// What the hello asked for while held: it goes on release.
    deferred: Option<Resend>,
}

impl Outbox {
    pub fn link(&self) -> Link {
        self.link
    }

    /// Whether a message written now goes on the wire at once (otherwise it stays pending).
    pub fn can_send(&self) -> bool {
        self.link == Link::Greeted && !self.held
    }

    /// Whether a hold is on (see [`Outbox::hold`]).
    pub fn is_held(&self) -> bool {
        self.held
    }

    /// The peer's identity changed and the user has not accepted it: nothing of this side's goes
    /// (messages stay pending, no receipts, no typing notices) until [`Outbox::release`].
    pub fn hold(&mut self) {
        self.held = true;
    }

    /// The user accepted: what the hello asked for while held, if the connection can take it now.
    /// A path that is down keeps it for [`Outbox::path_back`].
    pub fn release(&mut self) -> Option<Resend> {
        self.held = false;
        match self.link {
            Link::Greeted => self.deferred.take(),
            Link::Closed | Link::Open | Link::Interrupted => None,
        }
    }

    /// The chat channel opened (again, after a reopen on the same connection).
    pub fn channel_open(&mut self) {
        if self.link == Link::Closed {
            self.link = Link::Open;
        }
    }

    /// The peer's hello was accepted: what it lacks goes now (on release, while held).
    pub fn hello_accepted(&mut self, peer_has: u64) -> Resend {
        self.link = Link::Greeted;
        let resend = Resend::After { peer_has };
        if self.held {
            self.deferred = Some(resend);
        }
        resend
    }

    /// The path dropped; the channel may come back on the same connection.
    pub fn interrupted(&mut self) {
        if self.link == Link::Greeted {
            self.link = Link::Interrupted;
        }
    }

    /// The path came back on the same connection. Only a conversation that was greeted has
    /// anything to resend; one interrupted before its hello waits for the hello.
    pub fn path_back(&mut self) -> Option<Resend> {
        match self.link {
            Link::Interrupted => {
                self.link = Link::Greeted;
                // What the hello asked for covers every unacknowledged message too; while held,
                // it waits for the release.
                if self.held {
                    self.deferred.get_or_insert(Resend::Unacknowledged);
                    None
                } else {
                    Some(self.deferred.take().unwrap_or(Resend::Unacknowledged))
                }
            }
            Link::Closed | Link::Open | Link::Greeted => None,
        }
    }

    /// Puts `messages` on the wire in order with `send`, stopping at the first it refuses (the
    /// rest stay pending, in order). Returns how many went.
    pub fn put_on_wire<T>(&self, messages: &[T], mut send: impl FnMut(&T) -> bool) -> usize {
        if !self.can_send() {
            return 0;
        }
        messages.iter().take_while(|message| send(message)).count()
    }

    /// A message from the peer was kept: true when an acknowledgement must be scheduled (none
    /// is yet), false when one already is and will cover this message too.
    pub fn received(&mut self) -> bool {
        if self.held {
            // The receipt goes with the release (see `release`'s caller).
            return false;
        }
        let schedule = !self.ack_scheduled;
        self.ack_scheduled = true;
        schedule
    }

    /// The scheduled acknowledgement goes now; the next message schedules another.
    pub fn ack_sent(&mut self) {
        self.ack_scheduled = false;
    }

    /// The user typed at `now_ms`: true when a typing notice should go.
    pub fn typing(&mut self, now_ms: f64) -> bool {
        let due = self.can_send()
            && self
                .typing_sent_ms
                .is_none_or(|sent| now_ms - sent >= TYPING_EVERY_MS);
        if due {
            self.typing_sent_ms = Some(now_ms);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn greeted() -> Outbox {
        let mut outbox = Outbox::default();
        outbox.channel_open();
        outbox.hello_accepted(0);
        outbox
    }

    #[test]
    fn nothing_goes_before_the_hello_is_accepted() {
        let mut outbox = Outbox::default();
        assert!(!outbox.can_send());
        outbox.channel_open();
        assert_eq!(outbox.link(), Link::Open);
        assert!(!outbox.can_send());
        assert_eq!(outbox.put_on_wire(&[1, 2], |_| true), 0);
        assert!(!outbox.typing(10_000.0));
    }

    #[test]
    fn the_hello_says_what_to_resend() {
        let mut outbox = Outbox::default();
        outbox.channel_open();
        assert_eq!(outbox.hello_accepted(7), Resend::After { peer_has: 7 });
        assert!(outbox.can_send());
    }

    #[test]
    fn an_interrupted_path_holds_messages_and_resends_the_unacknowledged_when_back() {
        let mut outbox = greeted();
        outbox.interrupted();
        assert_eq!(outbox.link(), Link::Interrupted);
        assert!(!outbox.can_send());
        assert_eq!(outbox.put_on_wire(&[1], |_| true), 0);
        assert_eq!(outbox.path_back(), Some(Resend::Unacknowledged));
        assert!(outbox.can_send());
        // Back once: a second "connected" event resends nothing more.
        assert_eq!(outbox.path_back(), None);
    }

    #[test]
    fn a_path_back_before_the_hello_resends_nothing() {
        let mut outbox = Outbox::default();
        outbox.channel_open();
        outbox.interrupted();
        assert_eq!(outbox.link(), Link::Open);
        assert_eq!(outbox.path_back(), None);
        assert!(!outbox.can_send());
    }

    #[test]
    fn a_reopened_channel_does_not_undo_the_greeting() {
        let mut outbox = greeted();
        outbox.channel_open();
        assert!(outbox.can_send());
    }

    #[test]
    fn the_wire_takes_messages_in_order_and_stops_at_the_first_refusal() {
        let outbox = greeted();
        let mut tried = Vec::new();
        let sent = outbox.put_on_wire(&[1, 2, 3, 4], |m| {
            tried.push(*m);
            *m != 3
        });
        assert_eq!(sent, 2);
        // Nothing after the refused one is tried: 4 must not overtake 3.
        assert_eq!(tried, vec![1, 2, 3]);
    }

    #[test]
    fn one_acknowledgement_per_burst() {
        let mut outbox = greeted();
        assert!(outbox.received());
        assert!(!outbox.received());
        assert!(!outbox.received());
        outbox.ack_sent();
        assert!(outbox.received());
    }

    #[test]
    fn a_hold_keeps_everything_back_and_the_release_resends_what_the_hello_asked() {
        let mut outbox = Outbox::default();
        outbox.channel_open();
        outbox.hold();
        assert!(outbox.is_held());
        assert_eq!(outbox.hello_accepted(4), Resend::After { peer_has: 4 });
        assert_eq!(outbox.link(), Link::Greeted);
        assert!(!outbox.can_send(), "held: messages stay pending");
        assert_eq!(outbox.put_on_wire(&[5, 6], |_| true), 0);
        assert!(!outbox.typing(10_000.0));
        assert!(!outbox.received(), "no receipt goes while held");
        assert_eq!(outbox.release(), Some(Resend::After { peer_has: 4 }));
        assert!(!outbox.is_held());
        assert!(outbox.can_send());
        assert_eq!(outbox.put_on_wire(&[5, 6], |_| true), 2);
        assert_eq!(outbox.release(), None, "released once");
        assert!(outbox.received());
    }

    #[test]
    fn a_hold_before_the_hello_releases_nothing_and_the_hello_then_resends() {
        let mut outbox = Outbox::default();
        outbox.channel_open();
        outbox.hold();
        assert_eq!(outbox.release(), None);
        assert!(!outbox.can_send(), "still waiting for the hello");
        assert_eq!(outbox.hello_accepted(2), Resend::After { peer_has: 2 });
        assert!(outbox.can_send());
        assert_eq!(outbox.release(), None, "nothing was deferred");
    }

    #[test]
    fn a_path_that_drops_while_held_resends_on_the_later_of_release_and_path_back() {
        let mut outbox = Outbox::default();
        outbox.channel_open();
        outbox.hold();
        outbox.hello_accepted(1);
        outbox.interrupted();
        assert_eq!(outbox.release(), None, "the path is down");
        assert_eq!(outbox.path_back(), Some(Resend::After { peer_has: 1 }));
        assert!(outbox.can_send());

        let mut outbox = Outbox::default();
        outbox.channel_open();
        outbox.hello_accepted(0);
        outbox.hold();
        outbox.interrupted();
        assert_eq!(outbox.path_back(), None, "held: back, but nothing goes");
        assert!(!outbox.can_send());
        assert_eq!(outbox.release(), Some(Resend::Unacknowledged));
        assert!(outbox.can_send());
    }

    #[test]
    fn typing_notices_are_throttled() {
        let mut outbox = greeted();
        assert!(outbox.typing(1_000.0));
        assert!(!outbox.typing(1_000.0 + TYPING_EVERY_MS - 1.0));
        assert!(outbox.typing(1_000.0 + TYPING_EVERY_MS));
        outbox.interrupted();
        assert!(!outbox.typing(1_000_000.0));
    }
}
