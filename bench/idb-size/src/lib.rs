//! The same IndexedDB work three ways, to compare what each adds to a release wasm: open (creating
//! two stores), put three values (one with an array key) in one transaction and commit, read a
//! key range with getAll, read one value, delete a range.
use wasm_bindgen::prelude::*;

#[cfg(feature = "thin")]
mod imp {
    use js_sys::{Array, Promise};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{IdbDatabase, IdbKeyRange, IdbRequest, IdbTransaction, IdbTransactionMode};

    async fn done(request: &IdbRequest) -> Result<JsValue, JsValue> {
        let p = Promise::new(&mut |res, rej| {
            request.set_onsuccess(Some(&res));
            request.set_onerror(Some(&rej));
        });
        JsFuture::from(p).await?;
        request.result()
    }
    async fn tx_done(tx: &IdbTransaction) -> Result<(), JsValue> {
        let p = Promise::new(&mut |res, rej| {
            tx.set_oncomplete(Some(&res));
            tx.set_onabort(Some(&rej));
        });
        JsFuture::from(p).await.map(|_| ())
    }
    pub async fn run() -> Result<Vec<String>, JsValue> {
        let factory = web_sys::window().unwrap().indexed_db()?.unwrap();
        let req = factory.open_with_u32("t", 1)?;
        let r2 = req.clone();
        let up = Closure::<dyn FnMut()>::new(move || {
            let db: IdbDatabase = r2.result().unwrap().unchecked_into();
            let _ = db.create_object_store("a");
            let _ = db.create_object_store("b");
        });
        req.set_onupgradeneeded(Some(up.as_ref().unchecked_ref()));
        let db: IdbDatabase = done(&req).await?.unchecked_into();
        drop(up);
        let names = Array::of2(&"a".into(), &"b".into());
        let tx = db.transaction_with_str_sequence_and_mode(&names, IdbTransactionMode::Readwrite)?;
        let a = tx.object_store("a")?;
        a.put_with_key(&"v1".into(), &"k1".into())?;
        a.put_with_key(&"v2".into(), &"k2".into())?;
        tx.object_store("b")?.put_with_key(&"v3".into(), &Array::of2(&"c".into(), &1.into()))?;
        #[allow(deprecated)]
        let _ = tx.commit();
        tx_done(&tx).await?;
        let tx = db.transaction_with_str_sequence(&names)?;
        let range = IdbKeyRange::bound(&"k0".into(), &"k9".into())?;
        let all = done(&tx.object_store("a")?.get_all_with_key(&range)?).await?;
        let one = done(&tx.object_store("b")?.get(&Array::of2(&"c".into(), &1.into()))?).await?;
        let mut out: Vec<String> = all.unchecked_into::<Array>().iter().filter_map(|v| v.as_string()).collect();
        out.extend(one.as_string());
        let tx = db.transaction_with_str_and_mode("a", IdbTransactionMode::Readwrite)?;
        tx.object_store("a")?.delete(&range)?;
        tx_done(&tx).await?;
        Ok(out)
    }
}

#[cfg(feature = "crate")]
mod imp {
    use indexed_db_futures::database::Database;
    use indexed_db_futures::prelude::*;
    use indexed_db_futures::transaction::TransactionMode;
    use indexed_db_futures::KeyRange;
    use js_sys::Array;
    use wasm_bindgen::prelude::*;

    pub async fn run() -> Result<Vec<String>, JsValue> {
        let e = |_: indexed_db_futures::error::Error| JsValue::NULL;
        let db = Database::open("t")
            .with_version(1u8)
            .with_on_upgrade_needed(|_event, db| {
                db.create_object_store("a").build()?;
                db.create_object_store("b").build()?;
                Ok(())
            })
            .await
            .map_err(|_| JsValue::NULL)?;
        let tx = db.transaction(["a", "b"]).with_mode(TransactionMode::Readwrite).build().map_err(e)?;
        let a = tx.object_store("a").map_err(e)?;
        a.put("v1").with_key("k1").primitive().map_err(e)?;
        a.put("v2").with_key("k2").primitive().map_err(e)?;
        let key: JsValue = Array::of2(&"c".into(), &1.into()).into();
        tx.object_store("b").map_err(e)?.put("v3").with_key(key.clone()).primitive().map_err(e)?;
        tx.commit().await.map_err(e)?;
        let tx = db.transaction(["a", "b"]).build().map_err(e)?;
        let all: Vec<String> = tx
            .object_store("a").map_err(e)?
            .get_all::<String>()
            .with_query::<&str, _>(KeyRange::Bound("k0", false, "k9", false))
            .primitive().map_err(e)?
            .await.map_err(e)?
            .collect::<Result<Vec<_>, _>>().map_err(e)?;
        let one: Option<String> = tx.object_store("b").map_err(e)?.get(key).primitive().map_err(e)?.await.map_err(e)?;
        let mut out = all;
        out.extend(one);
        let tx = db.transaction("a").with_mode(TransactionMode::Readwrite).build().map_err(e)?;
        tx.object_store("a").map_err(e)?.delete::<&str, _>(KeyRange::Bound("k0", false, "k9", false)).primitive().map_err(e)?.await.map_err(e)?;
        tx.commit().await.map_err(e)?;
        Ok(out)
    }
}

#[cfg(any(feature = "thin", feature = "crate"))]
#[wasm_bindgen]
pub async fn run() -> Result<JsValue, JsValue> {
    let out = imp::run().await?;
    Ok(JsValue::from_str(&out.join(",")))
}

#[cfg(not(any(feature = "thin", feature = "crate")))]
#[wasm_bindgen]
pub async fn run() -> Result<JsValue, JsValue> {
    // The floor: an async export doing nothing with IndexedDB.
    Ok(JsValue::from_str(""))
}
