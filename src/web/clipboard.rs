//! Moving text in and out of the page: the clipboard, the system share sheet, a file download
//! and reading a chosen file.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::browser::window;

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
