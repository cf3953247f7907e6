//! Group frames: what members send one another over the chat channel of each pair.
//!
//! JSON text frames with a kind tag `k`, like the two-person frames of `core::protocol`, and on
//! the same channel: every kind starts with `group_`, so the two-person decoder reads them as
//! [`Frame::Unknown`](crate::core::protocol::Frame::Unknown) and an older peer ignores them. No
//! field name is shared with a two-person field of another type (the two-person decoder reads
//! every frame into one flat struct and would call such a frame malformed): a test holds this.
//!
//! Decoding is strict and bounded: ids as the protocol allows them, names as
//! [`clean_name`] leaves them, at most [`MAX_AUTHORS`] entries in a list, an SDP of at most
//! [`MAX_SDP_BYTES`], paths without repeats. Anything else is refused whole;
//! [`admit_group_frame`] counts it on the connection's [`FrameGate`] like any dropped frame.

use serde::{Deserialize, Serialize};

use super::{MAX_AUTHORS, MAX_MEMBERS, MAX_SDP_BYTES};
use crate::core::protocol::{clean_name, FrameGate, MAX_FRAME_BYTES, MAX_TEXT_CHARS};
use crate::core::store::{id_ok, MAX_NUMBER};

/// What one entry of the group's log says.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// A message.
    Text(String),
    /// The author brought `member` into the group (its `gen`-th time in: a member who left
    /// and is added again comes back with a higher one). `name`: as the member's hello gave it.
    Joined {
        member: String,
        name: Option<String>,
        gen: u32,
    },
    /// The author left the group (its membership `gen`).
    Left { gen: u32 },
}

/// One entry of the group's log: its author's `seq`-th, written at `ts` (author's clock, ms
/// since the epoch; shown, never trusted for order).
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub author: String,
    pub seq: u64,
    pub ts: f64,
    pub body: Body,
}

impl Entry {
    /// The entry's key in the whole group: each author numbers its own entries 1, 2, 3…
    pub fn key(&self) -> (&str, u64) {
        (&self.author, self.seq)
    }
}

/// Highest number each author's entries have reached, as a list of `[author, seq]`.
pub type Counters = Vec<(String, u64)>;

#[derive(Clone, Debug, PartialEq)]
pub enum GroupFrame {
    /// A log entry. `path`: the members it went through, the last one being the sender; a
    /// member on it never gets it again on this way (no loops; at most [`MAX_MEMBERS`] hops).
    Entry { entry: Entry, path: Vec<String> },
    /// `from` has every entry of each author up to the number given (cumulative receipts).
    Ack {
        from: String,
        acks: Counters,
        path: Vec<String>,
    },
    /// The members `from` has a direct connection to now. `version` grows with every change
    /// (and across reloads: the caller's clock), so an older one that arrives late is ignored.
    Links {
        from: String,
        version: u64,
        links: Vec<String>,
        path: Vec<String>,
    },
    /// The sender has each author's entries up to the number given (and none of authors not
    /// listed): the receiver sends what it has beyond. Only between neighbours, never forwarded.
    Sync { seen: Counters },
    /// The sender introduces the two members of `pair` (sorted, the offerer first) to each
    /// other; it relays their offer and answer.
    Introduce { pair: (String, String) },
    /// An offer (from the pair's first member) or an answer (from its second) for the pair's
    /// direct connection, to the introducer or relayed by it. Opaque to this module.
    Signal {
        pair: (String, String),
        offer: bool,
        sdp: String,
    },
    /// `from` is typing. Not stored, not synced: each member passes on a newer `version`
    /// (the typist's clock, growing) once, to the members it reaches that `from` does not, so
    /// a member reached only through others sees who is typing too.
    Typing {
        from: String,
        version: u64,
        path: Vec<String>,
    },
    /// A group kind from a newer version, or not a group frame at all.
    Unknown,
}

/// Every field any group frame has, all optional: one flat struct reads and writes them all (as
/// `core::protocol` does, for the same wasm size reason).
#[derive(Default, Serialize, Deserialize)]
struct WireGroupFrame {
    k: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ts: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    member: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gen: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    acks: Option<Counters>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    links: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seen: Option<Counters>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pair: Option<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    offer: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sdp: Option<String>,
}

const TEXT: &str = "group_text";
const JOINED: &str = "group_joined";
const LEFT: &str = "group_left";
const ACK: &str = "group_ack";
const LINKS: &str = "group_links";
const SYNC: &str = "group_sync";
const INTRODUCE: &str = "group_introduce";
const SIGNAL: &str = "group_signal";
const TYPING: &str = "group_typing";

/// Why a group frame was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GroupFrameError {
    #[error("frame larger than {MAX_FRAME_BYTES} bytes")]
    TooLarge,
    #[error("group frame is not valid JSON of a known shape")]
    Malformed,
    #[error("a field of a group frame is out of bounds")]
    OutOfBounds,
}

impl GroupFrame {
    pub fn encode(&self) -> String {
        let mut wire = WireGroupFrame::default();
        let kind = match self {
            GroupFrame::Entry { entry, path } => {
                // Kind and fields as stored, plus the path.
                wire = entry_to_wire(entry);
                wire.path = Some(path.clone());
                return serde_json::to_string(&wire).unwrap_or_default();
            }
            GroupFrame::Ack { from, acks, path } => {
                wire.from = Some(from.clone());
                wire.acks = Some(acks.clone());
                wire.path = Some(path.clone());
                ACK
            }
            GroupFrame::Links {
                from,
                version,
                links,
                path,
            } => {
                wire.from = Some(from.clone());
                wire.version = Some(*version);
                wire.links = Some(links.clone());
                wire.path = Some(path.clone());
                LINKS
            }
            GroupFrame::Sync { seen } => {
                wire.seen = Some(seen.clone());
                SYNC
            }
            GroupFrame::Introduce { pair } => {
                wire.pair = Some(pair.clone());
                INTRODUCE
            }
            GroupFrame::Signal { pair, offer, sdp } => {
                wire.pair = Some(pair.clone());
                wire.offer = Some(*offer);
                wire.sdp = Some(sdp.clone());
                SIGNAL
            }
            GroupFrame::Typing {
                from,
                version,
                path,
            } => {
                wire.from = Some(from.clone());
                wire.version = Some(*version);
                wire.path = Some(path.clone());
                TYPING
            }
            // Never sent: an empty string is dropped by the peer.
            GroupFrame::Unknown => return String::new(),
        };
        wire.k = kind.to_owned();
        // Serialising this plain struct cannot fail.
        serde_json::to_string(&wire).unwrap_or_default()
    }

    /// Reads a frame strictly. A kind that is not a group kind (a two-person frame, or a newer
    /// group kind) is [`GroupFrame::Unknown`].
    pub fn decode(raw: &str) -> Result<Self, GroupFrameError> {
        if raw.len() > MAX_FRAME_BYTES {
            return Err(GroupFrameError::TooLarge);
        }
        let wire: WireGroupFrame =
            serde_json::from_str(raw).map_err(|_| GroupFrameError::Malformed)?;
        let frame = Self::from_wire(wire).ok_or(GroupFrameError::Malformed)?;
        if frame.within_bounds() {
            Ok(frame)
        } else {
            Err(GroupFrameError::OutOfBounds)
        }
    }

    /// The frame a wire struct holds; `None` when a field its kind needs is missing.
    fn from_wire(wire: WireGroupFrame) -> Option<Self> {
        match wire.k.as_str() {
            TEXT | JOINED | LEFT => Some(GroupFrame::Entry {
                path: wire.path.clone()?,
                entry: entry_from_wire(wire)?,
            }),
            ACK => Some(GroupFrame::Ack {
                from: wire.from?,
                acks: wire.acks?,
                path: wire.path?,
            }),
            LINKS => Some(GroupFrame::Links {
                from: wire.from?,
                version: wire.version?,
                links: wire.links?,
                path: wire.path?,
            }),
            SYNC => Some(GroupFrame::Sync { seen: wire.seen? }),
            INTRODUCE => Some(GroupFrame::Introduce { pair: wire.pair? }),
            SIGNAL => Some(GroupFrame::Signal {
                pair: wire.pair?,
                offer: wire.offer?,
                sdp: wire.sdp?,
            }),
            TYPING => Some(GroupFrame::Typing {
                from: wire.from?,
                version: wire.version?,
                path: wire.path?,
            }),
            _ => Some(GroupFrame::Unknown),
        }
    }

    fn within_bounds(&self) -> bool {
        match self {
            GroupFrame::Entry { entry, path } => entry_ok(entry) && path_ok(path),
            GroupFrame::Ack { from, acks, path } => {
                id_ok(from) && counters_ok(acks) && path_ok(path)
            }
            GroupFrame::Links {
                from,
                version,
                links,
                path,
            } => {
                id_ok(from)
                    && (1..=MAX_NUMBER).contains(version)
                    && links.len() <= MAX_MEMBERS
                    && distinct_ids(links)
                    && !links.contains(from)
                    && path_ok(path)
            }
            GroupFrame::Sync { seen } => counters_ok(seen),
            GroupFrame::Introduce { pair } => pair_ok(pair),
            GroupFrame::Signal { pair, sdp, .. } => {
                pair_ok(pair) && !sdp.is_empty() && sdp.len() <= MAX_SDP_BYTES
            }
            GroupFrame::Typing {
                from,
                version,
                path,
            } => id_ok(from) && (1..=MAX_NUMBER).contains(version) && path_ok(path),
            GroupFrame::Unknown => true,
        }
    }
}

/// An entry in its wire form (without a path: also its stored form).
fn entry_to_wire(entry: &Entry) -> WireGroupFrame {
    let mut wire = WireGroupFrame {
        author: Some(entry.author.clone()),
        seq: Some(entry.seq),
        ts: Some(entry.ts),
        ..WireGroupFrame::default()
    };
    let kind = match &entry.body {
        Body::Text(text) => {
            wire.text = Some(text.clone());
            TEXT
        }
        Body::Joined { member, name, gen } => {
            wire.member = Some(member.clone());
            wire.name = name.clone();
            wire.gen = Some(*gen);
            JOINED
        }
        Body::Left { gen } => {
            wire.gen = Some(*gen);
            LEFT
        }
    };
    wire.k = kind.to_owned();
    wire
}

/// The entry a wire struct of an entry kind holds; `None` when a field it needs is missing.
fn entry_from_wire(wire: WireGroupFrame) -> Option<Entry> {
    let body = match wire.k.as_str() {
        TEXT => Body::Text(wire.text?),
        JOINED => Body::Joined {
            member: wire.member?,
            name: wire.name,
            gen: wire.gen?,
        },
        LEFT => Body::Left { gen: wire.gen? },
        _ => return None,
    };
    Some(Entry {
        author: wire.author?,
        seq: wire.seq?,
        ts: wire.ts?,
        body,
    })
}

/// The log as stored: a JSON array of entries in their wire form, without paths.
pub fn entries_to_json(entries: &[Entry]) -> String {
    let wire: Vec<WireGroupFrame> = entries.iter().map(entry_to_wire).collect();
    // Serialising these plain structs cannot fail.
    serde_json::to_string(&wire).unwrap_or_default()
}

/// A stored log read back strictly: every element an entry kind with its fields, no path,
/// within bounds. [`Group::restore`](super::Group::restore) then checks the order.
pub fn entries_from_json(raw: &str) -> Result<Vec<Entry>, GroupFrameError> {
    let wire: Vec<WireGroupFrame> =
        serde_json::from_str(raw).map_err(|_| GroupFrameError::Malformed)?;
    wire.into_iter()
        .map(|wire| {
            if wire.path.is_some() {
                return Err(GroupFrameError::Malformed);
            }
            let entry = entry_from_wire(wire).ok_or(GroupFrameError::Malformed)?;
            if entry_ok(&entry) {
                Ok(entry)
            } else {
                Err(GroupFrameError::OutOfBounds)
            }
        })
        .collect()
}

/// An entry as the group takes it, from the wire or from storage.
pub fn entry_ok(entry: &Entry) -> bool {
    id_ok(&entry.author)
        && (1..=MAX_NUMBER).contains(&entry.seq)
        && entry.ts.is_finite()
        && match &entry.body {
            Body::Text(text) => text.chars().count() <= MAX_TEXT_CHARS,
            Body::Joined { member, name, gen } => {
                id_ok(member)
                    && *gen >= 1
                    && name
                        .as_ref()
                        .is_none_or(|name| clean_name(name).as_ref() == Some(name))
            }
            Body::Left { gen } => *gen >= 1,
        }
}

fn distinct_ids(ids: &[String]) -> bool {
    ids.iter().all(|id| id_ok(id))
        && ids
            .iter()
            .enumerate()
            .all(|(at, id)| !ids[..at].contains(id))
}

/// A path has the sender last, nobody twice, and no more hops than members.
fn path_ok(path: &[String]) -> bool {
    !path.is_empty() && path.len() <= MAX_MEMBERS && distinct_ids(path)
}

fn counters_ok(counters: &Counters) -> bool {
    counters.len() <= MAX_AUTHORS
        && counters.iter().enumerate().all(|(at, (author, seq))| {
            id_ok(author)
                && *seq <= MAX_NUMBER
                && !counters[..at].iter().any(|(other, _)| other == author)
        })
}

/// Two different ids, in order: the first one makes the offer.
fn pair_ok((first, second): &(String, String)) -> bool {
    id_ok(first) && id_ok(second) && first < second
}

/// Whether `raw`, a frame the connection's [`FrameGate`] did not take, is a group's (its kind
/// starts with `group_`): only the tag is read, so the app can tell without the group's code.
pub fn is_group_frame(raw: &str) -> bool {
    #[derive(Deserialize)]
    struct Kind {
        k: String,
    }
    raw.len() <= MAX_FRAME_BYTES
        && serde_json::from_str::<Kind>(raw).is_ok_and(|kind| kind.k.starts_with("group_"))
}

/// Decodes a frame that the connection's [`FrameGate`] did not take (`gate.admit` gave `None`)
/// and decides whether it may be acted on: a group frame passes only once the peer's hello was
/// accepted. A malformed or early group frame is counted as dropped on the gate; a frame of
/// another kind is left alone (the gate already judged it).
pub fn admit_group_frame(gate: &mut FrameGate, raw: &str) -> Option<GroupFrame> {
    if !is_group_frame(raw) {
        return None;
    }
    match GroupFrame::decode(raw) {
        Ok(GroupFrame::Unknown) => None, // a newer group kind: ignored, not an offence
        Ok(frame) if gate.greeted() => Some(frame),
        Ok(_) | Err(_) => {
            gate.drop_one();
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::protocol::{Frame, CAPABILITIES, PROTOCOL_VERSION};

    fn text(author: &str, seq: u64, text: &str) -> Entry {
        Entry {
            author: author.into(),
            seq,
            ts: 1.7e12,
            body: Body::Text(text.into()),
        }
    }

    fn every_kind() -> Vec<GroupFrame> {
        vec![
            GroupFrame::Entry {
                entry: text("ann", 1, "hi <b>all</b>\nsecond line"),
                path: vec!["ann".into()],
            },
            GroupFrame::Entry {
                entry: Entry {
                    author: "ann".into(),
                    seq: 2,
                    ts: 5.0,
                    body: Body::Joined {
                        member: "cid".into(),
                        name: Some("Cid".into()),
                        gen: 1,
                    },
                },
                path: vec!["ann".into(), "bob".into()],
            },
            GroupFrame::Entry {
                entry: Entry {
                    author: "ann".into(),
                    seq: 3,
                    ts: 6.0,
                    body: Body::Joined {
                        member: "dee".into(),
                        name: None,
                        gen: 2,
                    },
                },
                path: vec!["ann".into()],
            },
            GroupFrame::Entry {
                entry: Entry {
                    author: "bob".into(),
                    seq: 9,
                    ts: 7.0,
                    body: Body::Left { gen: 1 },
                },
                path: vec!["bob".into()],
            },
            GroupFrame::Ack {
                from: "bob".into(),
                acks: vec![("ann".into(), 3), ("bob".into(), 9)],
                path: vec!["bob".into()],
            },
            GroupFrame::Links {
                from: "bob".into(),
                version: 17,
                links: vec!["ann".into(), "cid".into()],
                path: vec!["bob".into(), "cid".into()],
            },
            GroupFrame::Sync {
                seen: vec![("ann".into(), 2)],
            },
            GroupFrame::Sync { seen: vec![] },
            GroupFrame::Introduce {
                pair: ("ann".into(), "cid".into()),
            },
            GroupFrame::Signal {
                pair: ("ann".into(), "cid".into()),
                offer: true,
                sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n".into(),
            },
            GroupFrame::Typing {
                from: "cid".into(),
                version: 1_700_000_000_000,
                path: vec!["cid".into(), "ann".into()],
            },
        ]
    }

    #[test]
    fn frames_round_trip() {
        for frame in every_kind() {
            assert_eq!(GroupFrame::decode(&frame.encode()), Ok(frame));
        }
        assert_eq!(GroupFrame::Unknown.encode(), "");
    }

    #[test]
    fn the_wire_form_is_plain() {
        let frame = GroupFrame::Ack {
            from: "bob".into(),
            acks: vec![("ann".into(), 3)],
            path: vec!["bob".into()],
        };
        assert_eq!(
            frame.encode(),
            r#"{"k":"group_ack","path":["bob"],"from":"bob","acks":[["ann",3]]}"#
        );
        let joined =
            r#"{"k":"group_joined","author":"a","seq":1,"ts":0,"member":"b","gen":1,"path":["a"]}"#;
        assert!(matches!(
            GroupFrame::decode(joined),
            Ok(GroupFrame::Entry {
                entry: Entry {
                    body: Body::Joined { name: None, .. },
                    ..
                },
                ..
            })
        ));
    }

    #[test]
    fn two_person_peers_ignore_group_frames_and_group_peers_ignore_theirs() {
        // An older app reads every group kind as unknown (and does not count it as junk)…
        let mut gate = FrameGate::default();
        for frame in every_kind() {
            assert_eq!(
                Frame::decode(&frame.encode()),
                Ok(Frame::Unknown),
                "{frame:?}"
            );
            assert_eq!(gate.admit(&frame.encode()), None);
        }
        assert_eq!(gate.dropped(), 0);
        // …and the group decoder reads two-person frames as unknown.
        let hello = Frame::Hello {
            v: PROTOCOL_VERSION,
            conversation: "c".into(),
            peer: "p".into(),
            name: None,
            received: 0,
            caps: CAPABILITIES.iter().map(|c| c.to_string()).collect(),
        };
        for frame in [hello, Frame::Ack { upto: 1 }, Frame::Bye] {
            assert_eq!(GroupFrame::decode(&frame.encode()), Ok(GroupFrame::Unknown));
        }
    }

    #[test]
    fn group_frames_pass_only_after_the_hello() {
        let frame = GroupFrame::Sync { seen: vec![] };
        let mut gate = FrameGate::default();
        assert_eq!(admit_group_frame(&mut gate, &frame.encode()), None);
        assert_eq!(gate.dropped(), 1);
        let hello = Frame::Hello {
            v: PROTOCOL_VERSION,
            conversation: "g".into(),
            peer: "p".into(),
            name: None,
            received: 0,
            caps: vec![],
        };
        gate.admit(&hello.encode());
        gate.accept_hello();
        assert_eq!(
            admit_group_frame(&mut gate, &frame.encode()),
            Some(frame.clone())
        );
        // Not group frames: left to the two-person gate, not counted twice.
        assert_eq!(admit_group_frame(&mut gate, "garbage"), None);
        assert_eq!(admit_group_frame(&mut gate, r#"{"k":"text"}"#), None);
        assert_eq!(gate.dropped(), 1);
        // A newer group kind is ignored; a broken one is counted.
        assert_eq!(admit_group_frame(&mut gate, r#"{"k":"group_poll"}"#), None);
        assert_eq!(gate.dropped(), 1);
        assert_eq!(admit_group_frame(&mut gate, r#"{"k":"group_sync"}"#), None);
        assert_eq!(gate.dropped(), 2);
    }

    #[test]
    fn junk_is_refused() {
        for raw in [
            r#"{"k":"group_text","author":"a","seq":1,"ts":0,"path":["a"]}"#,
            r#"{"k":"group_text","author":"a","seq":1,"ts":0,"text":"x"}"#,
            r#"{"k":"group_text","author":"a","seq":"1","ts":0,"text":"x","path":["a"]}"#,
            r#"{"k":"group_text","author":"a","seq":-1,"ts":0,"text":"x","path":["a"]}"#,
            // A time that is not a number (how JSON writes NaN).
            r#"{"k":"group_text","author":"a","seq":1,"ts":null,"text":"x","path":["a"]}"#,
            r#"{"k":"group_joined","author":"a","seq":1,"ts":0,"member":"b","path":["a"]}"#,
            r#"{"k":"group_joined","author":"a","seq":1,"ts":0,"member":"b","gen":4294967296,"path":["a"]}"#,
            r#"{"k":"group_ack","from":"a","acks":[["b"]],"path":["a"]}"#,
            r#"{"k":"group_ack","from":"a","acks":{"b":1},"path":["a"]}"#,
            r#"{"k":"group_signal","pair":["a","b"],"sdp":"v=0"}"#,
            r#"{"k":"group_signal","pair":["a","b","c"],"offer":true,"sdp":"v=0"}"#,
            r#"{"k":"group_sync","seen":[],"seen":[]}"#,
            r#"{"k":"group_introduce","pair":"a b"}"#,
            r#"{"k":"group_typing","from":"a","path":["a"]}"#,
            "{\"k\":\"group_sync\",\"seen\":[]",
        ] {
            assert_eq!(
                GroupFrame::decode(raw),
                Err(GroupFrameError::Malformed),
                "{raw}"
            );
        }
    }

    #[test]
    fn a_stored_log_reads_back_strictly() {
        let entries = vec![
            Entry {
                author: "ann".into(),
                seq: 1,
                ts: 1.0,
                body: Body::Joined {
                    member: "ann".into(),
                    name: Some("Ann".into()),
                    gen: 1,
                },
            },
            text("ann", 2, "hi"),
            Entry {
                author: "ann".into(),
                seq: 3,
                ts: 3.0,
                body: Body::Left { gen: 1 },
            },
        ];
        let stored = entries_to_json(&entries);
        assert!(!stored.contains("path"));
        assert_eq!(entries_from_json(&stored), Ok(entries));
        assert_eq!(entries_from_json("[]"), Ok(vec![]));
        for (raw, error) in [
            ("{}", GroupFrameError::Malformed),
            (
                r#"[{"k":"group_ack","from":"a","acks":[],"path":["a"]}]"#,
                GroupFrameError::Malformed,
            ),
            (
                r#"[{"k":"group_text","author":"a","seq":1,"ts":0,"text":"x","path":["a"]}]"#,
                GroupFrameError::Malformed,
            ),
            (
                r#"[{"k":"group_text","author":"a","seq":1,"ts":0}]"#,
                GroupFrameError::Malformed,
            ),
            (
                r#"[{"k":"group_text","author":"a","seq":0,"ts":0,"text":"x"}]"#,
                GroupFrameError::OutOfBounds,
            ),
        ] {
            assert_eq!(entries_from_json(raw), Err(error), "{raw}");
        }
    }

    #[test]
    fn out_of_bounds_fields_are_refused() {
        let long_text = GroupFrame::Entry {
            entry: text("a", 1, &"é".repeat(MAX_TEXT_CHARS + 1)),
            path: vec!["a".into()],
        };
        let nine: Vec<String> = (0..=MAX_MEMBERS).map(|n| format!("m{n}")).collect();
        let many: Counters = (0..=MAX_AUTHORS).map(|n| (format!("m{n}"), 1)).collect();
        let refused = [
            long_text,
            GroupFrame::Entry {
                entry: text("a", 0, "seq 0"),
                path: vec!["a".into()],
            },
            GroupFrame::Entry {
                entry: text("a", MAX_NUMBER + 1, "beyond what JS counts"),
                path: vec!["a".into()],
            },
            GroupFrame::Entry {
                entry: text("<script>", 1, "bad id"),
                path: vec!["a".into()],
            },
            GroupFrame::Entry {
                entry: text("a", 1, "empty path"),
                path: vec![],
            },
            GroupFrame::Entry {
                entry: text("a", 1, "a loop"),
                path: vec!["a".into(), "b".into(), "a".into()],
            },
            GroupFrame::Entry {
                entry: text("a", 1, "too many hops"),
                path: nine.clone(),
            },
            GroupFrame::Entry {
                entry: Entry {
                    body: Body::Joined {
                        member: "b".into(),
                        name: Some(" padded ".into()),
                        gen: 1,
                    },
                    ..text("a", 1, "")
                },
                path: vec!["a".into()],
            },
            GroupFrame::Entry {
                entry: Entry {
                    body: Body::Joined {
                        member: "b".into(),
                        name: Some("n".repeat(41)),
                        gen: 1,
                    },
                    ..text("a", 1, "")
                },
                path: vec!["a".into()],
            },
            GroupFrame::Entry {
                entry: Entry {
                    body: Body::Left { gen: 0 },
                    ..text("a", 1, "")
                },
                path: vec!["a".into()],
            },
            GroupFrame::Ack {
                from: "a".into(),
                acks: many.clone(),
                path: vec!["a".into()],
            },
            GroupFrame::Ack {
                from: "a".into(),
                acks: vec![("b".into(), 1), ("b".into(), 2)],
                path: vec!["a".into()],
            },
            GroupFrame::Links {
                from: "a".into(),
                version: 1,
                links: nine,
                path: vec!["a".into()],
            },
            GroupFrame::Links {
                from: "a".into(),
                version: 1,
                links: vec!["a".into()],
                path: vec!["a".into()],
            },
            GroupFrame::Links {
                from: "a".into(),
                version: 0,
                links: vec![],
                path: vec!["a".into()],
            },
            GroupFrame::Sync { seen: many },
            GroupFrame::Introduce {
                pair: ("b".into(), "a".into()),
            },
            GroupFrame::Introduce {
                pair: ("a".into(), "a".into()),
            },
            GroupFrame::Signal {
                pair: ("a".into(), "b".into()),
                offer: true,
                sdp: String::new(),
            },
            GroupFrame::Signal {
                pair: ("a".into(), "b".into()),
                offer: false,
                sdp: "a".repeat(MAX_SDP_BYTES + 1),
            },
            GroupFrame::Typing {
                from: "a".into(),
                version: 0,
                path: vec!["a".into()],
            },
            GroupFrame::Typing {
                from: "<a>".into(),
                version: 1,
                path: vec!["a".into()],
            },
            GroupFrame::Typing {
                from: "a".into(),
                version: 1,
                path: vec![],
            },
        ];
        for frame in refused {
            assert_eq!(
                GroupFrame::decode(&frame.encode()),
                Err(GroupFrameError::OutOfBounds),
                "{frame:?}"
            );
        }
        let huge = format!(
            r#"{{"k":"group_signal","pair":["a","b"],"offer":true,"sdp":"{}"}}"#,
            "a".repeat(MAX_FRAME_BYTES)
        );
        assert_eq!(GroupFrame::decode(&huge), Err(GroupFrameError::TooLarge));
    }
}
