//! The passphrase lock's cryptography, by the browser's WebCrypto: PBKDF2-SHA-256 derives an
//! AES-GCM key (256 bits, not extractable: the page can use it, never read it), which seals and
//! opens stored values. Each sealed value is a fresh random 96-bit IV followed by the
//! ciphertext and its tag, bound to its place in storage by additional data (see
//! `core::store`).

use js_sys::{Array, ArrayBuffer, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

use crate::core::store::lock::{split_sealed, IV_BYTES};
use crate::web::browser::random_bytes;

fn subtle() -> Option<SubtleCrypto> {
    Some(web_sys::window()?.crypto().ok()?.subtle())
}

fn object(entries: &[(&str, &JsValue)]) -> Object {
    let object = Object::new();
    for (name, value) in entries {
        let _ = Reflect::set(&object, &JsValue::from_str(name), value);
    }
    object
}

fn bytes(data: &[u8]) -> JsValue {
    Uint8Array::from(data).into()
}

const NO_CRYPTO: &str =
    "This browser cannot encrypt here (Web Crypto needs a secure page: https or localhost).";

/// The key for `passphrase` with this salt and count. Takes a noticeable moment: that is the
/// point (every guess costs an attacker the same).
pub async fn derive_key(
    passphrase: &str,
    salt: &[u8],
    iterations: u32,
) -> Result<CryptoKey, String> {
    let subtle = subtle().ok_or(NO_CRYPTO)?;
    let raw = Uint8Array::from(passphrase.as_bytes());
    let usages = Array::of1(&JsValue::from_str("deriveKey"));
    let base = subtle
        .import_key_with_str("raw", &raw, "PBKDF2", false, &usages)
        .map_err(|_| NO_CRYPTO)?;
    let base: CryptoKey = JsFuture::from(base)
        .await
        .map_err(|_| NO_CRYPTO)?
        .unchecked_into();
    let algorithm = object(&[
        ("name", &"PBKDF2".into()),
        ("hash", &"SHA-256".into()),
        ("salt", &bytes(salt)),
        ("iterations", &JsValue::from(iterations)),
    ]);
    let derived = object(&[("name", &"AES-GCM".into()), ("length", &JsValue::from(256))]);
    let usages = Array::of2(&"encrypt".into(), &"decrypt".into());
    let key = subtle
        .derive_key_with_object_and_object(&algorithm, &base, &derived, false, &usages)
        .map_err(|_| NO_CRYPTO)?;
    Ok(JsFuture::from(key)
        .await
        .map_err(|_| NO_CRYPTO)?
        .unchecked_into())
}

fn params(iv: &[u8], aad: &str) -> Object {
    object(&[
        ("name", &"AES-GCM".into()),
        ("iv", &bytes(iv)),
        ("additionalData", &bytes(aad.as_bytes())),
    ])
}

async fn settle_all(promises: Array) -> Result<Vec<Option<Vec<u8>>>, String> {
    let settled = JsFuture::from(Promise::all_settled(&promises))
        .await
        .map_err(|_| NO_CRYPTO)?;
    Ok(settled
        .unchecked_into::<Array>()
        .iter()
        .map(|outcome| {
            Reflect::get(&outcome, &"value".into())
                .ok()
                .and_then(|v| v.dyn_into::<ArrayBuffer>().ok())
                .map(|buffer| Uint8Array::new(&buffer).to_vec())
        })
        .collect())
}

/// Seals each `(additional data, plaintext)`: IV and ciphertext, in order. All of them, or an
/// error.
pub async fn seal_all(key: &CryptoKey, items: &[(String, String)]) -> Result<Vec<Vec<u8>>, String> {
    let subtle = subtle().ok_or(NO_CRYPTO)?;
    let promises = Array::new();
    let mut ivs = Vec::with_capacity(items.len());
    for (aad, plain) in items {
        let iv: [u8; IV_BYTES] = random_bytes().ok_or(NO_CRYPTO)?;
        let promise = subtle
            .encrypt_with_object_and_u8_array(&params(&iv, aad), key, plain.as_bytes())
            .map_err(|_| NO_CRYPTO)?;
        promises.push(&promise);
        ivs.push(iv);
    }
    settle_all(promises)
        .await?
        .into_iter()
        .zip(ivs)
        .map(|(sealed, iv)| {
            let sealed = sealed.ok_or(NO_CRYPTO)?;
            let mut out = Vec::with_capacity(IV_BYTES + sealed.len());
            out.extend_from_slice(&iv);
            out.extend_from_slice(&sealed);
            Ok(out)
        })
        .collect()
}

/// Opens each `(additional data, sealed bytes)`: the plaintext, or `None` where it does not
/// open (damaged, moved, or another key).
pub async fn open_all(
    key: &CryptoKey,
    items: &[(String, Vec<u8>)],
) -> Result<Vec<Option<String>>, String> {
    let subtle = subtle().ok_or(NO_CRYPTO)?;
    let promises = Array::new();
    for (aad, sealed) in items {
        let promise = match split_sealed(sealed) {
            Some((iv, data)) => subtle
                .decrypt_with_object_and_u8_array(&params(iv, aad), key, data)
                .map_err(|_| NO_CRYPTO)?,
            None => Promise::reject(&JsValue::NULL),
        };
        promises.push(&promise);
    }
    Ok(settle_all(promises)
        .await?
        .into_iter()
        .map(|plain| plain.and_then(|bytes| String::from_utf8(bytes).ok()))
        .collect())
}
