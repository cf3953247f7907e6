//! SHA-256 by the browser's WebCrypto: native code, using the CPU's SHA instructions where it
//! has them. For file chunks this is several times cheaper than hashing in wasm, which matters on
//! a 2-core machine where both pages and WebRTC share the CPU.

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::SubtleCrypto;

use crate::core::transfer::{ChunkDigest, TransferError};

thread_local! {
    /// Looked up once: a file is a thousand digests.
    static SUBTLE: Option<SubtleCrypto> = web_sys::window()
        .and_then(|window| window.crypto().ok())
        .map(|crypto| crypto.subtle());
}

/// Starts hashing `data`. The browser copies the bytes before returning, so the view may be
/// reused at once.
pub fn start_sha256(data: &Uint8Array) -> Result<Promise, TransferError> {
    // `crypto.subtle` only exists in secure contexts (https, or http on localhost); without it
    // the call throws and lands here.
    SUBTLE
        .with(|subtle| {
            subtle
                .as_ref()
                .map(|subtle| subtle.digest_with_str_and_buffer_source("SHA-256", data))
        })
        .and_then(Result::ok)
        .ok_or(TransferError::DigestFailed)
}

/// The digest a [`start_sha256`] promise resolves to.
pub async fn sha256_result(pending: Promise) -> Result<ChunkDigest, TransferError> {
    let buffer = JsFuture::from(pending)
        .await
        .map_err(|_| TransferError::DigestFailed)?;
    digest_from(&buffer)
}

/// The digests a batch of [`start_sha256`] promises resolve to, in order.
pub async fn sha256_results(pending: &Array) -> Result<Vec<ChunkDigest>, TransferError> {
    let all = JsFuture::from(Promise::all(pending))
        .await
        .ok()
        .and_then(|all| all.dyn_into::<Array>().ok())
        .ok_or(TransferError::DigestFailed)?;
    all.iter().map(|buffer| digest_from(&buffer)).collect()
}

/// A digest from the ArrayBuffer WebCrypto produced.
fn digest_from(buffer: &JsValue) -> Result<ChunkDigest, TransferError> {
    let view = Uint8Array::new(buffer);
    let mut digest = [0u8; 32];
    if view.length() as usize != digest.len() {
        return Err(TransferError::DigestFailed);
    }
    view.copy_to(&mut digest);
    Ok(digest)
}
