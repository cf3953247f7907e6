//! SHA-256 by the browser's WebCrypto: native code, using the CPU's SHA instructions where it
//! has them, and run off the page's thread. For file chunks this is several times cheaper than
//! hashing in wasm, which matters on a 2-core machine where both pages and WebRTC share the CPU.

use js_sys::{Promise, Uint8Array};
use wasm_bindgen_futures::JsFuture;

use crate::core::transfer::{ChunkDigest, TransferError};

/// Starts hashing `data`. The browser copies the bytes before returning, so the view may be
/// reused at once.
pub fn start_sha256(data: &Uint8Array) -> Result<Promise, TransferError> {
    let crypto = web_sys::window()
        .ok_or(TransferError::DigestFailed)?
        .crypto()
        .map_err(|_| TransferError::DigestFailed)?;
    // `crypto.subtle` only exists in secure contexts (https, or http on localhost); without it
    // the call throws and lands here.
    crypto
        .subtle()
        .digest_with_str_and_buffer_source("SHA-256", data)
        .map_err(|_| TransferError::DigestFailed)
}

/// The digest a [`start_sha256`] promise resolves to.
pub async fn sha256_result(pending: Promise) -> Result<ChunkDigest, TransferError> {
    let buffer = JsFuture::from(pending)
        .await
        .map_err(|_| TransferError::DigestFailed)?;
    digest_from(&buffer)
}

/// A digest from the ArrayBuffer WebCrypto produced.
pub fn digest_from(buffer: &wasm_bindgen::JsValue) -> Result<ChunkDigest, TransferError> {
    let view = Uint8Array::new(buffer);
    let mut digest = [0u8; 32];
    if view.length() as usize != digest.len() {
        return Err(TransferError::DigestFailed);
    }
    view.copy_to(&mut digest);
    Ok(digest)
}
