//! localStorage (settings, this browser's id, the old conversation format) and the browser's
//! storage manager (space used and available, persistence). Conversations live in IndexedDB:
//! see `idb`.

use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::Storage;

use super::browser::window;

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
