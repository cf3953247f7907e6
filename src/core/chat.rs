//! A conversation: the messages both people wrote, with what the other side has seen of them.
//!
//! Each side numbers its own messages 1, 2, 3… (`seq`). The receiver keeps the highest number it
//! has taken in order (`received_upto`) and acknowledges it; the sender marks everything up to an
//! acknowledgement delivered. After a reconnect each side says how far it got (in the hello) and
//! the other resends only what came after. So every message arrives exactly once, in the order it
//! was written, whatever was lost on the way.

use serde::{Deserialize, Serialize};

use crate::core::protocol::MAX_TEXT_CHARS;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    Me,
    Peer,
}

impl Author {
    /// Value of the `data-author` attribute on a message element.
    pub fn as_attr(self) -> &'static str {
        match self {
            Author::Me => "me",
            Author::Peer => "peer",
        }
    }
}

/// Where one's own message is. Peer messages are always `Delivered` (they are here).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Written, not yet on the wire (no connection, or not yet resent after one).
    Pending,
    /// Handed to the data channel.
    Sent,
    /// The peer acknowledged it.
    Delivered,
}

impl Delivery {
    /// Value of the `data-delivery` attribute.
    pub fn as_attr(self) -> &'static str {
        match self {
            Delivery::Pending => "pending",
            Delivery::Sent => "sent",
            Delivery::Delivered => "delivered",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Delivery::Pending => "Pending",
            Delivery::Sent => "Sent",
            Delivery::Delivered => "Delivered",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatMessage {
    /// Local display key, unique within the conversation.
    pub id: u64,
    pub author: Author,
    /// The author's own number for it (1, 2, …), per author.
    pub seq: u64,
    pub text: String,
    /// Milliseconds since the Unix epoch: when it was written (own) or received (peer).
    pub at_ms: f64,
    pub delivery: Delivery,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DraftError {
    #[error("Type a message first.")]
    Empty,
    #[error("That message is too long: at most {MAX_TEXT_CHARS} characters.")]
    TooLong,
}

/// Turns what is in the message box into the text to send: surrounding blank lines and spaces
/// go, inner new lines stay.
pub fn prepare_draft(draft: &str) -> Result<String, DraftError> {
    let text = draft.trim();
    if text.is_empty() {
        return Err(DraftError::Empty);
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(DraftError::TooLong);
    }
    Ok(text.to_owned())
}

/// What became of a message from the peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    /// New and next in order: now in the conversation.
    Added,
    /// Already here (a resend): ignored, but worth acknowledging again.
    Duplicate,
    /// Skips numbers: cannot be placed in order; dropped (the peer resends after a reconnect).
    OutOfOrder,
}

/// One message to put on the wire.
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing {
    pub seq: u64,
    pub text: String,
    pub at_ms: f64,
}

/// What of a conversation is in storage, and what changed since. Not stored itself: it describes
/// this tab's copy against the stored one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Journal {
    /// Revision of the stored conversation record this copy builds on (0: none stored yet).
    pub rev: u64,
    /// Messages with an id below this are stored; newer ones are not yet.
    pub stored_below: u64,
    /// Messages below this id are stored or being written.
    taken_below: u64,
    /// Stored messages changed since (delivery, a new number), not yet written.
    touched: Vec<u64>,
    /// The conversation's own fields (name, counters) changed since the last write.
    meta_changed: bool,
    /// The last write was refused: messages not yet stored show as "not saved".
    pub refused: bool,
}

/// One write's worth of changes, taken with [`Conversation::take_changes`].
#[derive(Clone, Debug, PartialEq)]
pub struct Changes {
    /// The revision the write expects in storage, and the one it leaves there.
    pub rev: u64,
    /// Messages not stored before, oldest first.
    pub added: Vec<ChatMessage>,
    /// Stored messages that changed.
    pub changed: Vec<ChatMessage>,
    /// Every message below this id is stored once the write succeeds.
    pub stored_below: u64,
    touched: Vec<u64>,
    meta_changed: bool,
}

impl Changes {
    pub fn new_rev(&self) -> u64 {
        self.rev + 1
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conversation {
    /// Random hex id, the same on both sides (the inviter's choice).
    pub id: String,
    /// The other browser's stable id, once it said hello.
    pub peer_id: Option<String>,
    /// The name the other person chose, if any.
    pub peer_name: Option<String>,
    pub created_ms: f64,
    pub updated_ms: f64,
    messages: Vec<ChatMessage>,
    /// Highest own `seq` used so far.
    last_own_seq: u64,
    /// Highest peer `seq` taken in order.
    received_upto: u64,
    /// Once this conversation became a group: the group's log (`core::group::entries_to_json`),
    /// from which `Group::restore` makes the group again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    #[serde(skip)]
    journal: Journal,
}

impl Conversation {
    pub fn new(id: String, now_ms: f64) -> Self {
        Self {
            id,
            peer_id: None,
            peer_name: None,
            created_ms: now_ms,
            updated_ms: now_ms,
            messages: Vec::new(),
            last_own_seq: 0,
            received_upto: 0,
            group: None,
            journal: Journal::default(),
        }
    }

    /// The group's log, if this conversation is a group.
    pub fn group_log(&self) -> Option<&str> {
        self.group.as_deref()
    }

    /// The group's log changed: it is written with the conversation.
    pub fn set_group_log(&mut self, log: String) {
        if self.group.as_deref() != Some(log.as_str()) {
            self.group = Some(log);
            self.journal.meta_changed = true;
        }
    }

    /// The conversation as stored, with the group log its record held.
    pub fn with_group_log(mut self, log: Option<String>) -> Self {
        self.group = log;
        self
    }

    /// A conversation as storage holds it: `messages` sorted by id, each already checked (see
    /// [`Conversation::check`]); all of it stored, at revision `rev`.
    #[allow(clippy::too_many_arguments)]
    pub fn from_stored(
        id: String,
        peer_id: Option<String>,
        peer_name: Option<String>,
        created_ms: f64,
        updated_ms: f64,
        last_own_seq: u64,
        received_upto: u64,
        messages: Vec<ChatMessage>,
        next_id: u64,
        rev: u64,
    ) -> Self {
        let stored_below = messages.last().map_or(0, |m| m.id + 1).max(next_id);
        let last_own_seq = messages
            .iter()
            .filter(|m| m.author == Author::Me)
            .fold(last_own_seq, |high, m| high.max(m.seq));
        Self {
            id,
            peer_id,
            peer_name,
            created_ms,
            updated_ms,
            messages,
            last_own_seq,
            received_upto,
            group: None,
            journal: Journal {
                rev,
                stored_below,
                taken_below: stored_below,
                ..Journal::default()
            },
        }
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    pub fn last_own_seq(&self) -> u64 {
        self.last_own_seq
    }

    /// The id the next message gets. Ids only grow, also across storage: a message that was
    /// stored and then lost (a damaged record) does not give its id to another.
    pub fn next_id(&self) -> u64 {
        self.messages
            .last()
            .map_or(0, |m| m.id + 1)
            .max(self.journal.stored_below)
    }

    /// Whether anything changed since the last write.
    pub fn has_changes(&self) -> bool {
        self.journal.meta_changed
            || !self.journal.touched.is_empty()
            || self.next_id() > self.journal.stored_below.max(self.journal.taken_below)
    }

    /// Takes what changed since the last write, for writing now. Changes made meanwhile are kept
    /// for the next write; [`Conversation::changes_refused`] gives a failed write back.
    pub fn take_changes(&mut self) -> Changes {
        let below = self.journal.stored_below;
        let start = self.messages.partition_point(|m| m.id < below);
        self.journal.taken_below = self.next_id();
        let mut touched = std::mem::take(&mut self.journal.touched);
        touched.sort_unstable();
        touched.dedup();
        let changed = touched
            .iter()
            .filter(|id| **id < below)
            .filter_map(|id| self.message(*id).cloned())
            .collect();
        Changes {
            rev: self.journal.rev,
            added: self.messages[start..].to_vec(),
            changed,
            stored_below: self.next_id(),
            touched,
            meta_changed: std::mem::take(&mut self.journal.meta_changed),
        }
    }

    /// The write of `changes` succeeded.
    pub fn changes_stored(&mut self, changes: &Changes) {
        self.journal.rev = changes.new_rev();
        self.journal.stored_below = self.journal.stored_below.max(changes.stored_below);
        self.journal.refused = false;
    }

    /// The write of `changes` failed: they wait for the next one. With `refused`, the browser
    /// would not store them (full, or storage disabled): what is not stored shows as such.
    pub fn changes_refused(&mut self, changes: Changes, refused: bool) {
        self.journal.taken_below = self.journal.stored_below;
        self.journal.touched.extend(changes.touched);
        self.journal.meta_changed |= changes.meta_changed;
        self.journal.refused |= refused;
    }

    /// The same conversation as if nothing of it were stored (its record was deleted elsewhere,
    /// or it comes from a file): all of it is written by the next write.
    pub fn unstored(mut self) -> Self {
        self.journal = Journal {
            refused: self.journal.refused,
            meta_changed: true,
            ..Journal::default()
        };
        self
    }

    /// Whether a message is known not to be stored (its write was refused).
    pub fn is_unsaved(&self, id: u64) -> bool {
        self.journal.refused && id >= self.journal.stored_below
    }

    fn touch(&mut self, id: u64) {
        if id < self.journal.stored_below {
            self.journal.touched.push(id);
        }
    }

    /// This copy's unsaved changes replayed on `stored`, the conversation as storage holds it now
    /// (another tab wrote to it since this copy was read). Nothing either side wrote is lost:
    /// the other tab's messages stay as they are, this copy's new ones follow them. Own messages
    /// this copy already put on the wire keep their numbers (the peer knows them by those); a
    /// stored own message that was never sent and has the same number gets the next free one.
    pub fn rebase(mut self, stored: Conversation) -> Conversation {
        let mut merged = stored;
        let below = self.journal.stored_below;
        // Changes to messages both copies hold: this copy's delivery state, where the stored
        // message is the same one.
        self.journal.touched.sort_unstable();
        self.journal.touched.dedup();
        for id in std::mem::take(&mut self.journal.touched) {
            let Some(mine) = self.message(id).cloned() else {
                continue;
            };
            if let Ok(index) = merged.messages.binary_search_by_key(&id, |m| m.id) {
                let theirs = &mut merged.messages[index];
                if theirs.author == mine.author
                    && theirs.seq == mine.seq
                    && theirs.delivery != mine.delivery
                {
                    theirs.delivery = mine.delivery;
                    merged.journal.touched.push(id);
                }
            }
        }
        if self.peer_id.is_some() && self.journal.meta_changed {
            if merged.peer_id != self.peer_id {
                merged.received_upto = 0;
            }
            merged.peer_id = self.peer_id.take();
            if self.peer_name.is_some() {
                merged.peer_name = self.peer_name.take();
            }
        }
        merged.received_upto = merged.received_upto.max(self.received_upto);
        // The group log of the copy that changed it: a log only grows, and this tab's is the one
        // its group carries on from.
        if self.journal.meta_changed && self.group.is_some() {
            merged.group = self.group.take();
        }
        merged.journal.meta_changed = self.journal.meta_changed;
        let start = self.messages.partition_point(|m| m.id < below);
        for message in self.messages.drain(start..) {
            match (message.author, message.delivery) {
                (Author::Peer, _) => {
                    let id = merged.next_id();
                    merged.messages.push(ChatMessage { id, ..message });
                }
                (Author::Me, Delivery::Pending) => {
                    merged.compose(message.text, message.at_ms);
                }
                (Author::Me, _) => {
                    // On the wire with this number: it keeps it.
                    let clash = merged
                        .messages
                        .iter()
                        .position(|m| m.author == Author::Me && m.seq == message.seq);
                    let keep = match clash {
                        None => true,
                        Some(index) if merged.messages[index].delivery == Delivery::Pending => {
                            merged.last_own_seq = merged.last_own_seq.max(message.seq) + 1;
                            merged.messages[index].seq = merged.last_own_seq;
                            let id = merged.messages[index].id;
                            merged.touch(id);
                            true
                        }
                        Some(_) => false,
                    };
                    if keep {
                        merged.last_own_seq = merged.last_own_seq.max(message.seq);
                        let id = merged.next_id();
                        merged.messages.push(ChatMessage { id, ..message });
                    } else {
                        // Two copies sent different messages under one number (two live
                        // connections): keep the text, as pending under a new number.
                        merged.compose(message.text, message.at_ms);
                    }
                }
            }
            merged.updated_ms = merged.updated_ms.max(message.at_ms);
        }
        merged.journal.refused = self.journal.refused;
        merged
    }

    pub fn messages(&self) -> &[ChatMessage] {
        &self.messages
    }

    /// A message by its display id (ids only grow, so the list is sorted by them).
    pub fn message(&self, id: u64) -> Option<&ChatMessage> {
        self.messages
            .binary_search_by_key(&id, |m| m.id)
            .ok()
            .map(|index| &self.messages[index])
    }

    /// What the list on screen needs to know to re-render the newest `shown` messages: each
    /// one's id and delivery state. Cheap to copy, unlike the messages themselves.
    pub fn render_keys(&self, shown: usize) -> Vec<(u64, Delivery, bool)> {
        self.messages[self.messages.len().saturating_sub(shown)..]
            .iter()
            .map(|m| (m.id, m.delivery, self.is_unsaved(m.id)))
            .collect()
    }

    pub fn received_upto(&self) -> u64 {
        self.received_upto
    }

    /// A title for lists: the peer's name, else "Conversation".
    pub fn title(&self) -> String {
        self.peer_name
            .clone()
            .unwrap_or_else(|| "Conversation".to_owned())
    }

    pub fn last_message(&self) -> Option<&ChatMessage> {
        self.messages.last()
    }

    fn push(&mut self, author: Author, seq: u64, text: String, at_ms: f64, delivery: Delivery) {
        let id = self.next_id();
        self.messages.push(ChatMessage {
            id,
            author,
            seq,
            text,
            at_ms,
            delivery,
        });
        self.updated_ms = self.updated_ms.max(at_ms);
    }

    /// Adds one's own message as pending and returns its number.
    pub fn compose(&mut self, text: String, now_ms: f64) -> u64 {
        self.last_own_seq += 1;
        self.push(
            Author::Me,
            self.last_own_seq,
            text,
            now_ms,
            Delivery::Pending,
        );
        self.last_own_seq
    }

    /// Own messages the peer has not received, given that it has everything up to `peer_has`,
    /// oldest first.
    pub fn unreceived(&self, peer_has: u64) -> Vec<Outgoing> {
        self.messages
            .iter()
            .filter(|m| m.author == Author::Me && m.seq > peer_has)
            .map(|m| Outgoing {
                seq: m.seq,
                text: m.text.clone(),
                at_ms: m.at_ms,
            })
            .collect()
    }

    /// The message went onto the wire. Never moves a delivered message back.
    pub fn mark_sent(&mut self, seq: u64) {
        // Newest first: the message just sent is almost always at the end.
        let message = self
            .messages
            .iter_mut()
            .rev()
            .find(|m| m.author == Author::Me && m.seq == seq);
        if let Some(message) = message.filter(|m| m.delivery == Delivery::Pending) {
            message.delivery = Delivery::Sent;
            let id = message.id;
            self.touch(id);
        }
    }

    /// The peer acknowledged everything up to `upto`. Acks for messages never written are
    /// clamped: a lying peer cannot mark the future delivered.
    pub fn acknowledge(&mut self, upto: u64) {
        let upto = upto.min(self.last_own_seq);
        // Newest first, stopping at the first own message already delivered: acks are cumulative,
        // so everything older is delivered too. Keeps a burst of acks linear.
        let below = self.journal.stored_below;
        for message in self
            .messages
            .iter_mut()
            .rev()
            .filter(|m| m.author == Author::Me)
        {
            if message.seq <= upto {
                if message.delivery == Delivery::Delivered {
                    break;
                }
                message.delivery = Delivery::Delivered;
                if message.id < below {
                    self.journal.touched.push(message.id);
                }
            }
        }
    }

    /// The connection is known to be down: what went on the wire but was never acknowledged
    /// may not have arrived, so it shows as pending again and goes out again on reconnect (the
    /// peer keeps each message once, by its number).
    pub fn connection_lost(&mut self) {
        let below = self.journal.stored_below;
        for message in self.messages.iter_mut().rev() {
            if message.author != Author::Me {
                continue;
            }
            match message.delivery {
                Delivery::Sent => {
                    message.delivery = Delivery::Pending;
                    if message.id < below {
                        self.journal.touched.push(message.id);
                    }
                }
                // Acknowledgements are cumulative: everything older is delivered too.
                Delivery::Delivered => break,
                Delivery::Pending => {}
            }
        }
    }

    /// Own messages the peer has not acknowledged, oldest first.
    pub fn undelivered(&self) -> Vec<Outgoing> {
        self.messages
            .iter()
            .filter(|m| m.author == Author::Me && m.delivery != Delivery::Delivered)
            .map(|m| Outgoing {
                seq: m.seq,
                text: m.text.clone(),
                at_ms: m.at_ms,
            })
            .collect()
    }

    pub fn receive(&mut self, seq: u64, text: String, now_ms: f64) -> Received {
        if seq <= self.received_upto {
            Received::Duplicate
        } else if seq == self.received_upto + 1 {
            self.received_upto = seq;
            self.journal.meta_changed = true;
            self.push(Author::Peer, seq, text, now_ms, Delivery::Delivered);
            Received::Added
        } else {
            Received::OutOfOrder
        }
    }

    /// The peer said hello as `peer_id`. A different browser than before starts its own
    /// numbering, so what we received from the old one says nothing about the new one.
    pub fn meet(&mut self, peer_id: &str, name: Option<String>) {
        if self.peer_id.as_deref() != Some(peer_id) || (name.is_some() && name != self.peer_name) {
            self.journal.meta_changed = true;
        }
        if self.peer_id.as_deref() != Some(peer_id) {
            if self.peer_id.is_some() {
                self.received_upto = 0;
            }
            self.peer_id = Some(peer_id.to_owned());
        }
        if name.is_some() {
            self.peer_name = name;
        }
    }

    /// Own messages not yet on the wire.
    pub fn pending_count(&self) -> usize {
        self.messages
            .iter()
            .filter(|m| m.author == Author::Me && m.delivery == Delivery::Pending)
            .count()
    }
}

/// "14:05" from hours and minutes of the local clock (the browser supplies them).
pub fn format_clock(hours: u32, minutes: u32) -> String {
    format!("{:02}:{:02}", hours % 24, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(conversation: &Conversation) -> Vec<(&str, Author, Delivery)> {
        conversation
            .messages()
            .iter()
            .map(|m| (m.text.as_str(), m.author, m.delivery))
            .collect()
    }

    #[test]
    fn drafts_are_trimmed_but_keep_inner_lines() {
        assert_eq!(prepare_draft("  hi\nthere \n\n"), Ok("hi\nthere".into()));
        assert_eq!(prepare_draft(" \n\t "), Err(DraftError::Empty));
        assert_eq!(
            prepare_draft(&"x".repeat(MAX_TEXT_CHARS + 1)),
            Err(DraftError::TooLong)
        );
        assert!(prepare_draft(&"x".repeat(MAX_TEXT_CHARS)).is_ok());
    }

    #[test]
    fn own_messages_go_pending_sent_delivered() {
        let mut c = Conversation::new("c".into(), 0.0);
        let one = c.compose("one".into(), 1.0);
        let two = c.compose("two".into(), 2.0);
        assert_eq!((one, two), (1, 2));
        assert_eq!(c.pending_count(), 2);
        c.mark_sent(1);
        c.acknowledge(1);
        assert_eq!(
            texts(&c),
            [
                ("one", Author::Me, Delivery::Delivered),
                ("two", Author::Me, Delivery::Pending)
            ]
        );
        // A late "sent" never undoes "delivered".
        c.mark_sent(1);
        assert_eq!(c.messages()[0].delivery, Delivery::Delivered);
    }

    #[test]
    fn a_lost_connection_makes_unacknowledged_messages_pending_again() {
        let mut c = Conversation::new("c".into(), 0.0);
        for text in ["one", "two", "three"] {
            let seq = c.compose(text.into(), 1.0);
            c.mark_sent(seq);
        }
        c.acknowledge(1);
        c.compose("four".into(), 2.0);
        c.connection_lost();
        assert_eq!(
            texts(&c),
            [
                ("one", Author::Me, Delivery::Delivered),
                ("two", Author::Me, Delivery::Pending),
                ("three", Author::Me, Delivery::Pending),
                ("four", Author::Me, Delivery::Pending),
            ]
        );
        let again: Vec<u64> = c.undelivered().iter().map(|m| m.seq).collect();
        assert_eq!(again, [2, 3, 4]);
        c.acknowledge(4);
        assert!(c.undelivered().is_empty());
    }

    #[test]
    fn acks_beyond_what_was_written_are_clamped() {
        let mut c = Conversation::new("c".into(), 0.0);
        c.acknowledge(u64::MAX);
        c.compose("later".into(), 1.0);
        assert_eq!(c.messages()[0].delivery, Delivery::Pending);
    }

    #[test]
    fn peer_messages_are_taken_once_and_in_order() {
        let mut c = Conversation::new("c".into(), 0.0);
        assert_eq!(c.receive(1, "a".into(), 1.0), Received::Added);
        assert_eq!(c.receive(1, "a again".into(), 2.0), Received::Duplicate);
        assert_eq!(c.receive(3, "c".into(), 3.0), Received::OutOfOrder);
        assert_eq!(c.receive(0, "zero".into(), 3.0), Received::Duplicate);
        assert_eq!(c.receive(2, "b".into(), 4.0), Received::Added);
        assert_eq!(c.received_upto(), 2);
        let peer: Vec<&str> = c.messages().iter().map(|m| m.text.as_str()).collect();
        assert_eq!(peer, ["a", "b"]);
    }

    #[test]
    fn reconnect_resends_exactly_what_the_peer_lacks() {
        // Alice and Bob chat; the connection drops with messages in flight and written offline.
        let (mut alice, mut bob) = (
            Conversation::new("c".into(), 0.0),
            Conversation::new("c".into(), 0.0),
        );
        for text in ["a1", "a2", "a3"] {
            alice.compose(text.into(), 1.0);
        }
        // a1 arrived, a2 was on the wire and lost, a3 written while offline.
        alice.mark_sent(1);
        alice.mark_sent(2);
        bob.receive(1, "a1".into(), 1.0);
        alice.acknowledge(bob.received_upto());
        bob.compose("b1".into(), 2.0);

        // Hello exchange: each says how far it got; each resends the rest.
        let to_bob = alice.unreceived(bob.received_upto());
        let to_alice = bob.unreceived(alice.received_upto());
        assert_eq!(to_bob.iter().map(|m| m.seq).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(
            to_alice.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(),
            ["b1"]
        );
        // Sending twice (a second reconnect racing the first) still delivers once.
        for _ in 0..2 {
            for message in &to_bob {
                bob.receive(message.seq, message.text.clone(), 3.0);
            }
        }
        for message in &to_alice {
            alice.receive(message.seq, message.text.clone(), 3.0);
        }
        alice.acknowledge(bob.received_upto());
        bob.acknowledge(alice.received_upto());

        let bob_sees: Vec<&str> = bob.messages().iter().map(|m| m.text.as_str()).collect();
        assert_eq!(bob_sees, ["a1", "b1", "a2", "a3"]);
        assert!(alice
            .messages()
            .iter()
            .all(|m| m.delivery == Delivery::Delivered));
        assert!(bob
            .messages()
            .iter()
            .all(|m| m.delivery == Delivery::Delivered));
    }

    #[test]
    fn a_new_peer_browser_restarts_the_peer_numbering() {
        let mut c = Conversation::new("c".into(), 0.0);
        c.meet("bob-laptop", Some("Bob".into()));
        c.receive(1, "hi".into(), 1.0);
        c.meet("bob-laptop", None);
        assert_eq!((c.received_upto(), c.title()), (1, "Bob".to_owned()));
        c.meet("bob-phone", None);
        assert_eq!(c.received_upto(), 0);
        assert_eq!(
            c.receive(1, "hi from the phone".into(), 2.0),
            Received::Added
        );
    }

    #[test]
    fn finds_messages_by_id() {
        let mut c = Conversation::new("c".into(), 0.0);
        c.compose("one".into(), 1.0);
        c.receive(1, "two".into(), 2.0);
        assert_eq!(c.message(1).map(|m| m.text.as_str()), Some("two"));
        assert_eq!(c.message(2), None);
        assert_eq!(
            c.render_keys(5),
            [
                (0, Delivery::Pending, false),
                (1, Delivery::Delivered, false)
            ]
        );
        assert_eq!(c.render_keys(1), [(1, Delivery::Delivered, false)]);
        assert_eq!(c.render_keys(0), []);
    }

    #[test]
    fn survives_storage() {
        let mut c = Conversation::new("c".into(), 0.0);
        c.compose("kept".into(), 1.0);
        c.receive(1, "also kept".into(), 2.0);
        let json = serde_json::to_string(&c).unwrap();
        let back = serde_json::from_str::<Conversation>(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        assert_eq!(back.messages(), c.messages());
    }

    /// A conversation as if just read from storage at revision `rev`.
    fn stored(c: &Conversation, rev: u64) -> Conversation {
        Conversation::from_stored(
            c.id.clone(),
            c.peer_id.clone(),
            c.peer_name.clone(),
            c.created_ms,
            c.updated_ms,
            c.last_own_seq,
            c.received_upto,
            c.messages.clone(),
            c.next_id(),
            rev,
        )
    }

    #[test]
    fn changes_are_taken_once_and_a_refused_write_gives_them_back() {
        let mut c = Conversation::new("c".into(), 0.0);
        c.compose("one".into(), 1.0);
        c.compose("two".into(), 2.0);
        assert!(c.has_changes());
        let first = c.take_changes();
        assert_eq!(first.added.len(), 2);
        assert_eq!(first.rev, 0);
        // Written meanwhile: stays for the next write.
        c.compose("three".into(), 3.0);
        c.changes_stored(&first);
        assert_eq!((c.journal().rev, c.journal().stored_below), (1, 2));
        assert!(c.has_changes());
        // Delivery of a stored message is a change of that record only.
        c.mark_sent(1);
        let second = c.take_changes();
        assert_eq!(second.added.iter().map(|m| m.id).collect::<Vec<_>>(), [2]);
        assert_eq!(second.changed.iter().map(|m| m.id).collect::<Vec<_>>(), [0]);
        assert!(!c.has_changes());
        // Refused (storage full): the new message shows as not saved, and all comes back.
        c.changes_refused(second, true);
        assert!(c.is_unsaved(2) && !c.is_unsaved(1));
        assert_eq!(c.render_keys(1), [(2, Delivery::Pending, true)]);
        let third = c.take_changes();
        assert_eq!(third.changed.len(), 1);
        assert_eq!(third.added.len(), 1);
        c.changes_stored(&third);
        assert!(!c.is_unsaved(2) && !c.has_changes());
        c.acknowledge(3);
        assert_eq!(c.take_changes().changed.len(), 3);
    }

    #[test]
    fn ids_never_go_back_below_what_storage_gave_out() {
        let mut c = Conversation::new("c".into(), 0.0);
        c.compose("one".into(), 1.0);
        let mut read = stored(&c, 1);
        read.journal.stored_below = 5; // the last records were damaged and left out
        read.compose("two".into(), 2.0);
        assert_eq!(read.messages().last().map(|m| m.id), Some(5));
    }

    #[test]
    fn two_tabs_writing_keep_both_messages() {
        // Both tabs read the conversation at revision 1.
        let mut base = Conversation::new("c".into(), 0.0);
        base.meet("bob", Some("Bob".into()));
        base.compose("a1".into(), 1.0);
        base.receive(1, "b1".into(), 2.0);
        let (mut tab1, mut tab2) = (stored(&base, 1), stored(&base, 1));
        // Tab 1 is live: its message goes on the wire as number 2, then Bob's arrives.
        let seq = tab1.compose("from tab 1".into(), 3.0);
        tab1.mark_sent(seq);
        tab1.receive(2, "b2".into(), 3.5);
        // Tab 2 is not connected: its message waits as pending, also as number 2. It writes first.
        tab2.compose("from tab 2".into(), 4.0);
        let written = tab2.take_changes();
        tab2.changes_stored(&written);
        let in_storage = stored(&tab2, tab2.journal().rev);

        // Tab 1's write expects revision 1 and finds 2: it replays its changes on storage.
        let merged = tab1.rebase(in_storage);
        let seen: Vec<(&str, u64, Delivery)> = merged
            .messages()
            .iter()
            .map(|m| (m.text.as_str(), m.seq, m.delivery))
            .collect();
        assert_eq!(
            seen,
            [
                ("a1", 1, Delivery::Pending),
                ("b1", 1, Delivery::Delivered),
                // Never sent: it takes the next free number, so the peer gets both.
                ("from tab 2", 3, Delivery::Pending),
                ("from tab 1", 2, Delivery::Sent),
                ("b2", 2, Delivery::Delivered),
            ]
        );
        assert_eq!((merged.last_own_seq(), merged.received_upto()), (3, 2));
        assert_eq!(merged.journal().rev, 2);
        let changes = merged.clone().take_changes();
        assert_eq!(changes.added.len(), 2);
        assert_eq!(
            changes.changed.iter().map(|m| m.id).collect::<Vec<_>>(),
            [2]
        );
        // The peer is owed exactly the pending ones.
        let owed: Vec<u64> = merged.undelivered().iter().map(|m| m.seq).collect();
        assert_eq!(owed, [1, 3, 2]);
    }

    #[test]
    fn rebase_keeps_delivery_changes_to_shared_messages() {
        let mut base = Conversation::new("c".into(), 0.0);
        base.compose("a1".into(), 1.0);
        let mut tab1 = stored(&base, 1);
        let mut tab2 = stored(&base, 1);
        tab1.mark_sent(1);
        tab1.acknowledge(1);
        tab2.compose("a2".into(), 2.0);
        let written = tab2.take_changes();
        tab2.changes_stored(&written);
        let merged = tab1.rebase(stored(&tab2, 2));
        let seen: Vec<(&str, Delivery)> = merged
            .messages()
            .iter()
            .map(|m| (m.text.as_str(), m.delivery))
            .collect();
        assert_eq!(
            seen,
            [("a1", Delivery::Delivered), ("a2", Delivery::Pending)]
        );
    }

    #[test]
    fn clock_is_zero_padded() {
        assert_eq!(format_clock(9, 5), "09:05");
        assert_eq!(format_clock(23, 59), "23:59");
    }
}
