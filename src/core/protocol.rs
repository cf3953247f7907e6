//! Frames exchanged over the chat data channel.
//!
//! JSON text frames with a kind tag `k`. Kinds this version does not know decode to
//! [`Frame::Unknown`] and are ignored, so a newer peer can talk to an older one. Anything
//! oversized or malformed is rejected before it reaches the chat; frames that come before the
//! hello, or in the wrong role, are dropped by [`FrameGate`]. A hostile peer sees nothing happen.

use serde::{Deserialize, Deserializer, Serialize};

use crate::core::call::{CallSignal, RemoteMedia, CALL_CAPABILITY};
use crate::core::safety::Fingerprint;

/// Version of the frame protocol this build speaks, sent in [`Frame::Hello`].
pub const PROTOCOL_VERSION: u32 = 2;

/// Largest frame accepted from the peer, in bytes. Well under every browser's SCTP message limit.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Longest message a person may send, in characters (a long letter, not a file).
pub const MAX_TEXT_CHARS: usize = 10_000;

/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 40;

/// Longest id (conversation, peer) a peer may send.
const MAX_ID_CHARS: usize = 64;

/// Longest SDP carried in a renegotiation frame.
const MAX_SDP_BYTES: usize = 16 * 1024;

/// Longest fingerprint carried in a [`Frame::NextIdentity`]: a SHA-512 one (`sha-512 ` and 64
/// hex pairs) with room to spare.
const MAX_FINGERPRINT_CHARS: usize = 256;

/// The hash functions a DTLS fingerprint may name (RFC 8122), as browsers write them.
const FINGERPRINT_ALGORITHMS: &[&str] = &["sha-1", "sha-224", "sha-256", "sha-384", "sha-512"];

/// What this build can do, announced in the hello so a peer can tell.
pub const CAPABILITIES: &[&str] = &[
    "receipts",
    "typing",
    "ice-restart",
    "identity",
    CALL_CAPABILITY,
    crate::core::group::GROUP_CAPABILITY,
];

/// Encoded by serde's internally tagged derive; decoded by hand (see the `Deserialize` impl).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum Frame {
    /// First frame on an open channel, from each side. `received` is the highest message number
    /// of the other side's this side already has in `conversation`: the other resends the rest.
    Hello {
        v: u32,
        conversation: String,
        peer: String,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        received: u64,
        #[serde(default)]
        caps: Vec<String>,
    },
    /// A chat message: the sender's `seq`-th, written at `ts` (sender's clock, ms since epoch).
    Text {
        seq: u64,
        text: String,
        ts: f64,
    },
    /// Everything up to `upto` arrived.
    Ack {
        upto: u64,
    },
    /// The sender is typing.
    Typing,
    /// ICE restart, negotiated over the channel itself: an offer or an answer SDP.
    Renegotiate {
        offer: bool,
        sdp: String,
    },
    /// The sender is leaving (tab closing): the other side can say so at once.
    Bye,
    /// The fingerprint (`sha-256 AB:…`) of the certificate the sender will switch to when its
    /// current one nears expiry. Told over this connection, which the current one authenticates,
    /// so the peer takes the switch quietly.
    NextIdentity {
        fp: String,
    },
    /// A call rings (`core::call`); the media offer and answer go as `Renegotiate` frames.
    Call {
        id: u32,
        video: bool,
    },
    CallAccept {
        id: u32,
    },
    CallDecline {
        id: u32,
    },
    CallEnd {
        id: u32,
    },
    /// The sender's microphone, camera and screen sharing changed during call `id`.
    CallMedia {
        id: u32,
        muted: bool,
        camera_off: bool,
        screen: bool,
    },
    /// A kind from a newer version.
    #[serde(other)]
    Unknown,
}

/// Every field any frame kind has, all optional: a frame is read in one pass into this, then
/// checked for the fields its kind needs. serde's derive for an internally tagged enum buffers
/// the whole frame first and costs about 13 KB of wasm; this is a plain struct. Stricter in one
/// way: a field of the wrong type is malformed even when the frame's kind does not use it.
#[derive(Deserialize)]
struct WireFrame {
    k: String,
    v: Option<u32>,
    conversation: Option<String>,
    peer: Option<String>,
    name: Option<String>,
    received: Option<u64>,
    caps: Option<Vec<String>>,
    seq: Option<u64>,
    text: Option<String>,
    ts: Option<f64>,
    upto: Option<u64>,
    offer: Option<bool>,
    sdp: Option<String>,
    fp: Option<String>,
    id: Option<u32>,
    video: Option<bool>,
    muted: Option<bool>,
    camera_off: Option<bool>,
    screen: Option<bool>,
}

/// A field the frame's kind needs (for the hand-written `Deserialize` impls of tagged frames).
pub(crate) fn need<T, E: serde::de::Error>(field: Option<T>, name: &'static str) -> Result<T, E> {
    field.ok_or_else(|| E::missing_field(name))
}

impl<'de> Deserialize<'de> for Frame {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = WireFrame::deserialize(deserializer)?;
        Ok(match wire.k.as_str() {
            "hello" => Frame::Hello {
                v: need(wire.v, "v")?,
                conversation: need(wire.conversation, "conversation")?,
                peer: need(wire.peer, "peer")?,
                name: wire.name,
                received: wire.received.unwrap_or(0),
                caps: wire.caps.unwrap_or_default(),
            },
            "text" => Frame::Text {
                seq: need(wire.seq, "seq")?,
                text: need(wire.text, "text")?,
                ts: need(wire.ts, "ts")?,
            },
            "ack" => Frame::Ack {
                upto: need(wire.upto, "upto")?,
            },
            "typing" => Frame::Typing,
            "renegotiate" => Frame::Renegotiate {
                offer: need(wire.offer, "offer")?,
                sdp: need(wire.sdp, "sdp")?,
            },
            "bye" => Frame::Bye,
            "next_identity" => Frame::NextIdentity {
                fp: need(wire.fp, "fp")?,
            },
            "call" => Frame::Call {
                id: need(wire.id, "id")?,
                video: need(wire.video, "video")?,
            },
            "call_accept" => Frame::CallAccept {
                id: need(wire.id, "id")?,
            },
            "call_decline" => Frame::CallDecline {
                id: need(wire.id, "id")?,
            },
            "call_end" => Frame::CallEnd {
                id: need(wire.id, "id")?,
            },
            "call_media" => Frame::CallMedia {
                id: need(wire.id, "id")?,
                muted: need(wire.muted, "muted")?,
                camera_off: need(wire.camera_off, "camera_off")?,
                screen: need(wire.screen, "screen")?,
            },
            _ => Frame::Unknown,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame larger than {MAX_FRAME_BYTES} bytes")]
    TooLarge,
    #[error("frame is not valid JSON of a known shape")]
    Malformed,
    #[error("a field is out of bounds")]
    OutOfBounds,
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
        if frame.within_bounds() {
            Ok(frame)
        } else {
            Err(FrameError::OutOfBounds)
        }
    }

    fn within_bounds(&self) -> bool {
        let id_ok = |id: &str| {
            !id.is_empty()
                && id.len() <= MAX_ID_CHARS
                && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        match self {
            Frame::Hello {
                conversation,
                peer,
                name,
                caps,
                ..
            } => {
                id_ok(conversation)
                    && id_ok(peer)
                    && name
                        .as_ref()
                        .is_none_or(|n| n.chars().count() <= MAX_NAME_CHARS)
                    && caps.len() <= 32
            }
            Frame::Text { seq, text, ts } => {
                *seq > 0 && text.chars().count() <= MAX_TEXT_CHARS && ts.is_finite()
            }
            Frame::Renegotiate { sdp, .. } => sdp.len() <= MAX_SDP_BYTES,
            Frame::NextIdentity { fp } => {
                fp.len() <= MAX_FINGERPRINT_CHARS
                    && Fingerprint::from_sdp_value(fp).is_some_and(|fingerprint| {
                        FINGERPRINT_ALGORITHMS.contains(&fingerprint.algorithm.as_str())
                    })
            }
            Frame::Ack { .. }
            | Frame::Typing
            | Frame::Bye
            | Frame::Unknown
            | Frame::Call { .. }
            | Frame::CallAccept { .. }
            | Frame::CallDecline { .. }
            | Frame::CallEnd { .. }
            | Frame::CallMedia { .. } => true,
        }
    }
}

impl Frame {
    /// The call signal this frame carries, if it is a call frame.
    pub fn call_signal(&self) -> Option<CallSignal> {
        Some(match *self {
            Frame::Call { id, video } => CallSignal::Ring { id, video },
            Frame::CallAccept { id } => CallSignal::Accept { id },
            Frame::CallDecline { id } => CallSignal::Decline { id },
            Frame::CallEnd { id } => CallSignal::End { id },
            Frame::CallMedia {
                id,
                muted,
                camera_off,
                screen,
            } => CallSignal::Media {
                id,
                state: RemoteMedia {
                    muted,
                    camera_off,
                    sharing_screen: screen,
                },
            },
            _ => return None,
        })
    }
}

impl From<CallSignal> for Frame {
    fn from(signal: CallSignal) -> Self {
        match signal {
            CallSignal::Ring { id, video } => Frame::Call { id, video },
            CallSignal::Accept { id } => Frame::CallAccept { id },
            CallSignal::Decline { id } => Frame::CallDecline { id },
            CallSignal::End { id } => Frame::CallEnd { id },
            CallSignal::Media { id, state } => Frame::CallMedia {
                id,
                muted: state.muted,
                camera_off: state.camera_off,
                screen: state.sharing_screen,
            },
        }
    }
}

/// A display name as the user typed it: trimmed, capped, `None` when empty.
pub fn clean_name(name: &str) -> Option<String> {
    let name: String = name
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Admits frames in the order the protocol allows and counts what it drops.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FrameGate {
    /// The peer's hello came (and was handed to the app to judge); a second one is dropped.
    hello_seen: bool,
    /// The app accepted that hello: only now do the conversation's frames pass.
    greeted: bool,
    dropped: u64,
}

impl FrameGate {
    /// Whether the peer's hello has been accepted on this connection.
    pub fn greeted(&self) -> bool {
        self.greeted
    }

    /// The app checked the hello `admit` handed it (the right conversation, a known role) and
    /// takes it: from now on the conversation's frames pass. A refused hello is never accepted,
    /// so nothing after it passes either.
    pub fn accept_hello(&mut self) {
        if self.hello_seen {
            self.greeted = true;
        }
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn drop_one(&mut self) {
        self.dropped += 1;
    }

    /// Decodes a raw frame and decides whether it may be acted on now.
    pub fn admit(&mut self, raw: &str) -> Option<Frame> {
        let admitted = match Frame::decode(raw) {
            Ok(Frame::Unknown) => return None, // a newer kind: ignored, not an offence
            Ok(frame @ Frame::Hello { .. }) if !self.hello_seen => {
                self.hello_seen = true;
                Some(frame)
            }
            Ok(Frame::Hello { .. }) => None, // a second hello on one connection
            Ok(frame @ (Frame::Bye | Frame::Typing)) => Some(frame),
            Ok(frame) if self.greeted => Some(frame),
            Ok(_) | Err(_) => None, // out of place before the hello, or junk
        };
        if admitted.is_none() {
            self.dropped += 1;
        }
        admitted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello() -> Frame {
        Frame::Hello {
            v: PROTOCOL_VERSION,
            conversation: "0123abcd".into(),
            peer: "peer-1".into(),
            name: Some("Ann".into()),
            received: 3,
            caps: CAPABILITIES.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn frames_round_trip() {
        for frame in [
            hello(),
            Frame::Text {
                seq: 1,
                text: "hi <b>there</b>\nline two".into(),
                ts: 1.7e12,
            },
            Frame::Ack { upto: 7 },
            Frame::Typing,
            Frame::Renegotiate {
                offer: true,
                sdp: "v=0\r\n".into(),
            },
            Frame::Bye,
            Frame::NextIdentity {
                fp: format!("sha-256 {}", vec!["AB"; 32].join(":")),
            },
        ] {
            assert_eq!(Frame::decode(&frame.encode()), Ok(frame));
        }
    }

    #[test]
    fn the_next_identity_frame_is_a_fingerprint_and_nothing_else() {
        let fp = format!("sha-256 {}", vec!["0F"; 32].join(":"));
        let wire = format!(r#"{{"k":"next_identity","fp":"{fp}"}}"#);
        assert_eq!(Frame::NextIdentity { fp: fp.clone() }.encode(), wire);
        assert_eq!(Frame::decode(&wire), Ok(Frame::NextIdentity { fp }));
        assert_eq!(
            Frame::decode(r#"{"k":"next_identity"}"#),
            Err(FrameError::Malformed)
        );
        assert_eq!(
            Frame::decode(r#"{"k":"next_identity","fp":7}"#),
            Err(FrameError::Malformed)
        );
        let too_long = format!("sha-512 {}", vec!["AB"; 90].join(":"));
        for bad in [
            "",
            "sha-256",
            "sha-256 ZZ:01",
            "<b>x</b> AB",
            "md5 AB:CD",
            r"sha-256 AB:CD\u0000",
            too_long.as_str(),
        ] {
            let raw = format!(r#"{{"k":"next_identity","fp":"{bad}"}}"#);
            assert_eq!(Frame::decode(&raw), Err(FrameError::OutOfBounds), "{bad}");
        }
    }

    #[test]
    fn the_next_identity_frame_passes_only_after_the_hello() {
        let next = Frame::NextIdentity {
            fp: format!("sha-256 {}", vec!["AB"; 32].join(":")),
        };
        let mut gate = FrameGate::default();
        assert_eq!(gate.admit(&next.encode()), None);
        gate.admit(&hello().encode());
        assert_eq!(gate.admit(&next.encode()), None, "hello not accepted yet");
        gate.accept_hello();
        assert_eq!(gate.admit(&next.encode()), Some(next));
        assert_eq!(gate.dropped(), 2);
    }

    #[test]
    fn call_frames_round_trip_and_wait_for_the_hello() {
        let signals = [
            CallSignal::Ring { id: 3, video: true },
            CallSignal::Accept { id: 3 },
            CallSignal::Decline { id: 3 },
            CallSignal::End { id: 3 },
            CallSignal::Media {
                id: 3,
                state: RemoteMedia {
                    muted: true,
                    camera_off: false,
                    sharing_screen: true,
                },
            },
        ];
        let mut gate = FrameGate::default();
        for signal in signals {
            let frame = Frame::from(signal);
            assert_eq!(frame.call_signal(), Some(signal));
            assert_eq!(Frame::decode(&frame.encode()), Ok(frame.clone()));
            assert_eq!(gate.admit(&frame.encode()), None, "before the hello");
        }
        gate.admit(&hello().encode());
        gate.accept_hello();
        for signal in signals {
            assert_eq!(
                gate.admit(&Frame::from(signal).encode()),
                Some(signal.into())
            );
        }
        assert_eq!(Frame::Typing.call_signal(), None);
        for junk in [
            r#"{"k":"call","id":1}"#,
            r#"{"k":"call","id":-1,"video":true}"#,
            r#"{"k":"call","id":4294967296,"video":true}"#,
            r#"{"k":"call_media","id":1,"muted":true}"#,
            r#"{"k":"call_accept","id":"1"}"#,
        ] {
            assert_eq!(Frame::decode(junk), Err(FrameError::Malformed), "{junk}");
        }
    }

    #[test]
    fn unknown_kinds_and_fields_are_tolerated() {
        assert_eq!(
            Frame::decode(r#"{"k":"reaction","emoji":"x"}"#),
            Ok(Frame::Unknown)
        );
        assert_eq!(
            Frame::decode(r#"{"k":"ack","upto":4,"future":[1,{"x":null}]}"#),
            Ok(Frame::Ack { upto: 4 })
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
            "{\"k\":\"text\",\"text\":1,\"seq\":1,\"ts\":0}",
            // One flat struct reads every kind: a known field of the wrong type is malformed
            // even where the kind does not use it, and a field given twice is malformed.
            "{\"k\":\"ack\",\"upto\":1,\"text\":5}",
            "{\"k\":\"ack\",\"upto\":1,\"upto\":2}",
            "{\"k\":\"ack\",\"k\":\"bye\",\"upto\":1}",
            "\u{0}",
        ] {
            assert_eq!(Frame::decode(raw), Err(FrameError::Malformed), "{raw:?}");
        }
    }

    #[test]
    fn out_of_bounds_fields_are_rejected() {
        let huge = format!(
            r#"{{"k":"text","seq":1,"text":"{}","ts":0}}"#,
            "a".repeat(MAX_FRAME_BYTES)
        );
        assert_eq!(Frame::decode(&huge), Err(FrameError::TooLarge));
        let long = Frame::Text {
            seq: 1,
            text: "é".repeat(MAX_TEXT_CHARS + 1),
            ts: 0.0,
        }
        .encode();
        assert_eq!(Frame::decode(&long), Err(FrameError::OutOfBounds));
        assert_eq!(
            Frame::decode(r#"{"k":"text","seq":0,"text":"x","ts":0}"#),
            Err(FrameError::OutOfBounds)
        );
        let bad_id = r#"{"k":"hello","v":2,"conversation":"<script>","peer":"p"}"#;
        assert_eq!(Frame::decode(bad_id), Err(FrameError::OutOfBounds));
        let long_name = format!(
            r#"{{"k":"hello","v":2,"conversation":"c","peer":"p","name":"{}"}}"#,
            "n".repeat(41)
        );
        assert_eq!(Frame::decode(&long_name), Err(FrameError::OutOfBounds));
    }

    #[test]
    fn older_hellos_without_optional_fields_decode() {
        let frame =
            Frame::decode(r#"{"k":"hello","v":2,"conversation":"c1","peer":"p1"}"#).unwrap();
        assert!(matches!(
            frame,
            Frame::Hello {
                received: 0,
                name: None,
                ..
            }
        ));
    }

    #[test]
    fn the_gate_wants_a_hello_first_and_only_once() {
        let mut gate = FrameGate::default();
        let text = Frame::Text {
            seq: 1,
            text: "early".into(),
            ts: 0.0,
        }
        .encode();
        assert_eq!(gate.admit(&text), None);
        assert_eq!(gate.admit(&Frame::Ack { upto: 1 }.encode()), None);
        assert_eq!(gate.admit(&Frame::Typing.encode()), Some(Frame::Typing));
        assert_eq!(gate.admit(&hello().encode()), Some(hello()));
        assert!(!gate.greeted(), "handed to the app, not yet accepted");
        gate.accept_hello();
        assert!(gate.greeted());
        assert_eq!(gate.admit(&hello().encode()), None);
        assert!(gate.admit(&text).is_some());
        assert_eq!(gate.admit("garbage"), None);
        assert_eq!(gate.admit(r#"{"k":"future"}"#), None);
        assert_eq!(gate.dropped(), 4);
    }

    #[test]
    fn a_refused_hello_lets_nothing_through() {
        // The app refuses a hello for another conversation by not accepting it: the texts that
        // follow must not reach the conversation on screen.
        let mut gate = FrameGate::default();
        assert_eq!(gate.admit(&hello().encode()), Some(hello()));
        let text = Frame::Text {
            seq: 1,
            text: "into the wrong conversation".into(),
            ts: 0.0,
        };
        assert_eq!(gate.admit(&text.encode()), None);
        assert_eq!(gate.admit(&Frame::Ack { upto: 9 }.encode()), None);
        // Nor can the peer try again with a second hello on the same connection.
        assert_eq!(gate.admit(&hello().encode()), None);
        assert!(!gate.greeted());
        assert_eq!(gate.dropped(), 3);
        // Accepting without any hello does nothing either.
        let mut fresh = FrameGate::default();
        fresh.accept_hello();
        assert!(!fresh.greeted());
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name("  Ann \n"), Some("Ann".into()));
        assert_eq!(clean_name(" \t "), None);
        assert_eq!(
            clean_name(&"x".repeat(100)).map(|n| n.len()),
            Some(MAX_NAME_CHARS)
        );
        assert_eq!(clean_name("a\u{0}b"), Some("ab".into()));
    }
}
