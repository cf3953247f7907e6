//! The page itself: its window, address, clock and random numbers. Failures become `None`/`Err`
//! values with a message a person can act on; nothing here panics. Timers, localStorage and the
//! clipboard have files of their own (`timers`, `storage`, `clipboard`).

use js_sys::Date;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Window;

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
/// Puts `code` in the address bar's fragment, as opening its link would, without a history
/// entry or a `hashchange`: the caller then calls `TinCan::open_location`, which acts on it now
/// or, while storage and the identity are not ready, when they are.
pub fn put_code_in_location(code: &str) {
    let Some(window) = window() else { return };
    if let Ok(history) = window.history() {
        let link = crate::core::links::link_with_code(&app_base_url(), code);
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&link));
    }
}

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
    Some(crate::core::hex::encode(&bytes))
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

/// Nothing has focus (the focused element was removed with the screen it was on): the page's
/// new screen may take focus without taking it from anything.
pub fn focus_was_lost() -> bool {
    let document = window().and_then(|w| w.document());
    match document {
        Some(document) => match (document.active_element(), document.body()) {
            (None, _) => true,
            (Some(active), Some(body)) => active == *body.unchecked_ref::<web_sys::Element>(),
            (Some(_), None) => false,
        },
        None => false,
    }
}
