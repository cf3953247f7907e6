//! Conversations in the browser's IndexedDB: the schema, the records, and how every record is
//! checked on its way out of storage (a damaged or tampered database gives a message, never a
//! panic). The browser side (`web::idb`, `web::vault`) only moves the strings made here.
//!
//! One database, `tincan`, with three object stores, every value a JSON string:
//!
//! | store | key | value |
//! | --- | --- | --- |
//! | `meta` | `"lock"` | the passphrase lock: salt, iterations, an encrypted check value |
//! | `meta` | `"known-peers"` | the peers this browser met and their fingerprints (`core::identity`) |
//! | `conversations` | conversation id | [`ConversationRecord`]: counters, name, list preview |
//! | `messages` | `[conversation id, message id]` | one [`ChatMessage`] |
//!
//! A message is written once when it is sent or arrives, and again only when its delivery
//! changes: the cost of a message does not grow with the history. With a lock, each value is
//! sealed (AES-GCM, see [`lock`]): `{"id":…,"sealed":"…"}` for a message, `{"id":…,"rev":…,
//! "sealed":"…"}` for a conversation; the sealed bytes hold the record's JSON, bound to its key.
//!
//! Each conversation record carries a revision, `rev`, raised by every write. A write expects the
//! revision it read: if another tab wrote in between, the write changes nothing and the tab
//! replays its changes on what is stored (see [`Conversation::rebase`]).
//!
//! A write says what it expects with keys it adds to `meta`, because adding a key that exists
//! fails the whole transaction, and so needs no read inside it (the transaction can be committed
//! at once; see `web::idb`). Going from revision r to r+1 adds `["rev/<id>", r+1]`: a second tab
//! going from r finds it taken. These markers stay for [`REV_MARKERS_KEPT`] revisions. The app
//! instance that wrote under a lock setting (an *epoch*, a random id in `meta` under
//! [`EPOCH_KEY`]) adds and removes `stale/<epoch>` in each write: setting, changing or removing the
//! lock, or deleting all data, leaves that key behind, so writes of tabs that missed it fail.
//! Deleting a conversation leaves `gone/<id>` the same way; writing it anew removes it.

pub mod backup;
pub mod legacy;
pub mod lock;

use serde::{Deserialize, Serialize};

use crate::core::chat::{Author, ChatMessage, Conversation, Delivery};
use crate::core::history::{preview_of, title_of, Summary};
use crate::core::protocol::{clean_name, MAX_TEXT_CHARS};

pub const DB_NAME: &str = "tincan";
/// The schema's version: the IndexedDB version the app opens.
pub const DB_VERSION: u32 = 1;
pub const META: &str = "meta";
pub const CONVERSATIONS: &str = "conversations";
pub const MESSAGES: &str = "messages";
/// Every store, for transactions that touch them all.
pub const STORES: [&str; 3] = [META, CONVERSATIONS, MESSAGES];
/// Key of the lock record in `meta`.
pub const LOCK_KEY: &str = "lock";
/// Key of the current epoch in `meta` (see the module's notes).
pub const EPOCH_KEY: &str = "epoch";
/// Key of the known-peers table in `meta`: [`crate::core::identity::KnownPeers::to_json`], or
/// with a lock `{"sealed":"…"}` bound to [`KNOWN_PEERS_AAD`].
pub const KNOWN_PEERS_KEY: &str = "known-peers";
/// Additional data the known-peers table's seal is bound to.
pub const KNOWN_PEERS_AAD: &str = "tincan/k";
/// How many revision markers of a conversation stay (a tab further behind than this while it
/// writes would not be noticed; tabs catch up within a tenth of a second).
pub const REV_MARKERS_KEPT: u64 = 256;

/// Prefix of a conversation's revision markers, `[prefix, revision]` in `meta`.
pub fn rev_marker(conversation: &str) -> String {
    format!("rev/{conversation}")
}

/// Left in `meta` when a conversation is deleted.
pub fn gone_marker(conversation: &str) -> String {
    format!("gone/{conversation}")
}

/// Left in `meta` when an epoch ends.
pub fn stale_marker(epoch: &str) -> String {
    format!("stale/{epoch}")
}

/// The BroadcastChannel on which tabs tell each other what they stored.
pub const NOTE_CHANNEL: &str = "tincan-store-v1";

/// Largest number a record may hold (ids, message numbers): what a JS number keeps exactly.
pub const MAX_NUMBER: u64 = (1 << 53) - 1;

/// Longest id (conversation, peer), as on the wire.
const MAX_ID_CHARS: usize = 64;

/// Object stores to create when a database at version `old` (0: none yet) is opened at
/// [`DB_VERSION`]. Each later version adds its step here; nothing is ever dropped on the way.
pub fn upgrade_steps(old: u32) -> &'static [&'static str] {
    match old {
        0 => &STORES,
        _ => &[],
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("a stored record is damaged")]
    Damaged,
    #[error("a stored record does not belong where it is")]
    Misplaced,
}

/// An id as the protocol allows it: 1-64 ASCII letters, digits or dashes.
pub fn id_ok(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_CHARS
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// A message as one may be stored: text within the limit, a real time, a number from 1, and a
/// peer's message delivered (it is here).
pub fn message_ok(message: &ChatMessage) -> bool {
    message.id <= MAX_NUMBER
        && (1..=MAX_NUMBER).contains(&message.seq)
        && message.at_ms.is_finite()
        && message.text.chars().count() <= MAX_TEXT_CHARS
        && (message.author == Author::Me || message.delivery == Delivery::Delivered)
}

/// What a conversation from outside (a backup file, the old format) must satisfy to be taken:
/// the same rules the app keeps, so nothing taken can break it. The reason when not.
pub fn check_conversation(c: &Conversation) -> Result<(), String> {
    if !id_ok(&c.id) {
        return Err("a conversation id is not valid".into());
    }
    if c.peer_id.as_deref().is_some_and(|id| !id_ok(id)) {
        return Err(format!("conversation {}: the peer id is not valid", c.id));
    }
    if let Some(name) = &c.peer_name {
        if clean_name(name).as_ref() != Some(name) {
            return Err(format!("conversation {}: the name is not valid", c.id));
        }
    }
    if !c.created_ms.is_finite() || !c.updated_ms.is_finite() {
        return Err(format!("conversation {}: a time is not valid", c.id));
    }
    if c.last_own_seq() > MAX_NUMBER || c.received_upto() > MAX_NUMBER {
        return Err(format!("conversation {}: a counter is out of range", c.id));
    }
    let mut own = Vec::new();
    let mut previous = None;
    for m in c.messages() {
        if previous.is_some_and(|p| m.id <= p) {
            return Err(format!("conversation {}: messages are out of order", c.id));
        }
        previous = Some(m.id);
        if !message_ok(m) {
            return Err(format!(
                "conversation {}: message {} is not valid",
                c.id, m.id
            ));
        }
        if m.author == Author::Me {
            if m.seq > c.last_own_seq() {
                return Err(format!(
                    "conversation {}: message {} has a number never given",
                    c.id, m.id
                ));
            }
            own.push(m.seq);
        }
    }
    own.sort_unstable();
    if own.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err(format!(
            "conversation {}: two own messages share a number",
            c.id
        ));
    }
    Ok(())
}

/// The stored state of a conversation, besides its messages: what the list shows, and the
/// counters the protocol needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationRecord {
    pub id: String,
    /// Raised by every write (see the module's notes).
    pub rev: u64,
    pub peer_id: Option<String>,
    pub peer_name: Option<String>,
    pub created_ms: f64,
    pub updated_ms: f64,
    pub last_own_seq: u64,
    pub received_upto: u64,
    /// The id the next message gets.
    pub next_id: u64,
    pub preview: String,
    /// A group's log (see `Conversation::group_log`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

impl ConversationRecord {
    pub fn of(c: &Conversation, rev: u64) -> Self {
        Self {
            id: c.id.clone(),
            rev,
            peer_id: c.peer_id.clone(),
            peer_name: c.peer_name.clone(),
            created_ms: c.created_ms,
            updated_ms: c.updated_ms,
            last_own_seq: c.last_own_seq(),
            received_upto: c.received_upto(),
            next_id: c.next_id(),
            preview: preview_of(c),
            group: c.group_log().map(str::to_owned),
        }
    }

    pub fn summary(&self) -> Summary {
        Summary {
            id: self.id.clone(),
            title: title_of(self.peer_name.as_deref()),
            preview: self.preview.clone(),
            updated_ms: self.updated_ms,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A record read from storage, checked.
    pub fn from_json(json: &str) -> Result<Self, StoreError> {
        let record: Self = serde_json::from_str(json).map_err(|_| StoreError::Damaged)?;
        let ok = id_ok(&record.id)
            && record.peer_id.as_deref().is_none_or(id_ok)
            && record
                .peer_name
                .as_ref()
                .is_none_or(|name| clean_name(name).as_ref() == Some(name))
            && record.created_ms.is_finite()
            && record.updated_ms.is_finite()
            && [
                record.rev,
                record.last_own_seq,
                record.received_upto,
                record.next_id,
            ]
            .iter()
            .all(|n| *n <= MAX_NUMBER)
            && record.preview.chars().count() <= 200
            && record
                .group
                .as_deref()
                .is_none_or(|log| crate::core::group::entries_from_json(log).is_ok());
        if ok {
            Ok(record)
        } else {
            Err(StoreError::Damaged)
        }
    }

    /// The conversation from this record and the message records read with it (in key order),
    /// and how many of those were damaged and left out. Each message is checked alone, so one
    /// damaged record costs that message, not the conversation.
    pub fn assemble(self, messages: Vec<Result<ChatMessage, StoreError>>) -> (Conversation, usize) {
        let mut kept: Vec<ChatMessage> = Vec::with_capacity(messages.len());
        let mut damaged = 0;
        let mut own_seen = std::collections::HashSet::new();
        for message in messages {
            let fits = |m: &ChatMessage, kept: &[ChatMessage]| {
                message_ok(m) && kept.last().is_none_or(|last| last.id < m.id)
            };
            match message {
                Ok(m)
                    if fits(&m, &kept) && (m.author == Author::Peer || own_seen.insert(m.seq)) =>
                {
                    kept.push(m)
                }
                _ => damaged += 1,
            }
        }
        let conversation = Conversation::from_stored(
            self.id,
            self.peer_id,
            self.peer_name,
            self.created_ms,
            self.updated_ms,
            self.last_own_seq,
            self.received_upto,
            kept,
            self.next_id,
            self.rev,
        )
        .with_group_log(self.group);
        (conversation, damaged)
    }
}

/// A message record as JSON (what is stored, or sealed, for it).
pub fn message_json(message: &ChatMessage) -> String {
    serde_json::to_string(message).unwrap_or_default()
}

/// A message record read from storage (JSON, or what a sealed one opened to), checked, and
/// checked to be the message at `id` when that is known.
pub fn message_from_json(json: &str, id: Option<u64>) -> Result<ChatMessage, StoreError> {
    let message: ChatMessage = serde_json::from_str(json).map_err(|_| StoreError::Damaged)?;
    if !message_ok(&message) {
        return Err(StoreError::Damaged);
    }
    if id.is_some_and(|id| id != message.id) {
        return Err(StoreError::Misplaced);
    }
    Ok(message)
}

/// The revision in a stored conversation value, sealed or not (`None`: none, or unreadable).
pub fn stored_rev(raw: &str) -> Option<u64> {
    #[derive(Deserialize)]
    struct Rev {
        rev: u64,
    }
    serde_json::from_str::<Rev>(raw).ok().map(|r| r.rev)
}

// ---- Sealed values --------------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SealedMessage {
    id: u64,
    sealed: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SealedConversation {
    id: String,
    rev: u64,
    sealed: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SealedTable {
    sealed: String,
}

/// The stored value of the known-peers table sealed as `sealed`.
pub fn sealed_table(sealed: &[u8]) -> String {
    serde_json::to_string(&SealedTable {
        sealed: base64url_encode(sealed),
    })
    .unwrap_or_default()
}

/// The sealed bytes of a stored known-peers value.
pub fn open_sealed_table(raw: &str) -> Result<Vec<u8>, StoreError> {
    let value: SealedTable = serde_json::from_str(raw).map_err(|_| StoreError::Damaged)?;
    base64url_decode(&value.sealed).ok_or(StoreError::Damaged)
}

/// Additional data a message's seal is bound to: it cannot be moved to another place.
pub fn message_aad(conversation: &str, id: u64) -> String {
    format!("tincan/m/{conversation}/{id}")
}

/// Additional data a conversation record's seal is bound to.
pub fn conversation_aad(conversation: &str) -> String {
    format!("tincan/c/{conversation}")
}

pub fn sealed_message(id: u64, sealed: &[u8]) -> String {
    serde_json::to_string(&SealedMessage {
        id,
        sealed: base64url_encode(sealed),
    })
    .unwrap_or_default()
}

pub fn sealed_conversation(id: &str, rev: u64, sealed: &[u8]) -> String {
    serde_json::to_string(&SealedConversation {
        id: id.to_owned(),
        rev,
        sealed: base64url_encode(sealed),
    })
    .unwrap_or_default()
}

/// The id and sealed bytes of a stored message value.
pub fn open_sealed_message(raw: &str) -> Result<(u64, Vec<u8>), StoreError> {
    let value: SealedMessage = serde_json::from_str(raw).map_err(|_| StoreError::Damaged)?;
    let bytes = base64url_decode(&value.sealed).ok_or(StoreError::Damaged)?;
    Ok((value.id, bytes))
}

/// The id, revision and sealed bytes of a stored conversation value.
pub fn open_sealed_conversation(raw: &str) -> Result<(String, u64, Vec<u8>), StoreError> {
    let value: SealedConversation = serde_json::from_str(raw).map_err(|_| StoreError::Damaged)?;
    let bytes = base64url_decode(&value.sealed).ok_or(StoreError::Damaged)?;
    Ok((value.id, value.rev, bytes))
}

/// A conversation record opened from its seal: it must be the one the envelope names.
pub fn conversation_from_opened(
    json: &str,
    id: &str,
    rev: u64,
) -> Result<ConversationRecord, StoreError> {
    let record = ConversationRecord::from_json(json)?;
    if record.id == id && record.rev == rev {
        Ok(record)
    } else {
        Err(StoreError::Misplaced)
    }
}

/// Settings' line about space: what this site stores and may store, as the browser estimates.
pub fn usage_text(used: u64, quota: u64) -> String {
    use crate::core::transfer::format_bytes;
    format!(
        "{} used of about {} available to this site.",
        format_bytes(used),
        format_bytes(quota)
    )
}

// ---- Notes between tabs -------------------------------------------------------------------------

/// What one tab tells the others after it stored something.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// A conversation was written; it is now at this revision.
    Conversation { id: String, rev: u64 },
    /// A conversation was deleted.
    Deleted { id: String },
    /// Everything may have changed: data deleted or imported, the lock set, changed or removed.
    All,
    /// The known-peers table was written.
    KnownPeers,
}

impl Note {
    pub fn encode(&self) -> String {
        match self {
            Note::Conversation { id, rev } => format!("c {rev} {id}"),
            Note::Deleted { id } => format!("d {id}"),
            Note::All => "all".to_owned(),
            Note::KnownPeers => "known".to_owned(),
        }
    }

    pub fn decode(text: &str) -> Option<Self> {
        let mut parts = text.splitn(3, ' ');
        let note = match (parts.next()?, parts.next(), parts.next()) {
            ("c", Some(rev), Some(id)) => Note::Conversation {
                id: id.to_owned(),
                rev: rev.parse().ok()?,
            },
            ("d", Some(id), None) => Note::Deleted { id: id.to_owned() },
            ("all", None, None) => Note::All,
            ("known", None, None) => Note::KnownPeers,
            _ => return None,
        };
        match &note {
            Note::Conversation { id, .. } | Note::Deleted { id } if !id_ok(id) => None,
            _ => Some(note),
        }
    }
}

// ---- base64url (no padding), for sealed bytes ---------------------------------------------------

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let group = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for index in 0..=chunk.len() {
            text.push(char::from(
                ALPHABET[((group >> (18 - 6 * index)) & 0x3f) as usize],
            ));
        }
    }
    text
}

/// `None` for a character outside the alphabet or a length no encoding has.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let mut bytes = Vec::with_capacity(text.len() * 3 / 4);
    let (mut accumulator, mut bits) = (0u32, 0u32);
    for byte in text.bytes() {
        let sextet = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        accumulator = (accumulator << 6) | u32::from(sextet);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((accumulator >> bits) as u8);
            accumulator &= (1 << bits) - 1;
        }
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn chat() -> Conversation {
        let mut c = Conversation::new("c0ffee".into(), 1.0);
        c.meet("peer-1", Some("Bea".into()));
        c.compose("one".into(), 2.0);
        c.receive(1, "two".into(), 3.0);
        c.mark_sent(1);
        c
    }

    #[test]
    fn a_fresh_database_gets_every_store_and_later_versions_add_none_yet() {
        assert_eq!(upgrade_steps(0), STORES);
        assert!(upgrade_steps(DB_VERSION).is_empty());
    }

    #[test]
    fn records_round_trip_and_rebuild_the_conversation() {
        let c = chat();
        let record = ConversationRecord::of(&c, 4);
        assert_eq!(record.summary().title, "Bea");
        assert_eq!(record.summary().preview, "two");
        let read = ConversationRecord::from_json(&record.to_json()).unwrap();
        assert_eq!(stored_rev(&record.to_json()), Some(4));
        let messages = c
            .messages()
            .iter()
            .map(|m| message_from_json(&message_json(m), Some(m.id)))
            .collect();
        let (back, damaged) = read.assemble(messages);
        assert_eq!(damaged, 0);
        assert_eq!(back.messages(), c.messages());
        assert_eq!(
            (
                back.last_own_seq(),
                back.received_upto(),
                back.journal().rev
            ),
            (1, 1, 4)
        );
        assert!(!back.has_changes());
    }

    #[test]
    fn a_groups_log_is_stored_with_its_conversation_and_checked_when_read() {
        use crate::core::group::{entries_to_json, Group};
        let mut c = chat();
        let mut group = Group::found(&c.id, "ann00001", Some("Ann"), 1_000.0).unwrap();
        group.add_member("bea00002", Some("Bea"), 1_001.0).unwrap();
        c.set_group_log(entries_to_json(group.history()));
        let record = ConversationRecord::of(&c, 2);
        let read = ConversationRecord::from_json(&record.to_json()).unwrap();
        let (back, damaged) = read.assemble(Vec::new());
        assert_eq!(damaged, 0);
        let restored = Group::restore(
            &back.id,
            "ann00001",
            crate::core::group::entries_from_json(back.group_log().unwrap()).unwrap(),
            2_000.0,
        )
        .unwrap();
        assert_eq!(restored.history(), group.history());
        // A two-person conversation's record carries no group field at all.
        assert!(!ConversationRecord::of(&chat(), 1)
            .to_json()
            .contains("group"));
        // A damaged log makes the record damaged, not a group that differs.
        let mut bad = record.clone();
        bad.group = Some(r#"[{"author":"<x>","seq":1}]"#.into());
        assert_eq!(
            ConversationRecord::from_json(&bad.to_json()),
            Err(StoreError::Damaged)
        );
    }

    #[test]
    fn damaged_records_cost_only_themselves() {
        let c = chat();
        let record = ConversationRecord::of(&c, 1);
        let mut raw: Vec<String> = c.messages().iter().map(message_json).collect();
        raw.insert(
            1,
            r#"{"id":1,"author":"me","seq":1,"text":"<b>","at_ms":1}"#.into(),
        );
        raw.push("not json".into());
        raw.push(
            r#"{"id":9,"author":"peer","seq":2,"text":"x","at_ms":1,"delivery":"pending"}"#.into(),
        );
        raw.push(
            r#"{"id":10,"author":"me","seq":1,"text":"same number","at_ms":1,"delivery":"sent"}"#
                .into(),
        );
        raw.push(
            r#"{"id":11,"author":"me","seq":2,"text":"x","at_ms":1,"delivery":"sent","evil":1}"#
                .into(),
        );
        let (back, damaged) =
            record.assemble(raw.iter().map(|r| message_from_json(r, None)).collect());
        assert_eq!(damaged, 5);
        assert_eq!(back.messages(), c.messages());
        assert_eq!(
            message_from_json(&message_json(&c.messages()[0]), Some(7)),
            Err(StoreError::Misplaced)
        );
    }

    #[test]
    fn hostile_conversation_records_are_refused() {
        let good = ConversationRecord::of(&chat(), 1);
        let mut bad = Vec::new();
        let mut r = good.clone();
        r.id = "<script>".into();
        bad.push(r.to_json());
        let mut r = good.clone();
        r.peer_name = Some("\u{202e}evil\n".into());
        bad.push(r.to_json());
        let mut r = good.clone();
        r.next_id = u64::MAX;
        bad.push(r.to_json());
        bad.push(
            good.to_json()
                .replace(r#""rev":1"#, r#""rev":1,"extra":true"#),
        );
        bad.push(
            good.to_json()
                .replace(r#""updated_ms":3.0"#, r#""updated_ms":"soon""#),
        );
        for raw in bad {
            assert_eq!(
                ConversationRecord::from_json(&raw),
                Err(StoreError::Damaged),
                "{raw}"
            );
        }
    }

    #[test]
    fn sealed_values_keep_id_and_bytes() {
        let raw = sealed_message(7, &[1, 2, 250]);
        assert_eq!(open_sealed_message(&raw), Ok((7, vec![1, 2, 250])));
        let raw = sealed_conversation("c0ffee", 3, &[9; 40]);
        assert_eq!(stored_rev(&raw), Some(3));
        assert_eq!(
            open_sealed_conversation(&raw),
            Ok(("c0ffee".to_owned(), 3, vec![9; 40]))
        );
        assert!(open_sealed_message(r#"{"id":1,"sealed":"%%"}"#).is_err());
        assert!(open_sealed_message(&message_json(&chat().messages()[0])).is_err());
        let record = ConversationRecord::of(&chat(), 3);
        assert!(conversation_from_opened(&record.to_json(), "c0ffee", 3).is_ok());
        assert_eq!(
            conversation_from_opened(&record.to_json(), "c0ffee", 2),
            Err(StoreError::Misplaced)
        );
        assert_ne!(message_aad("a", 12), message_aad("a1", 2));
        let raw = sealed_table(&[7; 33]);
        assert_eq!(open_sealed_table(&raw), Ok(vec![7; 33]));
        for junk in [
            "",
            r#"{"v":1,"peers":[]}"#,
            r#"{"sealed":"%%"}"#,
            r#"{"sealed":"AAAA","x":1}"#,
        ] {
            assert_eq!(open_sealed_table(junk), Err(StoreError::Damaged), "{junk}");
        }
    }

    #[test]
    fn notes_round_trip_and_junk_is_ignored() {
        for note in [
            Note::Conversation {
                id: "ab12".into(),
                rev: 9,
            },
            Note::Deleted { id: "ab12".into() },
            Note::All,
            Note::KnownPeers,
        ] {
            assert_eq!(Note::decode(&note.encode()), Some(note));
        }
        for junk in ["", "c", "c x ab", "c 1 <b>", "all now", "d a b", "known x"] {
            assert_eq!(Note::decode(junk), None, "{junk}");
        }
    }

    #[test]
    fn base64url_matches_the_crate() {
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let text = base64url_encode(&bytes);
            assert_eq!(text, engine.encode(&bytes));
            assert_eq!(base64url_decode(&text), Some(bytes));
        }
        assert_eq!(base64url_decode("A"), None);
        assert_eq!(base64url_decode("AA=="), None);
    }

    #[test]
    fn usage_reads_as_a_sentence() {
        assert_eq!(
            usage_text(1_234_567, 10_000_000_000),
            "1.23 MB used of about 10.0 GB available to this site."
        );
    }

    #[test]
    fn outside_conversations_are_checked() {
        let c = chat();
        assert_eq!(check_conversation(&c), Ok(()));
        let json = serde_json::to_string(&c).unwrap();
        let cases = [
            json.replace("c0ffee", "c0ffee/../x"),
            json.replace(r#""seq":1,"text":"one""#, r#""seq":5,"text":"one""#),
            json.replace(r#""id":1,"#, r#""id":0,"#),
            json.replace(r#""Bea""#, r#""\u0000Bea""#),
        ];
        for case in cases {
            let c: Conversation = serde_json::from_str(&case).unwrap();
            assert!(check_conversation(&c).is_err(), "{case}");
        }
    }
}
