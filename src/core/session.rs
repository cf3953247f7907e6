//! The life of one connection attempt, from "Create invite" (or an opened invite link) to a
//! closed chat. Pure state: the browser glue feeds it events and renders what it says.

use crate::core::signal::{InviteId, Signal, SignalKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Made the invite; chooses the conversation and starts the hello.
    Inviter,
    /// Opened an invite; answers the hello and joins the inviter's conversation.
    Invitee,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Nothing under way.
    Start,
    /// Making the offer or answer and gathering network candidates.
    Preparing,
    /// Inviter: the invite link is out; waiting for the answer link.
    WaitingForAnswer {
        invite_link: String,
    },
    /// Invitee: the answer link is made; waiting for the inviter to use it.
    WaitingForInviter {
        answer_link: String,
    },
    /// Both descriptions are set; ICE and DTLS are working.
    Connecting,
    Connected,
    /// Was connected; the peer left or the network dropped.
    Disconnected,
    /// Never connected, or setting up failed.
    Failed,
}

impl Phase {
    /// Text of the status badge. Each starts with the word automation looks for.
    pub fn status_text(&self) -> &'static str {
        match self {
            Phase::Start => "Not connected",
            Phase::Preparing => "Preparing link…",
            Phase::WaitingForAnswer { .. } => "Waiting for an answer",
            Phase::WaitingForInviter { .. } => "Waiting for them to connect",
            Phase::Connecting => "Connecting…",
            Phase::Connected => "Connected",
            Phase::Disconnected => "Disconnected",
            Phase::Failed => "Failed",
        }
    }

    /// A short machine-friendly name, used as a CSS hook.
    pub fn tone(&self) -> &'static str {
        match self {
            Phase::Start => "idle",
            Phase::Preparing | Phase::WaitingForAnswer { .. } | Phase::WaitingForInviter { .. } => {
                "waiting"
            }
            Phase::Connecting => "connecting",
            Phase::Connected => "connected",
            Phase::Disconnected => "disconnected",
            Phase::Failed => "failed",
        }
    }
}

/// What the main area shows. Several phases share a screen (connected and disconnected are the
/// same chat), so the view is rebuilt only when the screen really changes: a draft in the
/// message box survives a dropped connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Screen {
    Start,
    /// Waiting on the browser, with what it is doing.
    Busy(&'static str),
    Invite(String),
    Answer(String),
    Chat,
    /// A first contact failed: only a way back.
    Failed,
}

/// How long the invite or answer screen stays up once connecting has started, before the busy
/// "Connecting" screen replaces it: on a working network the connection is up sooner, so the
/// chat follows the invite directly and no screen is built that nobody would see (the status
/// badge says "Connecting…" at once).
pub const CONNECTING_SCREEN_AFTER_MS: u32 = 400;

/// How long the invitee's answer screen stays up once the channel is open, waiting for the
/// inviter's hello (which names the conversation), before the chat screen replaces it anyway. So
/// the hello is answered before the chat screen is built (building it costs the page 10-30 ms,
/// which the inviter would otherwise wait for), and the screen is built once, for the
/// conversation it shows. An inviter that holds its hello back (a changed identity) leaves the
/// invitee in the chat, with its safety code, after this wait.
pub const HELLO_WAIT_MS: u32 = 250;

/// When the screen on display gives way to `next`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScreenChange {
    /// In the same turn.
    Now,
    /// After this many milliseconds, if it is still the screen to show.
    After(u32),
}

impl Screen {
    /// When `self` (on display) gives way to `next`. `conversation_shown`: a conversation is on
    /// screen (the invitee's is known only from the inviter's hello).
    pub fn change_to(&self, next: &Screen, conversation_shown: bool) -> ScreenChange {
        match (self, next) {
            (Screen::Invite(_) | Screen::Answer(_), Screen::Busy(doing))
                if *doing == CONNECTING =>
            {
                ScreenChange::After(CONNECTING_SCREEN_AFTER_MS)
            }
            // Once the conversation is known, at once: the inviter sent its hello as the channel
            // opened, and the invitee answered the hello before this; nothing from the peer is
            // waiting to be answered first.
            (Screen::Invite(_) | Screen::Answer(_) | Screen::Busy(_), Screen::Chat)
                if !conversation_shown =>
            {
                ScreenChange::After(HELLO_WAIT_MS)
            }
            _ => ScreenChange::Now,
        }
    }
}

/// What the busy screen says while ICE and DTLS work.
const CONNECTING: &str = "Connecting directly to the other browser…";

impl Phase {
    /// `known_conversation`: a conversation with a known peer is on screen (so a failure is a
    /// failed reconnect, shown in its chat).
    pub fn screen(&self, known_conversation: bool) -> Screen {
        match self {
            Phase::Start => Screen::Start,
            Phase::Preparing => Screen::Busy("Preparing your link…"),
            Phase::WaitingForAnswer { invite_link } => Screen::Invite(invite_link.clone()),
            Phase::WaitingForInviter { answer_link } => Screen::Answer(answer_link.clone()),
            Phase::Connecting => Screen::Busy(CONNECTING),
            Phase::Connected | Phase::Disconnected => Screen::Chat,
            Phase::Failed if known_conversation => Screen::Chat,
            Phase::Failed => Screen::Failed,
        }
    }
}

/// Why an answer cannot be used by this tab.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AnswerRejection {
    #[error(
        "That is an invite link, not an answer. Paste the answer link that your contact sent back."
    )]
    IsAnInvite,
    #[error("This answer belongs to a different invite. Ask your contact to open your current invite link and send the new answer.")]
    DifferentInvite,
    #[error("This answer was already used: each invite connects once. Make a new invite to connect again.")]
    AlreadyUsed,
    #[error("This tab is not waiting for an answer. Press Create invite first.")]
    NotWaiting,
}

/// The inviter's bookkeeping about which answer it will take.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InviteLedger {
    open_invite: Option<InviteId>,
    used: bool,
}

impl InviteLedger {
    /// A new invite replaces any earlier one: answers to the old one are refused from now on.
    pub fn open(&mut self, invite_id: InviteId) {
        self.open_invite = Some(invite_id);
        self.used = false;
    }

    pub fn close(&mut self) {
        self.open_invite = None;
        self.used = false;
    }

    pub fn open_invite(&self) -> Option<InviteId> {
        self.open_invite
    }

    /// Checks an answer and, if it fits, marks the invite used so the same answer (or any other)
    /// cannot be applied twice.
    pub fn take_answer(&mut self, signal: &Signal) -> Result<(), AnswerRejection> {
        self.check_answer(signal)?;
        self.used = true;
        Ok(())
    }

    pub fn check_answer(&self, signal: &Signal) -> Result<(), AnswerRejection> {
        if signal.kind == SignalKind::Invite {
            return Err(AnswerRejection::IsAnInvite);
        }
        let Some(open) = self.open_invite else {
            return Err(AnswerRejection::NotWaiting);
        };
        if open != signal.invite_id {
            return Err(AnswerRejection::DifferentInvite);
        }
        if self.used {
            return Err(AnswerRejection::AlreadyUsed);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connecting_screen_comes_only_when_connecting_takes_a_while() {
        let invite = Phase::WaitingForAnswer {
            invite_link: "l".into(),
        }
        .screen(false);
        let answer = Phase::WaitingForInviter {
            answer_link: "l".into(),
        }
        .screen(false);
        let connecting = Phase::Connecting.screen(false);
        let chat = Phase::Connected.screen(false);
        for waiting in [&invite, &answer] {
            assert_eq!(
                waiting.change_to(&connecting, true),
                ScreenChange::After(CONNECTING_SCREEN_AFTER_MS)
            );
            assert_eq!(waiting.change_to(&chat, true), ScreenChange::Now);
        }
        assert_eq!(connecting.change_to(&chat, true), ScreenChange::Now);
        // Anything else at once: a failure, Start over, the link being ready.
        assert_eq!(
            connecting.change_to(&Screen::Failed, true),
            ScreenChange::Now
        );
        assert_eq!(invite.change_to(&Screen::Start, true), ScreenChange::Now);
        assert_eq!(
            Phase::Preparing.screen(false).change_to(&invite, true),
            ScreenChange::Now
        );
        assert_eq!(chat.change_to(&Screen::Start, true), ScreenChange::Now);
        // Preparing a link is busy too, but not connecting.
        assert_eq!(
            invite.change_to(&Phase::Preparing.screen(false), true),
            ScreenChange::Now
        );
    }

    #[test]
    fn the_invitee_answers_the_hello_before_the_chat_screen_is_built() {
        let answer = Phase::WaitingForInviter {
            answer_link: "l".into(),
        }
        .screen(false);
        let chat = Phase::Connected.screen(false);
        // Open, no hello yet: the answer screen stays a moment, for the hello to name the
        // conversation the chat shows.
        assert_eq!(
            answer.change_to(&chat, false),
            ScreenChange::After(HELLO_WAIT_MS)
        );
        // The hello came (and was answered): the chat at once.
        assert_eq!(answer.change_to(&chat, true), ScreenChange::Now);
        // Nothing else waits for a conversation.
        assert_eq!(chat.change_to(&Screen::Start, false), ScreenChange::Now);
        assert_eq!(
            Phase::Preparing.screen(false).change_to(&answer, false),
            ScreenChange::Now
        );
    }

    fn answer(id: u8) -> Signal {
        Signal {
            kind: SignalKind::Answer,
            invite_id: InviteId([id; 8]),
            sdp: String::new(),
        }
    }

    #[test]
    fn takes_the_matching_answer_once() {
        let mut ledger = InviteLedger::default();
        ledger.open(InviteId([1; 8]));
        assert_eq!(ledger.take_answer(&answer(1)), Ok(()));
        assert_eq!(
            ledger.take_answer(&answer(1)),
            Err(AnswerRejection::AlreadyUsed)
        );
    }

    #[test]
    fn refuses_invites_foreign_answers_and_answers_when_idle() {
        let mut ledger = InviteLedger::default();
        assert_eq!(
            ledger.take_answer(&answer(1)),
            Err(AnswerRejection::NotWaiting)
        );
        ledger.open(InviteId([1; 8]));
        let invite = Signal {
            kind: SignalKind::Invite,
            ..answer(1)
        };
        assert_eq!(
            ledger.take_answer(&invite),
            Err(AnswerRejection::IsAnInvite)
        );
        assert_eq!(
            ledger.take_answer(&answer(2)),
            Err(AnswerRejection::DifferentInvite)
        );
    }

    #[test]
    fn a_new_invite_closes_the_old_one() {
        let mut ledger = InviteLedger::default();
        ledger.open(InviteId([1; 8]));
        ledger.open(InviteId([2; 8]));
        assert_eq!(
            ledger.take_answer(&answer(1)),
            Err(AnswerRejection::DifferentInvite)
        );
        assert_eq!(ledger.take_answer(&answer(2)), Ok(()));
        ledger.close();
        assert_eq!(
            ledger.take_answer(&answer(2)),
            Err(AnswerRejection::NotWaiting)
        );
    }

    #[test]
    fn connected_and_disconnected_share_the_chat_screen() {
        assert_eq!(
            Phase::Connected.screen(true),
            Phase::Disconnected.screen(true)
        );
        assert_eq!(Phase::Failed.screen(true), Screen::Chat);
        assert_eq!(Phase::Failed.screen(false), Screen::Failed);
        assert!(matches!(Phase::Connecting.screen(false), Screen::Busy(_)));
    }

    #[test]
    fn status_texts_start_with_the_contract_words() {
        assert!(Phase::WaitingForAnswer {
            invite_link: String::new()
        }
        .status_text()
        .starts_with("Waiting"));
        assert!(Phase::WaitingForInviter {
            answer_link: String::new()
        }
        .status_text()
        .starts_with("Waiting"));
        assert!(Phase::Connecting.status_text().starts_with("Connecting"));
        assert!(Phase::Connected.status_text().starts_with("Connected"));
        assert!(Phase::Disconnected
            .status_text()
            .starts_with("Disconnected"));
        assert!(Phase::Failed.status_text().starts_with("Failed"));
    }
}
