//! Conversations in IndexedDB: opening (and unlocking) the database at load, writing each change
//! as it happens, other tabs' notes, export and import, the passphrase lock, Delete all data.
//! What the records are and how they are checked is in `core::store`; the browser calls are in
//! `web::idb` and `web::vault`.
//!
//! Writes go one at a time. A change starts a write at once unless one is under way; changes made
//! meanwhile go together in the next, so a burst of messages is written in a few transactions,
//! not one per message, and nothing waits for a timer.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::CryptoKey;

use super::TinCan;
use crate::core::chat::{ChatMessage, Conversation};
use crate::core::history::History;
use crate::core::identity::KnownPeers;
use crate::core::links::{route, Route};
use crate::core::session::Phase;
use crate::core::settings::Settings;
use crate::core::store::backup::{self, MAX_IMPORT_BYTES};
use crate::core::store::lock::{
    check_new_passphrase, LockRecord, PassphraseError, CHECK_AAD, CHECK_TEXT, ITERATIONS,
    SALT_BYTES,
};
use crate::core::store::{
    conversation_aad, conversation_from_opened, gone_marker, legacy, message_aad,
    message_from_json, message_json, open_sealed_conversation, open_sealed_message,
    open_sealed_table, rev_marker, sealed_conversation, sealed_message, sealed_table, stale_marker,
    stored_rev, ConversationRecord, Note, StoreError, CONVERSATIONS, EPOCH_KEY, KNOWN_PEERS_AAD,
    KNOWN_PEERS_KEY, LOCK_KEY, MESSAGES, META, REV_MARKERS_KEPT,
};
use crate::web::browser::{self, iso_time, now_ms, random_bytes};
use crate::web::clipboard;
use crate::web::idb::{self, Db, IdbError, Key, Op};
use crate::web::notes::NoteChannel;
use crate::web::site_storage;
use crate::web::timers::sleep_ms;
use crate::web::vault;

/// Where the app stands with its storage.
#[derive(Clone, Debug, PartialEq)]
pub enum StorageState {
    /// Opening the database (a moment at load).
    Opening,
    /// A passphrase lock is set and not given yet: nothing of the conversations shows.
    Locked,
    /// Checking a passphrase.
    Unlocking,
    Open,
    /// This browser stores nothing for the app: the reason. Conversations last while the tab does.
    Unavailable(String),
}

pub const STORAGE_FULL: &str = "Not saved: the browser refused to store more (its storage for this site is full, or this is a private window). Everything on screen stays until you close the tab. To make room, export your conversations (Export conversation, or Settings → Export all conversations), then delete old conversations. Messages marked “Not saved” are stored as soon as there is room.";
const NO_STORAGE: &str = "This browser does not let Tin Can store conversations here (a private window, or storage turned off): they last only while this tab is open.";
const NEWER_VERSION: &str = "Your conversations were stored by a newer version of Tin Can. Reload the page to get it; until then nothing is stored.";
const WRONG_PASSPHRASE: &str = "That passphrase is wrong. Try again.";
const DAMAGED_LOCK: &str = "The lock of your stored conversations is damaged, so they cannot be opened. Delete all data to start again.";
const KNOWN_PEERS_DAMAGED: &str = "The stored list of peers you met and verified is damaged, so Tin Can cannot tell whether their identities changed: each one shows as new, and you need to compare safety codes again.";
const NEWER_TAB: &str =
    "Tin Can was updated in another tab. Reload this page to keep storing your conversations.";

/// Conversations in IndexedDB as the screen shows them, and the bookkeeping of writes.
/// `Copy`: every field is an arena handle.
#[derive(Clone, Copy)]
pub struct Storage {
    /// Where the app stands with its storage (opening, locked, open).
    pub state: RwSignal<StorageState>,
    /// Why the latest write was refused (shown in the conversation), until one succeeds.
    pub problem: RwSignal<Option<String>>,
    /// Why the passphrase was not taken.
    pub unlock_error: RwSignal<Option<String>>,
    /// The outcome of the latest export, import, lock change or Delete all data.
    pub status: RwSignal<Option<Result<String, String>>>,
    /// A lock change is under way (it takes a moment).
    pub lock_busy: RwSignal<bool>,
    store: StoredValue<Option<Rc<Store>>, LocalStorage>,
    notes: StoredValue<Option<NoteChannel>, LocalStorage>,
    /// A write is under way, and whether more changed meanwhile.
    writing: StoredValue<bool>,
    write_again: StoredValue<bool>,
    /// Conversations taken off screen with changes not yet written.
    leaving: StoredValue<Vec<Conversation>>,
    /// Storage is not ready yet: once it is, show the most recent conversation or open the link.
    starting: StoredValue<bool>,
    persist_asked: StoredValue<bool>,
    /// Bumped by each Open: only the latest one shows its conversation.
    opening: StoredValue<u64>,
    /// A read after other tabs' notes is scheduled.
    catching_up: StoredValue<bool>,
    /// A write of the known-peers table is under way, and whether it changed meanwhile.
    known_writing: StoredValue<bool>,
    known_again: StoredValue<bool>,
}

impl Storage {
    pub(super) fn new() -> Self {
        Self {
            state: RwSignal::new(StorageState::Opening),
            problem: RwSignal::new(None),
            unlock_error: RwSignal::new(None),
            status: RwSignal::new(None),
            lock_busy: RwSignal::new(false),
            store: StoredValue::new_local(None),
            notes: StoredValue::new_local(None),
            writing: StoredValue::new(false),
            write_again: StoredValue::new(false),
            leaving: StoredValue::new(Vec::new()),
            starting: StoredValue::new(true),
            persist_asked: StoredValue::new(false),
            opening: StoredValue::new(0),
            catching_up: StoredValue::new(false),
            known_writing: StoredValue::new(false),
            known_again: StoredValue::new(false),
        }
    }
}

/// The open database and, with a lock, the key.
struct Store {
    db: Rc<Db>,
    key: Option<CryptoKey>,
    /// The lock record as stored (`None`: no lock). Writes expect it unchanged.
    lock: Option<(String, LockRecord)>,
    /// The lock record is damaged: nothing can be read or written (only Delete all data).
    blocked: bool,
    /// The epoch this tab writes under (see `core::store`).
    epoch: String,
}

impl Store {
    /// Whether conversations can be read and written: no lock, or its key is known.
    fn usable(&self) -> bool {
        !self.blocked && (self.lock.is_none() || self.key.is_some())
    }

    /// Adds that fail the write if the lock was set, changed or removed, or all data deleted,
    /// since this tab read it.
    fn same_epoch(&self) -> Vec<Op> {
        let key = Key::Text(stale_marker(&self.epoch));
        vec![Op::Add(META, key.clone()), Op::Delete(META, key)]
    }

    /// Adds that fail the write if conversation `id` is not at `rev` (another tab wrote it, or
    /// deleted it), and that mark it at `rev + 1`.
    fn next_revision(&self, id: &str, rev: u64) -> Vec<Op> {
        let gone = Key::Text(gone_marker(id));
        let mut ops = self.same_epoch();
        if rev == 0 {
            // Written anew: whatever deleted it before is over.
            ops.push(Op::Delete(META, gone));
        } else {
            ops.push(Op::Add(META, gone.clone()));
            ops.push(Op::Delete(META, gone));
        }
        ops.push(Op::Add(META, Key::Message(rev_marker(id), rev + 1)));
        if rev + 1 > REV_MARKERS_KEPT {
            ops.push(Op::DeleteBelow(
                META,
                rev_marker(id),
                rev + 1 - REV_MARKERS_KEPT,
            ));
        }
        ops
    }

    /// Adds that fail the write if conversation `id` moved on from `rev`, marking nothing.
    fn still_at(&self, id: &str, rev: u64) -> Vec<Op> {
        let next = Key::Message(rev_marker(id), rev + 1);
        vec![Op::Add(META, next.clone()), Op::Delete(META, next)]
    }

    /// Every stored conversation record, opened and checked, and how many were damaged.
    async fn records(&self) -> Result<(Vec<ConversationRecord>, usize), IdbError> {
        let raws = self.db.all(CONVERSATIONS).await?;
        let decoded = match &self.key {
            None => raws
                .into_iter()
                .map(|raw| {
                    raw.ok_or(StoreError::Damaged)
                        .and_then(|raw| ConversationRecord::from_json(&raw))
                })
                .collect(),
            Some(key) => {
                let envelopes: Vec<_> = raws
                    .iter()
                    .map(|raw| {
                        raw.as_deref()
                            .ok_or(StoreError::Damaged)
                            .and_then(open_sealed_conversation)
                    })
                    .collect();
                let items: Vec<(String, Vec<u8>)> = envelopes
                    .iter()
                    .flatten()
                    .map(|(id, _, sealed)| (conversation_aad(id), sealed.clone()))
                    .collect();
                let mut opened = vault::open_all(key, &items)
                    .await
                    .unwrap_or_default()
                    .into_iter();
                envelopes
                    .into_iter()
                    .map(|envelope| {
                        let (id, rev, _) = envelope?;
                        let json = opened.next().flatten().ok_or(StoreError::Damaged)?;
                        conversation_from_opened(&json, &id, rev)
                    })
                    .collect::<Vec<_>>()
            }
        };
        let damaged = decoded.iter().filter(|r| r.is_err()).count();
        Ok((decoded.into_iter().flatten().collect(), damaged))
    }

    /// A stored conversation with its messages, and how many of them were damaged; `None` when
    /// it is not stored (or its record is damaged).
    async fn conversation(&self, id: &str) -> Result<Option<(Conversation, usize)>, IdbError> {
        let (record, messages) = self.db.conversation(CONVERSATIONS, id).await?;
        let Some(record) = record else {
            return Ok(None);
        };
        let record = match &self.key {
            None => ConversationRecord::from_json(&record).ok(),
            Some(key) => match open_sealed_conversation(&record) {
                Ok((sealed_id, rev, sealed)) if sealed_id == id => {
                    vault::open_all(key, &[(conversation_aad(id), sealed)])
                        .await
                        .ok()
                        .and_then(|mut opened| opened.pop().flatten())
                        .and_then(|json| conversation_from_opened(&json, id, rev).ok())
                }
                _ => None,
            },
        };
        let Some(record) = record else {
            return Ok(None);
        };
        let messages = self.messages(id, messages).await;
        Ok(Some(record.assemble(messages)))
    }

    async fn messages(
        &self,
        conversation: &str,
        raws: Vec<Option<String>>,
    ) -> Vec<Result<ChatMessage, StoreError>> {
        let Some(key) = &self.key else {
            return raws
                .iter()
                .map(|raw| {
                    raw.as_deref()
                        .ok_or(StoreError::Damaged)
                        .and_then(|raw| message_from_json(raw, None))
                })
                .collect();
        };
        let envelopes: Vec<_> = raws
            .iter()
            .map(|raw| {
                raw.as_deref()
                    .ok_or(StoreError::Damaged)
                    .and_then(open_sealed_message)
            })
            .collect();
        let items: Vec<(String, Vec<u8>)> = envelopes
            .iter()
            .flatten()
            .map(|(id, sealed)| (message_aad(conversation, *id), sealed.clone()))
            .collect();
        let mut opened = vault::open_all(key, &items)
            .await
            .unwrap_or_default()
            .into_iter();
        envelopes
            .into_iter()
            .map(|envelope| {
                let (id, _) = envelope?;
                let json = opened.next().flatten().ok_or(StoreError::Damaged)?;
                message_from_json(&json, Some(id))
            })
            .collect()
    }
}

/// The writes that store `messages` and `record` of one conversation, sealed with `key` if any.
async fn conversation_ops(
    key: Option<&CryptoKey>,
    record: &ConversationRecord,
    messages: &[&ChatMessage],
) -> Result<Vec<Op>, String> {
    let id = &record.id;
    let mut plain: Vec<(String, String)> = messages
        .iter()
        .map(|m| (message_aad(id, m.id), message_json(m)))
        .collect();
    plain.push((conversation_aad(id), record.to_json()));
    let values: Vec<String> = match key {
        None => plain.into_iter().map(|(_, json)| json).collect(),
        Some(key) => {
            let sealed = vault::seal_all(key, &plain).await?;
            sealed
                .iter()
                .enumerate()
                .map(|(index, sealed)| match messages.get(index) {
                    Some(m) => sealed_message(m.id, sealed),
                    None => sealed_conversation(id, record.rev, sealed),
                })
                .collect()
        }
    };
    let mut values = values.into_iter();
    let mut ops: Vec<Op> = messages
        .iter()
        .zip(values.by_ref())
        .map(|(m, value)| Op::Put(MESSAGES, Key::Message(id.clone(), m.id), value))
        .collect();
    if let Some(value) = values.next() {
        ops.push(Op::Put(CONVERSATIONS, Key::Text(id.clone()), value));
    }
    Ok(ops)
}

/// Whole conversations (imported, moved, or sealed again), each expected at its revision in
/// storage. New ones (`reseal` false) get the next revision; sealed again, they keep theirs and
/// their message records are replaced (a damaged one read as nothing is not carried over).
async fn whole_ops(
    store: &Store,
    key: Option<&CryptoKey>,
    conversations: &[(Conversation, u64)],
    reseal: bool,
) -> Result<Vec<Op>, String> {
    let mut ops = store.same_epoch();
    for (conversation, rev) in conversations {
        let new_rev = if reseal {
            ops.extend(store.still_at(&conversation.id, *rev));
            ops.push(Op::DeleteMessages(conversation.id.clone()));
            *rev
        } else {
            ops.extend(store.next_revision(&conversation.id, *rev));
            rev + 1
        };
        let record = ConversationRecord::of(conversation, new_rev);
        let messages: Vec<&ChatMessage> = conversation.messages().iter().collect();
        ops.extend(conversation_ops(key, &record, &messages).await?);
    }
    Ok(ops)
}

/// Whether `key` opens the lock's check value: the passphrase it came from is the right one.
async fn key_fits(key: &CryptoKey, lock: &LockRecord) -> bool {
    let Some(check) = lock.check_bytes() else {
        return false;
    };
    vault::open_all(key, &[(CHECK_AAD.to_owned(), check)])
        .await
        .ok()
        .and_then(|mut opened| opened.pop().flatten())
        .is_some_and(|text| text == CHECK_TEXT)
}

fn failure_text(error: &IdbError) -> String {
    match error {
        IdbError::Full => STORAGE_FULL.to_owned(),
        IdbError::Unavailable => NO_STORAGE.to_owned(),
        IdbError::Newer => NEWER_VERSION.to_owned(),
        IdbError::Taken => {
            "Another tab changed your conversations at the same moment. Try again.".to_owned()
        }
        IdbError::Failed(why) => format!("The browser could not store this ({why})."),
    }
}

/// The stored value of the known-peers table `json`: as it is, or sealed with `key`.
async fn known_peers_value(key: Option<&CryptoKey>, json: String) -> Result<String, String> {
    match key {
        None => Ok(json),
        Some(key) => {
            let sealed = vault::seal_all(key, &[(KNOWN_PEERS_AAD.to_owned(), json)])
                .await?
                .pop()
                .ok_or("Encryption failed.")?;
            Ok(sealed_table(&sealed))
        }
    }
}

/// A fresh epoch id (see `core::store`).
fn new_epoch() -> String {
    browser::random_hex_id().unwrap_or_else(|| format!("{}", now_ms() as u64))
}

/// One conversation's changes on their way to storage.
struct Job {
    id: String,
    changes: crate::core::chat::Changes,
    record: ConversationRecord,
    /// The conversation itself when it is no longer on screen.
    left: Option<Conversation>,
}

enum Outcome {
    Done,
    Conflict(String, Option<Conversation>),
    LockChanged,
    Stop,
}

impl TinCan {
    // ---- Opening ------------------------------------------------------------------------------

    /// At load: opens the database, reads the lock, and unless a passphrase is needed, moves
    /// old conversations over, lists them and shows the most recent one (or acts on the link
    /// the page was opened with).
    pub(super) fn open_storage(&self) {
        let this = *self;
        let channel = NoteChannel::open(move |note| this.on_note(note));
        self.storage.notes.set_value(channel);
        spawn_local(async move {
            let db = match idb::open(move || this.storage.problem.set(Some(NEWER_TAB.into()))).await
            {
                Ok(db) => Rc::new(db),
                Err(error) => {
                    let why = if error == IdbError::Newer {
                        NEWER_VERSION
                    } else {
                        NO_STORAGE
                    };
                    this.storage
                        .state
                        .set(StorageState::Unavailable(why.to_owned()));
                    this.continue_start();
                    return;
                }
            };
            this.read_lock(db).await;
        });
    }

    /// Reads the lock record and either goes on, or asks for the passphrase.
    async fn read_lock(&self, db: Rc<Db>) {
        let raw = db
            .get(META, Key::Text(LOCK_KEY.to_owned()))
            .await
            .ok()
            .flatten();
        let epoch = db
            .get(META, Key::Text(EPOCH_KEY.to_owned()))
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        let lock = match raw {
            None => None,
            Some(raw) => match LockRecord::from_json(&raw) {
                Ok(record) => Some((raw, record)),
                Err(_) => {
                    self.storage.store.set_value(Some(Rc::new(Store {
                        db,
                        key: None,
                        lock: None,
                        blocked: true,
                        epoch,
                    })));
                    self.storage.unlock_error.set(Some(DAMAGED_LOCK.to_owned()));
                    self.storage.state.set(StorageState::Locked);
                    return;
                }
            },
        };
        let locked = lock.is_some();
        self.storage.store.set_value(Some(Rc::new(Store {
            db,
            key: None,
            lock,
            blocked: false,
            epoch,
        })));
        if locked {
            self.storage.state.set(StorageState::Locked);
        } else {
            self.after_open().await;
        }
    }

    /// "Unlock": derives the key and checks it against the lock's check value.
    pub fn unlock(&self, passphrase: String) {
        let Some(store) = self.storage.store.get_value() else {
            return;
        };
        let Some((raw, record)) = store.lock.clone() else {
            return;
        };
        self.storage.unlock_error.set(None);
        self.storage.state.set(StorageState::Unlocking);
        let this = *self;
        spawn_local(async move {
            let key = match record.salt_bytes() {
                Some(salt) => vault::derive_key(&passphrase, &salt, record.iterations)
                    .await
                    .ok(),
                None => None,
            };
            match key {
                Some(key) if key_fits(&key, &record).await => {
                    this.storage.store.set_value(Some(Rc::new(Store {
                        db: store.db.clone(),
                        key: Some(key),
                        lock: Some((raw, record)),
                        blocked: false,
                        epoch: store.epoch.clone(),
                    })));
                    this.after_open().await;
                }
                _ => {
                    this.storage.state.set(StorageState::Locked);
                    this.storage
                        .unlock_error
                        .set(Some(WRONG_PASSPHRASE.to_owned()));
                }
            }
        });
    }

    async fn after_open(&self) {
        self.read_known_peers().await;
        self.refresh_history().await;
        self.move_old_format().await;
        self.storage.state.set(StorageState::Open);
        // Changes made while the database was out of reach (a lock set in another tab).
        self.store_now();
        self.continue_start();
    }

    /// The first time storage and the identity are ready: act on the link the page was opened
    /// with, or show the most recent conversation.
    /// Called when storage is ready and when the identity is: the start waits for both.
    pub(super) fn continue_start(&self) {
        if !self.storage_ready() || !self.identity_ready() {
            return;
        }
        // "Create invite" pressed on a first visit's early start screen, and not taken back
        // with Start over since.
        if self.connection.invite_when_ready.get_value() {
            self.connection.invite_when_ready.set_value(false);
            if self.connection.phase.get_untracked() == Phase::Preparing {
                self.create_invite();
            }
        }
        if !self.storage.starting.get_value() {
            return;
        }
        self.storage.starting.set_value(false);
        if route(&browser::location_hash()) == Route::Home {
            let most_recent = self
                .chat
                .history
                .with_untracked(|h| h.most_recent().map(|s| s.id.clone()));
            if let Some(id) = most_recent {
                if self.connection.phase.get_untracked() == Phase::Start
                    && self.chat.conversation.with_untracked(Option::is_none)
                {
                    self.open_conversation(&id);
                }
            }
        } else {
            self.open_location();
        }
    }

    /// Whether conversations can be shown and stored (or storage is unavailable and the app
    /// runs without it).
    pub fn storage_ready(&self) -> bool {
        matches!(
            self.storage.state.get_untracked(),
            StorageState::Open | StorageState::Unavailable(_)
        )
    }

    fn usable_store(&self) -> Option<Rc<Store>> {
        self.storage
            .store
            .get_value()
            .filter(|store| store.usable())
    }

    /// Reads the list of conversations from storage.
    pub(super) async fn refresh_history(&self) {
        let Some(store) = self.usable_store() else {
            return;
        };
        if let Ok((records, damaged)) = store.records().await {
            self.chat
                .history
                .set(History::new(records.iter().map(|r| r.summary()).collect()));
            if damaged > 0 {
                self.show_alert(format!(
                    "{damaged} stored conversation(s) are damaged and cannot be shown."
                ));
            }
        }
    }

    /// Moves conversations of the localStorage format over, once: written in one transaction,
    /// the old keys removed only after it committed.
    async fn move_old_format(&self) {
        let legacy = legacy::read(&site_storage::storage_keys(), site_storage::storage_get);
        if legacy.moved_keys.is_empty() {
            return;
        }
        let Some(store) = self.usable_store() else {
            return;
        };
        for _ in 0..2 {
            let known: Vec<String> = self
                .chat
                .history
                .with_untracked(|h| h.summaries().iter().map(|s| s.id.clone()).collect());
            let fresh: Vec<(Conversation, u64)> = legacy
                .conversations
                .iter()
                .filter(|c| !known.contains(&c.id))
                .map(|c| (c.clone(), 0))
                .collect();
            let outcome = match whole_ops(&store, store.key.as_ref(), &fresh, false).await {
                Ok(_) if fresh.is_empty() => Ok(()),
                Ok(ops) => store.db.write(ops).await,
                Err(why) => Err(IdbError::Failed(why)),
            };
            match outcome {
                Ok(()) => {
                    for key in &legacy.moved_keys {
                        site_storage::storage_remove(key);
                    }
                    self.refresh_history().await;
                    self.post_note(&Note::All);
                    return;
                }
                // Another tab moved them at the same moment: look again.
                Err(IdbError::Taken) => self.refresh_history().await,
                Err(error) => {
                    self.show_alert(format!(
                        "Your earlier conversations could not be moved to the new storage: {} They stay where they were; Tin Can tries again at the next load.",
                        failure_text(&error)
                    ));
                    return;
                }
            }
        }
    }

    // ---- Writing ------------------------------------------------------------------------------

    /// Writes what changed, now, unless a write is under way (then it follows that one).
    pub fn store_now(&self) {
        if self.storage.writing.get_value() {
            self.storage.write_again.set_value(true);
            return;
        }
        let this = *self;
        spawn_local(async move { this.write_changes().await });
    }

    async fn write_changes(&self) {
        if self.storage.writing.get_value() {
            self.storage.write_again.set_value(true);
            return;
        }
        self.storage.writing.set_value(true);
        let mut conflicts = 0;
        loop {
            self.storage.write_again.set_value(false);
            let Some(store) = self.usable_store() else {
                break;
            };
            let Some(job) = self.next_job() else {
                break;
            };
            match self.write_job(&store, job).await {
                Outcome::Done => {}
                Outcome::Conflict(id, left) => {
                    conflicts += 1;
                    self.catch_up(&store, &id, left).await;
                    if conflicts > 5 {
                        break;
                    }
                }
                Outcome::LockChanged => {
                    self.storage.writing.set_value(false);
                    self.reopen().await;
                    return;
                }
                Outcome::Stop => break,
            }
        }
        self.storage.writing.set_value(false);
        if self.storage.write_again.get_value() {
            self.store_now();
        }
    }

    /// What to write next: conversations no longer on screen first, then the one on screen.
    fn next_job(&self) -> Option<Job> {
        while let Some(mut left) = self.storage.leaving.try_update_value(Vec::pop).flatten() {
            if left.has_changes() {
                let changes = left.take_changes();
                let record = ConversationRecord::of(&left, changes.new_rev());
                return Some(Job {
                    id: left.id.clone(),
                    changes,
                    record,
                    left: Some(left),
                });
            }
        }
        self.chat
            .conversation
            .try_update_untracked(|c| {
                let c = c
                    .as_mut()
                    .filter(|c| c.peer_id.is_some() && c.has_changes())?;
                let changes = c.take_changes();
                let record = ConversationRecord::of(c, changes.new_rev());
                Some(Job {
                    id: c.id.clone(),
                    changes,
                    record,
                    left: None,
                })
            })
            .flatten()
    }

    /// Runs `change` on this tab's copy of conversation `id`: on screen, or waiting to be written.
    fn with_copy(
        &self,
        id: &str,
        left: Option<Conversation>,
        change: impl FnOnce(&mut Conversation),
    ) {
        if let Some(mut left) = left {
            change(&mut left);
            self.storage.leaving.update_value(|l| l.push(left));
            return;
        }
        let mut change = Some(change);
        // Re-rendered only when what shows changed (the "Not saved" marks): a burst of messages
        // is written in many small writes.
        let mut marks_changed = false;
        self.chat.conversation.update_untracked(|c| {
            if let (Some(c), Some(change)) = (c.as_mut().filter(|c| c.id == id), change.take()) {
                let (refused, below) = (c.journal().refused, c.journal().stored_below);
                change(c);
                marks_changed = c.journal().refused != refused
                    || (c.journal().refused && c.journal().stored_below != below);
            }
        });
        if marks_changed {
            self.chat.conversation.notify();
        }
        if let Some(change) = change {
            // It left the screen while its write was under way.
            self.storage.leaving.update_value(|l| {
                if let Some(c) = l.iter_mut().find(|c| c.id == id) {
                    change(c);
                }
            });
        }
    }

    async fn write_job(&self, store: &Store, job: Job) -> Outcome {
        let Job {
            id,
            changes,
            record,
            left,
        } = job;
        let messages: Vec<&ChatMessage> = changes.added.iter().chain(&changes.changed).collect();
        let written = match conversation_ops(store.key.as_ref(), &record, &messages).await {
            Ok(ops) => {
                let mut all = store.next_revision(&id, changes.rev);
                all.extend(ops);
                store.db.write(all).await
            }
            Err(why) => Err(IdbError::Failed(why)),
        };
        match written {
            Ok(()) => {
                match left {
                    Some(mut left) => {
                        left.changes_stored(&changes);
                        if left.has_changes() {
                            self.storage.leaving.update_value(|l| l.push(left));
                        }
                    }
                    None => self.with_copy(&id, None, |c| c.changes_stored(&changes)),
                }
                self.chat.history.update(|h| h.upsert(record.summary()));
                self.post_note(&Note::Conversation {
                    id,
                    rev: record.rev,
                });
                if self.storage.problem.with_untracked(Option::is_some) {
                    self.storage.problem.set(None);
                }
                self.ask_to_persist();
                Outcome::Done
            }
            Err(IdbError::Taken) => {
                let mut left = left;
                match left.as_mut() {
                    Some(c) => c.changes_refused(changes, false),
                    None => self.with_copy(&id, None, |c| c.changes_refused(changes, false)),
                }
                let epoch = store
                    .db
                    .get(META, Key::Text(EPOCH_KEY.to_owned()))
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_default();
                if epoch == store.epoch {
                    Outcome::Conflict(id, left)
                } else {
                    if let Some(left) = left {
                        self.storage.leaving.update_value(|l| l.push(left));
                    }
                    Outcome::LockChanged
                }
            }
            Err(error) => {
                self.with_copy(&id, left, |c| c.changes_refused(changes, true));
                self.storage.problem.set(Some(failure_text(&error)));
                Outcome::Stop
            }
        }
    }

    /// Another tab wrote conversation `id`: read it and replay this tab's changes on it.
    async fn catch_up(&self, store: &Store, id: &str, left: Option<Conversation>) {
        let stored = store.conversation(id).await;
        let on_screen = left.is_none();
        let replay = move |c: &mut Conversation| {
            let mine = std::mem::replace(c, Conversation::new(String::new(), 0.0));
            *c = match stored {
                Ok(Some((stored, _))) => mine.rebase(stored),
                // Deleted meanwhile: a conversation on screen is stored again.
                Ok(None) => mine.unstored(),
                Err(_) => mine,
            };
        };
        match left {
            Some(mut left) => {
                replay(&mut left);
                if left.journal().rev > 0 {
                    self.storage.leaving.update_value(|l| l.push(left));
                }
            }
            None => {
                self.with_copy(id, None, replay);
                self.chat.conversation.notify();
            }
        }
        if on_screen {
            self.resend_unacknowledged();
        }
    }

    /// Once per page, after something was stored: ask the browser to keep it when space runs
    /// low (Chromium decides by itself; Firefox asks the user).
    fn ask_to_persist(&self) {
        if self.storage.persist_asked.get_value() {
            return;
        }
        self.storage.persist_asked.set_value(true);
        spawn_local(async move {
            site_storage::persist_storage().await;
        });
    }

    /// Puts `next` on screen. The conversation there before keeps its unsaved changes: they are
    /// written all the same.
    pub(super) fn show_conversation(&self, next: Option<Conversation>) {
        let next_id = next.as_ref().map(|c| c.id.clone());
        let previous = self
            .chat
            .conversation
            .try_update(|c| std::mem::replace(c, next))
            .flatten();
        if let Some(previous) = previous {
            let pending = previous.has_changes() || self.storage.writing.get_value();
            if previous.peer_id.is_some() && pending && next_id.as_ref() != Some(&previous.id) {
                self.storage.leaving.update_value(|l| l.insert(0, previous));
                self.store_now();
            }
        }
        // A group shown comes back from its stored log (disconnected until someone connects).
        self.group_follows_conversation();
    }

    // ---- Reading ------------------------------------------------------------------------------

    /// A stored conversation (`None`: not stored, or storage is out of reach).
    pub(super) async fn read_stored(&self, id: &str) -> Result<Option<Conversation>, String> {
        let Some(store) = self.usable_store() else {
            return Ok(None);
        };
        match store.conversation(id).await {
            Ok(Some((conversation, damaged))) => {
                if damaged > 0 {
                    self.show_alert(format!(
                        "{damaged} stored message(s) of this conversation are damaged and are not shown."
                    ));
                }
                Ok(Some(conversation))
            }
            Ok(None) => Ok(None),
            Err(error) => Err(failure_text(&error)),
        }
    }

    /// Shows a stored conversation, disconnected, ready to reconnect.
    pub fn open_conversation(&self, id: &str) {
        if matches!(
            self.connection.phase.get_untracked(),
            Phase::Connected | Phase::Connecting
        ) {
            return;
        }
        let on_screen = self
            .chat
            .conversation
            .with_untracked(|c| c.as_ref().is_some_and(|c| c.id == id));
        if on_screen {
            // This tab's copy is the newest there is (it writes it).
            self.reset();
            self.clear_messages();
            self.connection.phase.set(Phase::Disconnected);
            return;
        }
        self.storage.opening.update_value(|n| *n += 1);
        let this_opening = self.storage.opening.get_value();
        let (this, id) = (*self, id.to_owned());
        spawn_local(async move {
            let read = this.read_stored(&id).await;
            let busy = matches!(
                this.connection.phase.get_untracked(),
                Phase::Connected | Phase::Connecting
            );
            if this.storage.opening.get_value() != this_opening || busy {
                return;
            }
            match read {
                Ok(Some(conversation)) => {
                    this.reset();
                    this.clear_messages();
                    this.show_conversation(Some(conversation));
                    this.connection.phase.set(Phase::Disconnected);
                }
                Ok(None) => {
                    this.chat.history.update(|h| h.remove(&id));
                    this.show_alert("That conversation is no longer stored in this browser.");
                }
                Err(why) => this.show_alert(why),
            }
        });
    }

    /// Deletes a stored conversation (not the live one).
    pub fn delete_conversation(&self, id: &str) {
        let on_screen = self
            .chat
            .conversation
            .with_untracked(|c| c.as_ref().is_some_and(|c| c.id == id));
        if on_screen {
            if self.connection.phase.get_untracked() == Phase::Connected {
                return;
            }
            self.chat.conversation.set(None);
            self.start_over();
        }
        self.storage
            .leaving
            .update_value(|l| l.retain(|c| c.id != id));
        self.chat.history.update(|h| h.remove(id));
        let Some(store) = self.usable_store() else {
            return;
        };
        let (this, id) = (*self, id.to_owned());
        spawn_local(async move {
            let mut ops = store.same_epoch();
            ops.extend([
                Op::Delete(CONVERSATIONS, Key::Text(id.clone())),
                Op::DeleteMessages(id.clone()),
                Op::DeleteBelow(META, rev_marker(&id), u64::MAX),
                Op::Put(META, Key::Text(gone_marker(&id)), String::new()),
            ]);
            match store.db.write(ops).await {
                Ok(()) => {
                    this.post_note(&Note::Deleted { id });
                    // Room for what could not be stored before.
                    if this.storage.problem.with_untracked(Option::is_some) {
                        this.store_now();
                    }
                }
                Err(error) => {
                    this.show_alert(failure_text(&error));
                    this.refresh_history().await;
                }
            }
        });
    }

    // ---- Other tabs ---------------------------------------------------------------------------

    fn post_note(&self, note: &Note) {
        self.storage.notes.with_value(|channel| {
            if let Some(channel) = channel {
                channel.post(note);
            }
        });
    }

    fn on_note(&self, note: Note) {
        match note {
            Note::Conversation { .. } => self.catch_up_soon(),
            Note::Deleted { id } => {
                self.chat.history.update(|h| h.remove(&id));
                self.storage
                    .leaving
                    .update_value(|l| l.retain(|c| c.id != id));
                let on_screen = self
                    .chat
                    .conversation
                    .with_untracked(|c| c.as_ref().is_some_and(|c| c.id == id));
                let busy = matches!(
                    self.connection.phase.get_untracked(),
                    Phase::Connected | Phase::Connecting
                );
                if on_screen && !busy {
                    self.chat.conversation.set(None);
                    self.start_over();
                    self.notices
                        .notice
                        .set(Some("That conversation was deleted in another tab.".into()));
                }
            }
            Note::All => {
                let this = *self;
                spawn_local(async move { this.reopen().await });
            }
            Note::KnownPeers => {
                let this = *self;
                spawn_local(async move { this.read_known_peers().await });
            }
        }
    }

    /// After other tabs' writes (notes come in bursts): the list, and the conversation on
    /// screen if another tab wrote it, read again a moment later, once.
    fn catch_up_soon(&self) {
        if self.storage.catching_up.get_value() {
            return;
        }
        self.storage.catching_up.set_value(true);
        let this = *self;
        spawn_local(async move {
            sleep_ms(100).await;
            this.storage.catching_up.set_value(false);
            if !this.storage_ready() {
                return;
            }
            this.refresh_history().await;
            let Some(store) = this.usable_store() else {
                return;
            };
            let Some((id, rev)) = this
                .chat
                .conversation
                .with_untracked(|c| c.as_ref().map(|c| (c.id.clone(), c.journal().rev)))
            else {
                return;
            };
            let stored = store
                .db
                .get(CONVERSATIONS, Key::Text(id.clone()))
                .await
                .ok()
                .flatten()
                .and_then(|raw| stored_rev(&raw));
            // A write of this tab finds out by itself (its expectation fails).
            if stored.is_some_and(|stored| stored > rev) && !this.storage.writing.get_value() {
                this.storage.writing.set_value(true);
                this.catch_up(&store, &id, None).await;
                this.storage.writing.set_value(false);
                this.store_now();
            }
        });
    }

    /// Something changed for every conversation (another tab deleted all data, imported, or set,
    /// changed or removed the lock): read the lock again and then the rest.
    async fn reopen(&self) {
        let Some(store) = self.storage.store.get_value() else {
            return;
        };
        let epoch = store
            .db
            .get(META, Key::Text(EPOCH_KEY.to_owned()))
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        if epoch != store.epoch {
            self.storage.store.set_value(None);
            self.read_lock(store.db.clone()).await;
            if self.storage.state.get_untracked() == StorageState::Locked {
                // Nothing of the conversations shows without the (new) passphrase.
                self.forget_on_screen();
                self.chat.history.set(History::default());
            }
            return;
        }
        self.refresh_history().await;
        let gone = self.chat.conversation.with_untracked(|c| {
            c.as_ref().is_some_and(|c| {
                c.journal().rev > 0
                    && self
                        .chat
                        .history
                        .with_untracked(|h| h.summaries().iter().all(|s| s.id != c.id))
            })
        });
        if gone
            && !matches!(
                self.connection.phase.get_untracked(),
                Phase::Connected | Phase::Connecting
            )
        {
            self.forget_on_screen();
        } else {
            self.catch_up_soon();
        }
    }

    /// Clears the conversation on screen without writing it (its data is gone, or locked).
    fn forget_on_screen(&self) {
        if matches!(
            self.connection.phase.get_untracked(),
            Phase::Connected | Phase::Connecting
        ) {
            return;
        }
        self.chat.conversation.set(None);
        self.storage.leaving.set_value(Vec::new());
        self.start_over();
    }

    // ---- Export, import, delete all -----------------------------------------------------------

    /// This tab's copy of a conversation: the one on screen, or the stored one.
    async fn copy_of(&self, id: &str) -> Result<Conversation, String> {
        let on_screen = self
            .chat
            .conversation
            .with_untracked(|c| c.as_ref().filter(|c| c.id == id).cloned());
        match on_screen {
            Some(c) => Ok(c),
            None => self
                .read_stored(id)
                .await?
                .ok_or_else(|| "That conversation is no longer stored.".to_owned()),
        }
    }

    /// "Export conversation" (`Some`) or "Export all conversations": a JSON file download.
    pub fn export(&self, id: Option<String>) {
        let this = *self;
        spawn_local(async move {
            let ids: Vec<String> = match &id {
                Some(id) => vec![id.clone()],
                None => this
                    .chat
                    .history
                    .with_untracked(|h| h.summaries().iter().map(|s| s.id.clone()).collect()),
            };
            let mut all = Vec::with_capacity(ids.len());
            for id in &ids {
                match this.copy_of(id).await {
                    Ok(c) => all.push(c),
                    Err(why) => {
                        this.storage.status.set(Some(Err(why)));
                        return;
                    }
                }
            }
            if all.is_empty() {
                this.storage
                    .status
                    .set(Some(Err("There is no conversation to export.".into())));
                return;
            }
            let what = match (&id, all.first()) {
                (Some(_), Some(c)) => c.title(),
                _ => "all".to_owned(),
            };
            let date: String = iso_time(now_ms()).chars().take(10).collect();
            let text = backup::export(&all, now_ms());
            let outcome = clipboard::download_text(&backup::file_name(&what, &date), &text)
                .map(|()| {
                    format!(
                        "Exported {} conversation(s). The file is not encrypted: keep it somewhere safe.",
                        all.len()
                    )
                });
            this.storage.status.set(Some(outcome));
        });
    }

    /// "Import conversations": a file from Export. Checked strictly; conversations already here
    /// are left as they are; the rest are stored in one transaction, or nothing is.
    pub fn import(&self, file: web_sys::File) {
        let this = *self;
        spawn_local(async move {
            let outcome = this.import_file(file).await;
            this.storage.status.set(Some(outcome));
        });
    }

    async fn import_file(&self, file: web_sys::File) -> Result<String, String> {
        if file.size() > MAX_IMPORT_BYTES as f64 {
            return Err(backup::ImportError::TooLarge.to_string());
        }
        let text = clipboard::file_text(&file).await?;
        let conversations = backup::import(&text).map_err(|e| e.to_string())?;
        let store = self
            .usable_store()
            .ok_or_else(|| "Nothing can be stored here.".to_owned())?;
        let known: Vec<String> = self
            .chat
            .history
            .with_untracked(|h| h.summaries().iter().map(|s| s.id.clone()).collect());
        let total = conversations.len();
        let fresh: Vec<(Conversation, u64)> = conversations
            .into_iter()
            .filter(|c| !known.contains(&c.id))
            .map(|c| (c, 0))
            .collect();
        if fresh.is_empty() {
            return Ok("Nothing imported: every conversation in that file is already here.".into());
        }
        let count = fresh.len();
        let ops = whole_ops(&store, store.key.as_ref(), &fresh, false).await?;
        store
            .db
            .write(ops)
            .await
            .map_err(|e| format!("Nothing was imported. {}", failure_text(&e)))?;
        self.refresh_history().await;
        self.post_note(&Note::All);
        if self.connection.phase.get_untracked() == Phase::Start
            && self.chat.conversation.with_untracked(Option::is_none)
        {
            if let Some(id) = self
                .chat
                .history
                .with_untracked(|h| h.most_recent().map(|s| s.id.clone()))
            {
                self.open_conversation(&id);
            }
        }
        let skipped = total - count;
        Ok(match skipped {
            0 => format!("Imported {count} conversation(s)."),
            _ => format!(
                "Imported {count} conversation(s); {skipped} already here were left as they are."
            ),
        })
    }

    /// "Delete all data": every conversation, the lock, the settings and this browser's id.
    pub fn delete_all(&self) {
        let Some(store) = self.storage.store.get_value() else {
            return;
        };
        // Nothing on screen may be written back afterwards.
        self.storage.leaving.set_value(Vec::new());
        self.chat.conversation.set(None);
        self.start_over();
        let this = *self;
        spawn_local(async move {
            let epoch = new_epoch();
            let ops = vec![
                Op::Clear(META),
                Op::Clear(CONVERSATIONS),
                Op::Clear(MESSAGES),
                Op::Put(META, Key::Text(stale_marker(&store.epoch)), String::new()),
                Op::Put(META, Key::Text(EPOCH_KEY.to_owned()), epoch.clone()),
            ];
            match store.db.write(ops).await {
                Ok(()) => {
                    for key in site_storage::storage_keys() {
                        if key.starts_with("tincan.") {
                            site_storage::storage_remove(&key);
                        }
                    }
                    this.settings.set(Settings::default());
                    this.storage.store.set_value(Some(Rc::new(Store {
                        db: store.db.clone(),
                        key: None,
                        lock: None,
                        blocked: false,
                        epoch,
                    })));
                    this.chat.history.set(History::default());
                    this.identity.known.set(KnownPeers::new());
                    this.storage.problem.set(None);
                    this.storage.unlock_error.set(None);
                    this.post_note(&Note::All);
                    this.forget_identity();
                    let was_locked = this.storage.state.get_untracked() != StorageState::Open;
                    this.storage.state.set(StorageState::Open);
                    if was_locked {
                        this.continue_start();
                    }
                    this.storage.status.set(Some(Ok(
                        "All data of Tin Can in this browser is deleted.".into(),
                    )));
                }
                Err(error) => this.storage.status.set(Some(Err(failure_text(&error)))),
            }
        });
    }

    // ---- Known peers --------------------------------------------------------------------------

    /// Reads the known-peers table (at load, after an unlock, when another tab wrote it). A
    /// table that cannot be read is said so; the app then goes on with what it had.
    pub(super) async fn read_known_peers(&self) {
        let Some(store) = self.usable_store() else {
            return;
        };
        let raw = match store
            .db
            .get(META, Key::Text(KNOWN_PEERS_KEY.to_owned()))
            .await
        {
            Ok(Some(raw)) => raw,
            // Nothing stored yet: every peer is new.
            Ok(None) => return,
            Err(error) => {
                self.show_alert(format!(
                    "The list of peers you met could not be read: {}",
                    failure_text(&error)
                ));
                return;
            }
        };
        let json = match &store.key {
            None => Some(raw),
            Some(key) => match open_sealed_table(&raw) {
                Ok(sealed) => vault::open_all(key, &[(KNOWN_PEERS_AAD.to_owned(), sealed)])
                    .await
                    .ok()
                    .and_then(|mut opened| opened.pop().flatten()),
                Err(_) => None,
            },
        };
        match json.as_deref().map(KnownPeers::from_json) {
            Some(Ok(known)) => self.identity.known.set(known),
            _ => self.show_alert(KNOWN_PEERS_DAMAGED),
        }
    }

    /// Writes the known-peers table as this tab has it now. Writes go one at a time; a change
    /// made meanwhile is written by the next one.
    pub(super) fn store_known_peers(&self) {
        if self.storage.known_writing.get_value() {
            self.storage.known_again.set_value(true);
            return;
        }
        self.storage.known_writing.set_value(true);
        let this = *self;
        spawn_local(async move {
            loop {
                this.storage.known_again.set_value(false);
                let Some(store) = this.usable_store() else {
                    break;
                };
                let json = this.identity.known.with_untracked(KnownPeers::to_json);
                let written = match known_peers_value(store.key.as_ref(), json).await {
                    Ok(value) => {
                        let mut ops = store.same_epoch();
                        ops.push(Op::Put(META, Key::Text(KNOWN_PEERS_KEY.to_owned()), value));
                        store.db.write(ops).await
                    }
                    Err(why) => Err(IdbError::Failed(why)),
                };
                match written {
                    Ok(()) => this.post_note(&Note::KnownPeers),
                    // The lock changed or all data was deleted in another tab: this tab reads
                    // everything again, and its table is written by the next change.
                    Err(IdbError::Taken) => {}
                    Err(error) => this.storage.problem.set(Some(failure_text(&error))),
                }
                if !this.storage.known_again.get_value() {
                    break;
                }
            }
            this.storage.known_writing.set_value(false);
        });
    }

    // ---- The lock -----------------------------------------------------------------------------

    /// Sets, changes (`new` given) or removes (`None`) the passphrase lock: every stored record
    /// is sealed again (or opened) in one transaction. A lock already set needs its passphrase.
    pub fn change_lock(&self, current: String, new: Option<(String, String)>) {
        let this = *self;
        spawn_local(async move {
            this.storage.lock_busy.set(true);
            let outcome = this.rekey(current, new).await;
            this.storage.lock_busy.set(false);
            this.storage.status.set(Some(outcome));
        });
    }

    async fn rekey(
        &self,
        current: String,
        new: Option<(String, String)>,
    ) -> Result<String, String> {
        if let Some((passphrase, repeated)) = &new {
            check_new_passphrase(passphrase, repeated).map_err(|e| e.to_string())?;
        }
        let store = self
            .usable_store()
            .ok_or_else(|| "Nothing is stored here.".to_owned())?;
        if let Some((_, record)) = &store.lock {
            if current.is_empty() {
                return Err(PassphraseError::NoCurrent.to_string());
            }
            let salt = record.salt_bytes().unwrap_or_default();
            let fits = match vault::derive_key(&current, &salt, record.iterations).await {
                Ok(key) => key_fits(&key, record).await,
                Err(_) => false,
            };
            if !fits {
                return Err("Your current passphrase is wrong.".into());
            }
        } else if new.is_none() {
            return Err("There is no passphrase to remove.".into());
        }
        let lock = match &new {
            Some((passphrase, _)) => {
                let salt: [u8; SALT_BYTES] =
                    random_bytes().ok_or("This browser cannot make random numbers.")?;
                let key = vault::derive_key(passphrase, &salt, ITERATIONS).await?;
                let check = vault::seal_all(&key, &[(CHECK_AAD.to_owned(), CHECK_TEXT.to_owned())])
                    .await?
                    .pop()
                    .ok_or("Encryption failed.")?;
                Some((LockRecord::new(&salt, &check), key))
            }
            None => None,
        };
        // No other write of this tab runs meanwhile.
        while self.storage.writing.get_value() {
            sleep_ms(20).await;
        }
        self.storage.writing.set_value(true);
        let epoch = new_epoch();
        let outcome = self.reseal(&store, lock.as_ref(), &epoch).await;
        self.storage.writing.set_value(false);
        outcome?;
        let lock = lock.map(|(record, key)| {
            let raw = record.to_json();
            (key, (raw, record))
        });
        let (key, lock) = match lock {
            Some((key, lock)) => (Some(key), Some(lock)),
            None => (None, None),
        };
        self.storage.store.set_value(Some(Rc::new(Store {
            db: store.db.clone(),
            key,
            lock,
            blocked: false,
            epoch,
        })));
        self.post_note(&Note::All);
        self.store_now();
        Ok(match (&new, store.lock.is_some()) {
            (Some(_), false) => "Locked: your stored conversations are now encrypted with your passphrase. Tin Can asks for it each time it opens.",
            (Some(_), true) => "Passphrase changed: everything stored is encrypted with the new one.",
            (None, _) => "Passphrase removed: conversations are stored unencrypted again.",
        }
        .to_owned())
    }

    /// Reads every stored conversation with the current key and writes it back sealed with the
    /// new one (or plain), with the new lock record, in one transaction.
    async fn reseal(
        &self,
        store: &Store,
        lock: Option<&(LockRecord, CryptoKey)>,
        epoch: &str,
    ) -> Result<(), String> {
        let (records, _) = store.records().await.map_err(|e| failure_text(&e))?;
        let mut all = Vec::with_capacity(records.len());
        for record in &records {
            if let Some((conversation, _)) = store
                .conversation(&record.id)
                .await
                .map_err(|e| failure_text(&e))?
            {
                let rev = conversation.journal().rev;
                all.push((conversation, rev));
            }
        }
        let key = lock.map(|(_, key)| key);
        // Revisions stay as they were: other tabs' copies remain current; their next write
        // finds the epoch over, and the tab asks for the passphrase.
        let mut ops = whole_ops(store, key, &all, true).await?;
        ops.push(Op::Put(
            META,
            Key::Text(stale_marker(&store.epoch)),
            String::new(),
        ));
        ops.push(Op::Put(
            META,
            Key::Text(EPOCH_KEY.to_owned()),
            epoch.to_owned(),
        ));
        ops.push(match lock {
            Some((record, _)) => Op::Put(META, Key::Text(LOCK_KEY.to_owned()), record.to_json()),
            None => Op::Delete(META, Key::Text(LOCK_KEY.to_owned())),
        });
        // The known peers, as this tab has them, under the new key (or plain).
        let known = self.identity.known.with_untracked(KnownPeers::to_json);
        ops.push(Op::Put(
            META,
            Key::Text(KNOWN_PEERS_KEY.to_owned()),
            known_peers_value(key, known).await?,
        ));
        store
            .db
            .write(ops)
            .await
            .map_err(|e| format!("Nothing was changed. {}", failure_text(&e)))
    }

    /// Whether a lock is set (and given).
    pub fn is_locked_store(&self) -> bool {
        self.storage
            .store
            .with_value(|s| s.as_ref().is_some_and(|s| s.lock.is_some()))
    }

    /// How much this site stores, for Settings.
    pub async fn storage_use(&self) -> Option<(u64, u64)> {
        site_storage::storage_estimate().await
    }
}
