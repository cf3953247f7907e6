//! This browser's identity: one RTCCertificate (ECDSA P-256), made once and kept for months, so
//! the safety code of two browsers is the same on every reconnect (`core::identity` keeps the
//! peers' side). It lives in a small IndexedDB database of its own, `tincan-identity`, one object
//! store, keys `current` and `next` (the one made for the renewal): the conversations' database
//! and its schema stay as they are. Browsers store an RTCCertificate as it is, private key
//! included, and the page never sees the key.
//!
//! Each operation opens the database and closes it when done, so "Delete all data" in another
//! tab is never blocked by this one. Requests become futures through a Promise whose own
//! `resolve` and `reject` are the handlers (no Rust closure); the one handler that must run
//! inside IndexedDB's events (creating the store) is held, and unhooked, by a guard.
//!
//! Where the browser cannot keep a certificate (no IndexedDB in this mode, or it will not store
//! one), [`generate`] still gives one for this session: the app works, with a code that changes
//! on the next visit.

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    DomException, IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransaction, IdbTransactionMode,
    IdbVersionChangeEvent, RtcCertificate, RtcConfiguration, RtcPeerConnection,
};

use crate::core::identity::{renewal, Renewal, CERTIFICATE_LIFETIME_MS};
use crate::core::safety::Fingerprint;
use crate::web::browser::js_error_text;
use crate::web::idb;

/// The identity's database, apart from the conversations' `tincan`.
pub const DB_NAME: &str = "tincan-identity";
const DB_VERSION: u32 = 1;
const STORE: &str = "certificates";
/// The fingerprint algorithm browsers announce in SDP, and so the one safety codes are made of.
const SDP_ALGORITHM: &str = "sha-256";

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("this browser cannot make a connection certificate: {0}")]
    Generate(String),
    #[error("could not read the certificate's fingerprint")]
    Fingerprint,
    #[error("this browser offers no IndexedDB here")]
    StorageUnavailable,
    #[error("this browser cannot store a connection certificate")]
    NotStorable,
    #[error("the browser refused to store more")]
    Full,
    #[error("the identity was stored by a newer version of Tin Can")]
    Newer,
    #[error("the stored certificate is damaged")]
    Damaged,
    #[error("the identity could not be stored or read: {0}")]
    Storage(String),
}

/// Which of the two stored certificates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// The one every connection uses.
    Current,
    /// Made for the renewal, announced to peers before it takes the current one's place.
    Next,
}

impl Slot {
    fn key(self) -> JsValue {
        JsValue::from_str(match self {
            Slot::Current => "current",
            Slot::Next => "next",
        })
    }
}

/// The certificates [`load_or_create`] settled on.
#[derive(Clone, Debug)]
pub struct Identity {
    /// For `RTCConfiguration.certificates`, on every connection.
    pub current: RtcCertificate,
    /// When a renewal is under way: its fingerprint is announced on every connection.
    pub next: Option<RtcCertificate>,
}

fn failed(value: &JsValue) -> IdentityError {
    let Some(exception) = value.dyn_ref::<DomException>() else {
        return IdentityError::Storage(js_error_text(value));
    };
    match exception.name().as_str() {
        "DataCloneError" => IdentityError::NotStorable,
        "QuotaExceededError" => IdentityError::Full,
        "VersionError" => IdentityError::Newer,
        _ => IdentityError::Storage(exception.message()),
    }
}

/// Whether the error says the key was taken (an `add` found a value there).
fn taken(value: &JsValue) -> bool {
    value
        .dyn_ref::<DomException>()
        .is_some_and(|exception| exception.name() == "ConstraintError")
}

/// Makes a new certificate: ECDSA P-256 (what browsers make by default, and small), asking for
/// [`CERTIFICATE_LIFETIME_MS`]; the browser may give less, so read [`expires_ms`].
pub async fn generate() -> Result<RtcCertificate, IdentityError> {
    let algorithm = Object::new();
    for (name, value) in [
        ("name", JsValue::from_str("ECDSA")),
        ("namedCurve", JsValue::from_str("P-256")),
        ("expires", JsValue::from_f64(CERTIFICATE_LIFETIME_MS)),
    ] {
        Reflect::set(&algorithm, &JsValue::from_str(name), &value)
            .map_err(|e| IdentityError::Generate(js_error_text(&e)))?;
    }
    let promise = RtcPeerConnection::generate_certificate_with_object(&algorithm)
        .map_err(|e| IdentityError::Generate(js_error_text(&e)))?;
    JsFuture::from(promise)
        .await
        .map_err(|e| IdentityError::Generate(js_error_text(&e)))?
        .dyn_into::<RtcCertificate>()
        .map_err(|_| IdentityError::Generate("not a certificate".into()))
}

/// When the certificate stops being usable, in ms since epoch (`RTCCertificate.expires`).
pub fn expires_ms(certificate: &RtcCertificate) -> f64 {
    certificate.expires()
}

/// The value for `RtcConfiguration::set_certificates`: this certificate alone.
pub fn certificates(certificate: &RtcCertificate) -> Array {
    Array::of1(certificate)
}

/// The certificate's fingerprint as it will appear in SDP, and so in the peer's safety code:
/// from `getFingerprints()` where the browser has it (Chromium, Safari), else from the SDP of an
/// offer made with it (Firefox), on a connection that gathers nothing and is closed at once.
pub async fn fingerprint(certificate: &RtcCertificate) -> Result<Fingerprint, IdentityError> {
    match listed_fingerprint(certificate) {
        Some(fingerprint) => Ok(fingerprint),
        None => offered_fingerprint(certificate).await,
    }
}

fn listed_fingerprint(certificate: &RtcCertificate) -> Option<Fingerprint> {
    let method: Function = Reflect::get(certificate, &JsValue::from_str("getFingerprints"))
        .ok()?
        .dyn_into()
        .ok()?;
    let list: Array = method.call0(certificate).ok()?.dyn_into().ok()?;
    list.iter().find_map(|entry| {
        let field = |name: &str| {
            Reflect::get(&entry, &JsValue::from_str(name))
                .ok()?
                .as_string()
        };
        let algorithm = field("algorithm")?;
        let fingerprint = Fingerprint::new(&algorithm, &field("value")?)?;
        (fingerprint.algorithm == SDP_ALGORITHM).then_some(fingerprint)
    })
}

/// Closes the connection however the future ends.
struct ClosedOnDrop(RtcPeerConnection);

impl Drop for ClosedOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

async fn offered_fingerprint(certificate: &RtcCertificate) -> Result<Fingerprint, IdentityError> {
    let configuration = RtcConfiguration::new();
    configuration.set_certificates(&certificates(certificate));
    let connection = ClosedOnDrop(
        RtcPeerConnection::new_with_configuration(&configuration)
            .map_err(|_| IdentityError::Fingerprint)?,
    );
    // An offer needs something to negotiate; the channel goes with the connection.
    let _channel = connection.0.create_data_channel("identity");
    let offer = JsFuture::from(connection.0.create_offer())
        .await
        .map_err(|_| IdentityError::Fingerprint)?;
    let sdp = Reflect::get(&offer, &JsValue::from_str("sdp"))
        .ok()
        .and_then(|sdp| sdp.as_string())
        .ok_or(IdentityError::Fingerprint)?;
    Fingerprint::from_sdp(&sdp).ok_or(IdentityError::Fingerprint)
}

/// The request's result once it succeeded, or its error (see `web::idb::settled`).
async fn request_done(request: &IdbRequest) -> Result<JsValue, IdentityError> {
    idb::settled(request).await.map_err(|e| failed(&e))
}

/// Commits now rather than when the page idles (as `web::idb` does); resolves when committed.
async fn transaction_done(transaction: &IdbTransaction) -> Result<(), IdentityError> {
    // web-sys marks commit() deprecated; it is the standard IDBTransaction.commit(), in every
    // current browser. The completion handlers are set below, before any event can run.
    #[allow(deprecated)]
    let _ = transaction.commit();
    idb::committed(transaction).await.map_err(|e| failed(&e))
}

/// The open database, closed when dropped: nothing here holds it open between operations.
struct Database(IdbDatabase);

impl Drop for Database {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Creates the store when the database is new. Unhooked when dropped, also when the future
/// waiting for the open is dropped midway, so IndexedDB never calls a freed closure.
struct UpgradeHandler {
    request: IdbOpenDbRequest,
    _handler: Closure<dyn FnMut(IdbVersionChangeEvent)>,
}

impl Drop for UpgradeHandler {
    fn drop(&mut self) {
        self.request.set_onupgradeneeded(None);
    }
}

async fn open() -> Result<Database, IdentityError> {
    let factory = web_sys::window()
        .and_then(|window| window.indexed_db().ok().flatten())
        .ok_or(IdentityError::StorageUnavailable)?;
    let request = factory
        .open_with_u32(DB_NAME, DB_VERSION)
        .map_err(|_| IdentityError::StorageUnavailable)?;
    let upgrading = request.clone();
    let handler =
        Closure::<dyn FnMut(IdbVersionChangeEvent)>::new(move |event: IdbVersionChangeEvent| {
            let Some(db) = upgrading
                .result()
                .ok()
                .and_then(|result| result.dyn_into::<IdbDatabase>().ok())
            else {
                return;
            };
            // Version 1 is the only one so far. A failure aborts the upgrade, and the open
            // request fails with it.
            if event.old_version() < 1.0 {
                let _ = db.create_object_store(STORE);
            }
        });
    request.set_onupgradeneeded(Some(handler.as_ref().unchecked_ref()));
    let upgrade = UpgradeHandler {
        request: request.clone(),
        _handler: handler,
    };
    let opened = request_done(&request).await;
    drop(upgrade);
    opened?
        .dyn_into::<IdbDatabase>()
        .map(Database)
        .map_err(|_| IdentityError::Storage("not a database".into()))
}

impl Database {
    fn transaction(&self, mode: IdbTransactionMode) -> Result<IdbTransaction, IdentityError> {
        self.0
            .transaction_with_str_and_mode(STORE, mode)
            .map_err(|e| failed(&e))
    }
}

/// The stored certificate in `slot`, if there is one.
pub async fn load(slot: Slot) -> Result<Option<RtcCertificate>, IdentityError> {
    let db = open().await?;
    let transaction = db.transaction(IdbTransactionMode::Readonly)?;
    let request = transaction
        .object_store(STORE)
        .and_then(|store| store.get(&slot.key()))
        .map_err(|e| failed(&e))?;
    let value = request_done(&request).await.map_err(|error| match error {
        // A value stored that this browser cannot read back.
        IdentityError::NotStorable => IdentityError::Damaged,
        other => other,
    })?;
    if value.is_undefined() {
        return Ok(None);
    }
    value
        .dyn_into::<RtcCertificate>()
        .map(Some)
        .map_err(|_| IdentityError::Damaged)
}

/// Keeps `certificate` in `slot`, replacing what was there.
pub async fn store(slot: Slot, certificate: &RtcCertificate) -> Result<(), IdentityError> {
    let db = open().await?;
    let transaction = db.transaction(IdbTransactionMode::Readwrite)?;
    // put() copies the value at once: a browser that cannot store a certificate says so here.
    let issued = transaction
        .object_store(STORE)
        .and_then(|store| store.put_with_key(certificate, &slot.key()));
    if let Err(error) = issued {
        let _ = transaction.abort();
        return Err(failed(&error));
    }
    transaction_done(&transaction).await
}

/// Keeps `certificate` in `slot` only if the slot is empty: `false` when another tab stored one
/// there first (then that one is the identity, not this).
async fn store_first(slot: Slot, certificate: &RtcCertificate) -> Result<bool, IdentityError> {
    let db = open().await?;
    let transaction = db.transaction(IdbTransactionMode::Readwrite)?;
    let request = transaction
        .object_store(STORE)
        .and_then(|store| store.add_with_key(certificate, &slot.key()));
    let request = match request {
        Ok(request) => request,
        Err(error) => {
            let _ = transaction.abort();
            return Err(failed(&error));
        }
    };
    let done = transaction_done(&transaction).await;
    match (done, request.error()) {
        (Ok(()), _) => Ok(true),
        (Err(_), Ok(Some(error))) if taken(&error) => Ok(false),
        (Err(error), _) => Err(error),
    }
}

/// Deletes the certificate in `slot` (a renewal given up).
pub async fn delete(slot: Slot) -> Result<(), IdentityError> {
    let db = open().await?;
    let transaction = db.transaction(IdbTransactionMode::Readwrite)?;
    transaction
        .object_store(STORE)
        .and_then(|store| store.delete(&slot.key()))
        .map_err(|e| failed(&e))?;
    transaction_done(&transaction).await
}

/// The renewal's switch: `next` becomes the current certificate and the next slot is emptied,
/// in one transaction (never both gone, never the old one back).
pub async fn switch_to(next: &RtcCertificate) -> Result<(), IdentityError> {
    let db = open().await?;
    let transaction = db.transaction(IdbTransactionMode::Readwrite)?;
    let issued = transaction.object_store(STORE).and_then(|store| {
        store.put_with_key(next, &Slot::Current.key())?;
        store.delete(&Slot::Next.key())
    });
    if let Err(error) = issued {
        let _ = transaction.abort();
        return Err(failed(&error));
    }
    transaction_done(&transaction).await
}

/// Reset identity: both certificates are deleted; the next [`load_or_create`] makes a new one,
/// and every peer sees a changed identity.
pub async fn reset() -> Result<(), IdentityError> {
    let db = open().await?;
    let transaction = db.transaction(IdbTransactionMode::Readwrite)?;
    transaction
        .object_store(STORE)
        .and_then(|store| store.clear())
        .map_err(|e| failed(&e))?;
    transaction_done(&transaction).await
}

/// Delete all data: the whole identity database goes.
pub async fn delete_database() -> Result<(), IdentityError> {
    let factory = web_sys::window()
        .and_then(|window| window.indexed_db().ok().flatten())
        .ok_or(IdentityError::StorageUnavailable)?;
    let request = factory.delete_database(DB_NAME).map_err(|e| failed(&e))?;
    request_done(&request).await.map(|_| ())
}

/// The certificate in `slot` as stored, making and storing one if there is none. Two tabs
/// starting at once agree on one: the second finds the first's and takes it.
async fn load_or_make(slot: Slot) -> Result<RtcCertificate, IdentityError> {
    let fresh = generate().await?;
    if store_first(slot, &fresh).await? {
        Ok(fresh)
    } else {
        load(slot).await?.ok_or(IdentityError::Damaged)
    }
}

/// The certificates to use now, following `core::identity::renewal`: the stored one (a new one
/// made and stored when there is none); the next one made when the renewal window opens; the
/// switch to it when the current one is about to expire (a new one when there is no usable next:
/// then peers see a changed identity). An error means nothing could be kept: [`generate`] then
/// gives a certificate for this session only.
pub async fn load_or_create(now_ms: f64) -> Result<Identity, IdentityError> {
    let usable = |certificate: &RtcCertificate| {
        !matches!(renewal(expires_ms(certificate), now_ms), Renewal::Switch)
    };
    let mut next = load(Slot::Next).await?;
    if next.as_ref().is_some_and(|next| !usable(next)) {
        delete(Slot::Next).await?;
        next = None;
    }
    let current = match (load(Slot::Current).await?, next.take()) {
        (Some(current), next_kept) if usable(&current) => {
            next = next_kept;
            current
        }
        (_, Some(next)) => {
            switch_to(&next).await?;
            next
        }
        (Some(_expiring), None) => {
            let fresh = generate().await?;
            store(Slot::Current, &fresh).await?;
            fresh
        }
        (None, None) => load_or_make(Slot::Current).await?,
    };
    let renewing = matches!(
        renewal(expires_ms(&current), now_ms),
        Renewal::MakeNext { .. }
    );
    if renewing && next.is_none() {
        next = Some(load_or_make(Slot::Next).await?);
    }
    Ok(Identity { current, next })
}
