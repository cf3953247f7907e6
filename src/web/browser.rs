//! Small wrappers over browser APIs the app needs. Failures become `None`/`Err` values with a
//! message a person can act on; nothing here panics.

use std::cell::RefCell;

use js_sys::{Date, Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Storage, Window};

use crate::core::chat::format_clock;
use crate::core::signal::InviteId;

/// The message of a JS exception, for typed errors a person can read.
pub fn js_error_text(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|error| String::from(error.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}

pub fn window() -> Option<Window> {
    web_sys::window()
}

pub fn now_ms() -> f64 {
    Date::now()
}

/// A future's `resolve`, parked until an event handler calls [`wake`].
pub type Waiter = RefCell<Option<Function>>;

/// Resolves whoever waits on `waiter` (nobody: nothing happens).
pub fn wake(waiter: &Waiter) {
    if let Some(resolve) = waiter.borrow_mut().take() {
        let _ = resolve.call0(&JsValue::NULL);
    }
}

/// Resolves on the next [`wake`] of `waiter`, or after `ms` milliseconds, whichever is first.
pub async fn sleep_or_wake(ms: i32, waiter: &Waiter) {
    let promise = Promise::new(&mut |resolve: Function, _reject: Function| {
        // A previous sleeper is woken, so nobody hangs.
        wake(waiter);
        waiter.replace(Some(resolve.clone()));
        let armed = window().is_some_and(|window| {
            window
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
                .is_ok()
        });
        if !armed {
            wake(waiter);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Resolves after `ms` milliseconds (setTimeout as a future; at once if no timer can be set).
pub async fn sleep_ms(ms: i32) {
    sleep_or_wake(ms, &Waiter::default()).await;
}

/// `location.href` without fragment or query.
pub fn app_base_url() -> String {
    let href = window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    crate::core::links::app_base(&href).to_owned()
}

pub fn location_hash() -> String {
    window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// Removes the fragment from the address bar without a reload or a history entry, so the link's
/// code is not left in history or reused by an accidental reload.
pub fn clear_location_hash() {
    let Some(window) = window() else { return };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&app_base_url()));
    }
}

pub fn random_bytes<const N: usize>() -> Option<[u8; N]> {
    let crypto = window()?.crypto().ok()?;
    let mut bytes = [0u8; N];
    crypto.get_random_values_with_u8_array(&mut bytes).ok()?;
    Some(bytes)
}

/// A fresh random invite id from the browser's CSPRNG.
pub fn random_invite_id() -> Option<InviteId> {
    random_bytes().map(InviteId)
}

/// 128 random bits as 32 hex characters (conversation and browser ids).
pub fn random_hex_id() -> Option<String> {
    let bytes: [u8; 16] = random_bytes()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn local_storage() -> Option<Storage> {
    window()?.local_storage().ok().flatten()
}

pub fn storage_get(key: &str) -> Option<String> {
    local_storage()?.get_item(key).ok().flatten()
}

/// Returns false when storage is unavailable or full (private mode, quota).
pub fn storage_set(key: &str, value: &str) -> bool {
    local_storage().is_some_and(|storage| storage.set_item(key, value).is_ok())
}

pub fn storage_remove(key: &str) {
    if let Some(storage) = local_storage() {
        let _ = storage.remove_item(key);
    }
}

/// "14:05" in the user's local time.
pub fn clock_text(at_ms: f64) -> String {
    let date = Date::new(&JsValue::from_f64(at_ms));
    format_clock(date.get_hours(), date.get_minutes())
}

/// ISO 8601 for `<time datetime>`.
pub fn iso_time(at_ms: f64) -> String {
    Date::new(&JsValue::from_f64(at_ms)).to_iso_string().into()
}

fn navigator() -> Option<JsValue> {
    window().map(|w| w.navigator().into())
}

/// Copies text with the async Clipboard API.
pub async fn copy_text(text: &str) -> Result<(), String> {
    const REFUSED: &str = "The browser did not allow copying. Select the link and copy it by hand.";
    let navigator = navigator().ok_or(REFUSED)?;
    let clipboard = Reflect::get(&navigator, &"clipboard".into()).map_err(|_| REFUSED)?;
    let write_text = Reflect::get(&clipboard, &"writeText".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or(REFUSED)?;
    let promise = write_text
        .call1(&clipboard, &JsValue::from_str(text))
        .ok()
        .and_then(|p| p.dyn_into::<Promise>().ok())
        .ok_or(REFUSED)?;
    JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(|_| REFUSED.to_owned())
}

/// Whether the Web Share API exists here (phones, some desktops). The share button only shows then.
pub fn can_share() -> bool {
    navigator()
        .and_then(|navigator| Reflect::get(&navigator, &"share".into()).ok())
        .is_some_and(|share| share.is_function())
}

/// Opens the system share sheet. A user closing the sheet is not an error worth showing.
pub async fn share_link(title: &str, text: &str, url: &str) -> Result<(), String> {
    const FAILED: &str = "Sharing did not work here. Copy the link instead.";
    let navigator = navigator().ok_or(FAILED)?;
    let share = Reflect::get(&navigator, &"share".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or(FAILED)?;
    let data = js_sys::Object::new();
    let _ = Reflect::set(&data, &"title".into(), &title.into());
    let _ = Reflect::set(&data, &"text".into(), &text.into());
    let _ = Reflect::set(&data, &"url".into(), &url.into());
    let promise = share
        .call1(&navigator, &data)
        .ok()
        .and_then(|p| p.dyn_into::<Promise>().ok())
        .ok_or(FAILED)?;
    match JsFuture::from(promise).await {
        Ok(_) => Ok(()),
        Err(error) => {
            let name = Reflect::get(&error, &"name".into())
                .ok()
                .and_then(|n| n.as_string());
            if name.as_deref() == Some("AbortError") {
                Ok(())
            } else {
                Err(FAILED.to_owned())
            }
        }
    }
}

/// Every key in localStorage (for moving the old format).
pub fn storage_keys() -> Vec<String> {
    let Some(storage) = local_storage() else {
        return Vec::new();
    };
    let count = storage.length().unwrap_or(0);
    (0..count)
        .filter_map(|index| storage.key(index).ok().flatten())
        .collect()
}

/// Offers `text` as a file download named `name`.
pub fn download_text(name: &str, text: &str) -> Result<(), String> {
    const FAILED: &str = "The browser did not start the download.";
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob =
        web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(|_| FAILED)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| FAILED)?;
    let document = window().and_then(|w| w.document()).ok_or(FAILED)?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into().ok())
        .ok_or(FAILED)?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // The download has its own copy once started; the URL may go at the next turn.
    let revoke = Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(window) = window() {
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 1_000);
    }
    Ok(())
}

/// The text of a file the user chose.
pub async fn file_text(file: &web_sys::File) -> Result<String, String> {
    JsFuture::from(file.text())
        .await
        .ok()
        .and_then(|text| text.as_string())
        .ok_or_else(|| "The browser could not read that file.".to_owned())
}

fn storage_manager() -> Option<web_sys::StorageManager> {
    Some(window()?.navigator().storage())
}

/// Bytes this site stores and may store (`navigator.storage.estimate()`).
pub async fn storage_estimate() -> Option<(u64, u64)> {
    let estimate = JsFuture::from(storage_manager()?.estimate().ok()?)
        .await
        .ok()?;
    let read = |name: &str| {
        Reflect::get(&estimate, &JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_f64())
            .map(|v| v as u64)
    };
    Some((read("usage")?, read("quota")?))
}

/// Asks the browser to keep this site's storage when space runs low; whether it will.
pub async fn persist_storage() -> bool {
    let Some(manager) = storage_manager() else {
        return false;
    };
    let asked = |promise: Result<Promise, JsValue>| async move {
        match promise {
            Ok(promise) => JsFuture::from(promise)
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            Err(_) => false,
        }
    };
    asked(manager.persisted()).await || asked(manager.persist()).await
}
