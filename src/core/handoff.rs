//! Same-browser hand-off: when the inviter opens the answer link in a new tab, that tab passes the
//! answer to the tab holding the invite over a BroadcastChannel. These are the messages; the tab
//! holding the invite decides with [`crate::core::session::InviteLedger`].

use serde::{Deserialize, Deserializer, Serialize};

use crate::core::protocol::need;
use crate::core::session::AnswerRejection;
use crate::core::signal::InviteId;

/// Name of the BroadcastChannel (one per origin; messages carry the invite id they are for).
pub const CHANNEL_NAME: &str = "tincan-handoff-v1";

/// How long a new tab waits for the invite's tab to reply before saying nobody is waiting.
pub const REPLY_TIMEOUT_MS: u32 = 800;

/// Encoded by serde's internally tagged derive, decoded through [`WireHandoff`] (for the reason
/// given at `protocol::WireFrame`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum HandoffMessage {
    /// From the new tab: here is an answer for `invite` (hex id), as the code from the link.
    Answer { invite: String, code: String },
    /// From the tab holding the invite.
    Reply {
        invite: String,
        outcome: HandoffOutcome,
    },
}

#[derive(Deserialize)]
struct WireHandoff {
    k: String,
    invite: String,
    code: Option<String>,
    outcome: Option<HandoffOutcome>,
}

impl<'de> Deserialize<'de> for HandoffMessage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = WireHandoff::deserialize(deserializer)?;
        match wire.k.as_str() {
            "answer" => Ok(Self::Answer {
                invite: wire.invite,
                code: need(wire.code, "code")?,
            }),
            "reply" => Ok(Self::Reply {
                invite: wire.invite,
                outcome: need(wire.outcome, "outcome")?,
            }),
            _ => Err(serde::de::Error::unknown_variant(
                &wire.k,
                &["answer", "reply"],
            )),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffOutcome {
    Accepted,
    AlreadyUsed,
}

impl HandoffMessage {
    pub fn answer(invite: InviteId, code: &str) -> Self {
        Self::Answer {
            invite: invite.to_string(),
            code: code.to_owned(),
        }
    }

    pub fn reply(invite: InviteId, outcome: HandoffOutcome) -> Self {
        Self::Reply {
            invite: invite.to_string(),
            outcome,
        }
    }

    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Other tabs (of other versions, too) share the channel: anything unexpected is `None`.
    pub fn decode(raw: &str) -> Option<Self> {
        if raw.len() > 16 * 1024 {
            return None;
        }
        serde_json::from_str(raw).ok()
    }
}

impl HandoffOutcome {
    /// The reply for an answer the ledger refused; `None` means "stay silent" (the answer is for
    /// some other tab's invite, which may yet reply).
    pub fn for_rejection(rejection: &AnswerRejection) -> Option<Self> {
        match rejection {
            AnswerRejection::AlreadyUsed => Some(Self::AlreadyUsed),
            AnswerRejection::IsAnInvite
            | AnswerRejection::DifferentInvite
            | AnswerRejection::NotWaiting => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        let id = InviteId([7; 8]);
        for message in [
            HandoffMessage::answer(id, "Cabc"),
            HandoffMessage::reply(id, HandoffOutcome::AlreadyUsed),
        ] {
            assert_eq!(HandoffMessage::decode(&message.encode()), Some(message));
        }
    }

    #[test]
    fn foreign_messages_are_ignored() {
        assert_eq!(HandoffMessage::decode("{}"), None);
        assert_eq!(HandoffMessage::decode("not json"), None);
        assert_eq!(HandoffMessage::decode(&"x".repeat(20_000)), None);
    }

    #[test]
    fn only_a_used_invite_answers_a_refusal() {
        assert_eq!(
            HandoffOutcome::for_rejection(&AnswerRejection::AlreadyUsed),
            Some(HandoffOutcome::AlreadyUsed)
        );
        assert_eq!(
            HandoffOutcome::for_rejection(&AnswerRejection::DifferentInvite),
            None
        );
    }
}
