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

fn random_bytes<const N: usize>() -> Option<[u8; N]> {
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
