//! Timers as futures: `setTimeout`, and a sleep an event handler can cut short.

use std::cell::RefCell;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::browser::window;

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
