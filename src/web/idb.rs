//! IndexedDB, thin: open the database (creating the stores `core::store::upgrade_steps` names),
//! read values, and write batches in one transaction. Every value is a string made and checked
//! in `core::store`.
//!
//! Requests become futures through a Promise whose own `resolve` and `reject` are the request's
//! handlers: no Rust closure to keep or free. The one handler that must run inside IndexedDB's
//! events (the upgrade) is a closure held by the future that waits for the open request, and
//! dropped with it.

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    DomException, IdbDatabase, IdbKeyRange, IdbObjectStore, IdbOpenDbRequest, IdbRequest,
    IdbTransaction, IdbTransactionMode,
};

use crate::core::store::{upgrade_steps, DB_NAME, DB_VERSION, MESSAGES, STORES};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdbError {
    /// No IndexedDB here (blocked, or a browser mode without it).
    Unavailable,
    /// The database was made by a newer version of the app.
    Newer,
    /// The browser refused to store more: quota, or storage disabled.
    Full,
    /// A key the write adds was there already (another tab wrote first): nothing was written.
    Taken,
    /// Anything else, with the browser's words.
    Failed(String),
}

fn failed(value: &JsValue) -> IdbError {
    let name = value
        .dyn_ref::<DomException>()
        .map(|e| (e.name(), e.message()));
    match name {
        Some((name, _)) if name == "QuotaExceededError" => IdbError::Full,
        Some((name, _)) if name == "VersionError" => IdbError::Newer,
        Some((name, _)) if name == "ConstraintError" => IdbError::Taken,
        Some((_, message)) => IdbError::Failed(message),
        None => IdbError::Failed(crate::web::browser::js_error_text(value)),
    }
}

/// The request's result once it succeeded; otherwise the browser's error (a `DOMException`,
/// or a message). Shared with `web::identity`, which reads errors its own way.
pub async fn settled(request: &IdbRequest) -> Result<JsValue, JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    let outcome = JsFuture::from(promise).await;
    request.set_onsuccess(None);
    request.set_onerror(None);
    match outcome {
        Ok(_) => request.result(),
        Err(_) => Err(match request.error() {
            Ok(Some(error)) => error.into(),
            _ => JsValue::from_str("the request failed"),
        }),
    }
}

/// Resolves when the transaction committed; the browser's error when it aborted.
pub async fn committed(transaction: &IdbTransaction) -> Result<(), JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        transaction.set_oncomplete(Some(&resolve));
        transaction.set_onabort(Some(&reject));
    });
    let outcome = JsFuture::from(promise).await;
    transaction.set_oncomplete(None);
    transaction.set_onabort(None);
    outcome.map(|_| ()).map_err(|_| match transaction.error() {
        Some(error) => error.into(),
        None => JsValue::from_str("the transaction was aborted"),
    })
}

async fn request_done(request: &IdbRequest) -> Result<JsValue, IdbError> {
    settled(request).await.map_err(|e| failed(&e))
}

async fn transaction_done(transaction: &IdbTransaction) -> Result<(), IdbError> {
    committed(transaction).await.map_err(|e| failed(&e))
}

/// A key in one of the stores.
#[derive(Clone, Debug, PartialEq)]
pub enum Key {
    /// `meta` and `conversations`.
    Text(String),
    /// `messages`: conversation id and message id.
    Message(String, u64),
}

impl Key {
    fn to_js(&self) -> JsValue {
        match self {
            Key::Text(text) => JsValue::from_str(text),
            Key::Message(conversation, id) => message_key(conversation, *id as f64).into(),
        }
    }
}

fn message_key(conversation: &str, id: f64) -> Array {
    Array::of2(&JsValue::from_str(conversation), &JsValue::from_f64(id))
}

/// Every message key of a conversation.
fn conversation_range(conversation: &str) -> Result<JsValue, IdbError> {
    IdbKeyRange::bound(
        &message_key(conversation, f64::NEG_INFINITY),
        &message_key(conversation, f64::INFINITY),
    )
    .map(JsValue::from)
    .map_err(|e| failed(&e))
}

/// One change in a write.
pub enum Op {
    Put(&'static str, Key, String),
    /// Adds an empty value where there is none; if there is one, the whole write fails with
    /// [`IdbError::Taken`]. This is how a write says what it expects (see `app::storage`).
    Add(&'static str, Key),
    Delete(&'static str, Key),
    /// Every message of a conversation.
    DeleteMessages(String),
    /// Keys `[prefix, n]` with `n` below the bound.
    DeleteBelow(&'static str, String, u64),
    Clear(&'static str),
}

/// An open database; closed when dropped.
pub struct Db {
    db: IdbDatabase,
    _on_version_change: Closure<dyn FnMut()>,
}

impl Drop for Db {
    fn drop(&mut self) {
        self.db.set_onversionchange(None);
        self.db.close();
    }
}

/// Opens the database, creating or upgrading its stores. `on_newer_version` runs when a newer
/// app in another tab needs the database: this one is closed then, so that one can proceed.
pub async fn open(on_newer_version: impl Fn() + 'static) -> Result<Db, IdbError> {
    let factory = web_sys::window()
        .and_then(|w| w.indexed_db().ok().flatten())
        .ok_or(IdbError::Unavailable)?;
    let request: IdbOpenDbRequest = factory
        .open_with_u32(DB_NAME, DB_VERSION)
        .map_err(|_| IdbError::Unavailable)?;
    let upgrading = request.clone();
    let on_upgrade = Closure::<dyn FnMut(web_sys::IdbVersionChangeEvent)>::new(
        move |event: web_sys::IdbVersionChangeEvent| {
            let Some(db) = upgrading
                .result()
                .ok()
                .and_then(|r| r.dyn_into::<IdbDatabase>().ok())
            else {
                return;
            };
            let old = event.old_version() as u32;
            for store in upgrade_steps(old) {
                // A failure aborts the upgrade, and the open request fails with it.
                let _ = db.create_object_store(store);
            }
        },
    );
    request.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
    let opened = request_done(&request).await;
    request.set_onupgradeneeded(None);
    drop(on_upgrade);
    let db: IdbDatabase = opened?
        .dyn_into()
        .map_err(|_| IdbError::Failed("not a database".into()))?;
    let closing = db.clone();
    let on_version_change = Closure::<dyn FnMut()>::new(move || {
        closing.close();
        on_newer_version();
    });
    db.set_onversionchange(Some(on_version_change.as_ref().unchecked_ref()));
    Ok(Db {
        db,
        _on_version_change: on_version_change,
    })
}

fn strings(value: JsValue) -> Vec<Option<String>> {
    value
        .dyn_into::<Array>()
        .map(|array| array.iter().map(|v| v.as_string()).collect())
        .unwrap_or_default()
}

impl Db {
    fn transaction(&self, mode: IdbTransactionMode) -> Result<IdbTransaction, IdbError> {
        let names = Array::new();
        for store in STORES {
            names.push(&JsValue::from_str(store));
        }
        self.db
            .transaction_with_str_sequence_and_mode(&names, mode)
            .map_err(|e| failed(&e))
    }

    fn store(transaction: &IdbTransaction, name: &str) -> Result<IdbObjectStore, IdbError> {
        transaction.object_store(name).map_err(|e| failed(&e))
    }

    /// One value (`None` when there is none, or it is not a string).
    pub async fn get(&self, store: &'static str, key: Key) -> Result<Option<String>, IdbError> {
        let transaction = self.transaction(IdbTransactionMode::Readonly)?;
        let request = Self::store(&transaction, store)?
            .get(&key.to_js())
            .map_err(|e| failed(&e))?;
        Ok(request_done(&request).await?.as_string())
    }

    /// Every value of a store, in key order.
    pub async fn all(&self, store: &'static str) -> Result<Vec<Option<String>>, IdbError> {
        let transaction = self.transaction(IdbTransactionMode::Readonly)?;
        let request = Self::store(&transaction, store)?
            .get_all()
            .map_err(|e| failed(&e))?;
        Ok(strings(request_done(&request).await?))
    }

    /// A conversation's record and its messages in key order, read together (one snapshot).
    pub async fn conversation(
        &self,
        store: &'static str,
        id: &str,
    ) -> Result<(Option<String>, Vec<Option<String>>), IdbError> {
        let transaction = self.transaction(IdbTransactionMode::Readonly)?;
        let record = Self::store(&transaction, store)?
            .get(&JsValue::from_str(id))
            .map_err(|e| failed(&e))?;
        let messages = Self::store(&transaction, MESSAGES)?
            .get_all_with_key(&conversation_range(id)?)
            .map_err(|e| failed(&e))?;
        let record = request_done(&record).await?.as_string();
        let messages = strings(request_done(&messages).await?);
        Ok((record, messages))
    }

    /// Applies `ops` in one transaction: all of them, or none (a key an `Add` finds taken, a
    /// refused write, anything, aborts the whole). The transaction is committed at once rather
    /// than when the page next idles: a write started just before the page goes away (a
    /// reload) is then kept (measured: 10 of 10 such writes kept, 7 of 10 without).
    pub async fn write(&self, ops: Vec<Op>) -> Result<(), IdbError> {
        let transaction = self.transaction(IdbTransactionMode::Readwrite)?;
        for op in ops {
            let issued = match &op {
                Op::Put(store, key, value) => Self::store(&transaction, store)?
                    .put_with_key(&JsValue::from_str(value), &key.to_js()),
                Op::Add(store, key) => Self::store(&transaction, store)?
                    .add_with_key(&JsValue::from_str(""), &key.to_js()),
                Op::Delete(store, key) => Self::store(&transaction, store)?.delete(&key.to_js()),
                Op::DeleteMessages(conversation) => {
                    Self::store(&transaction, MESSAGES)?.delete(&conversation_range(conversation)?)
                }
                Op::DeleteBelow(store, prefix, bound) => {
                    let range = IdbKeyRange::bound_with_lower_open_and_upper_open(
                        &message_key(prefix, f64::NEG_INFINITY),
                        &message_key(prefix, *bound as f64),
                        false,
                        true,
                    )
                    .map_err(|e| failed(&e))?;
                    Self::store(&transaction, store)?.delete(&range)
                }
                Op::Clear(store) => Self::store(&transaction, store)?.clear(),
            };
            if let Err(error) = issued {
                let _ = transaction.abort();
                return Err(failed(&error));
            }
        }
        // Older browsers without commit() commit when the page idles. (web-sys marks it
        // deprecated; it is the standard IDBTransaction.commit(), in every current browser.)
        #[allow(deprecated)]
        let _ = transaction.commit();
        transaction_done(&transaction).await
    }
}
