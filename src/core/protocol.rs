//! Frames exchanged over the chat data channel.
//!
//! JSON text frames with a kind tag `k`. Kinds this version does not know decode to
//! [`Frame::Unknown`] and are ignored, so a newer peer can talk to an older one. Anything
//! oversized or malformed is rejected before it reaches the chat: a hostile peer sees nothing
//! happen.

use serde::{Deserialize, Serialize};

/// Version of the frame protocol this build speaks, sent in [`Frame::Hello`].
pub const PROTOCOL_VERSION: u32 = 1;

/// Largest frame accepted from the peer, in bytes. Well under every browser's SCTP message limit.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Longest message a person may send, in characters (a long letter, not a file).
pub const MAX_TEXT_CHARS: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum Frame {
    /// First frame on an open channel.
    Hello { v: u32 },
    /// A chat message; `ts` is the sender's clock in milliseconds since the Unix epoch.
    Text { text: String, ts: f64 },
    /// The sender is leaving (tab closing): the other side can say so at once.
    Bye,
    /// A kind from a newer version.
    #[serde(other)]
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame larger than {MAX_FRAME_BYTES} bytes")]
    TooLarge,
    #[error("frame is not valid JSON of a known shape")]
    Malformed,
    #[error("message longer than {MAX_TEXT_CHARS} characters")]
    TextTooLong,
}

impl Frame {
    pub fn encode(&self) -> String {
        // Serialising these plain structs cannot fail; an empty string would be dropped by the peer.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn decode(raw: &str) -> Result<Self, FrameError> {
        if raw.len() > MAX_FRAME_BYTES {
            return Err(FrameError::TooLarge);
        }
        let frame: Frame = serde_json::from_str(raw).map_err(|_| FrameError::Malformed)?;
        match &frame {
            Frame::Text { text, .. } if text.chars().count() > MAX_TEXT_CHARS => {
                Err(FrameError::TextTooLong)
            }
            Frame::Text { ts, .. } if !ts.is_finite() => Err(FrameError::Malformed),
            _ => Ok(frame),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        let frame = Frame::Text {
            text: "hi <b>there</b>\nline two".into(),
            ts: 1.7e12,
        };
        assert_eq!(Frame::decode(&frame.encode()), Ok(frame));
    }

    #[test]
    fn hello_and_bye_round_trip() {
        for frame in [
            Frame::Hello {
                v: PROTOCOL_VERSION,
            },
            Frame::Bye,
        ] {
            assert_eq!(Frame::decode(&frame.encode()), Ok(frame));
        }
    }

    #[test]
    fn unknown_kinds_are_tolerated() {
        assert_eq!(
            Frame::decode(r#"{"k":"reaction","emoji":"x"}"#),
            Ok(Frame::Unknown)
        );
    }

    #[test]
    fn junk_is_rejected() {
        for raw in [
            "",
            "null",
            "[]",
            "{}",
            "{\"k\":5}",
            "{\"k\":\"text\"}",
            "{\"k\":\"text\",\"text\":1,\"ts\":0}",
            "\u{0}",
        ] {
            assert_eq!(Frame::decode(raw), Err(FrameError::Malformed), "{raw:?}");
        }
    }

    #[test]
    fn oversized_frames_and_texts_are_rejected() {
        let huge = format!(
            r#"{{"k":"text","text":"{}","ts":0}}"#,
            "a".repeat(MAX_FRAME_BYTES)
        );
        assert_eq!(Frame::decode(&huge), Err(FrameError::TooLarge));
        let long = Frame::Text {
            text: "é".repeat(MAX_TEXT_CHARS + 1),
            ts: 0.0,
        }
        .encode();
        assert_eq!(Frame::decode(&long), Err(FrameError::TextTooLong));
    }
}
