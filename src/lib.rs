//! Tin Can: a chat that runs entirely in two browsers.
//!
//! `core` is pure Rust, tested on the host. `web` wraps browser APIs, `components` are the Leptos
//! UI and `app` holds the state that ties them together; those three exist only on wasm32.
// A browser or a peer can make anything fail: outside tests, failures become values and
// messages, never a panic.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod core;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod components;
#[cfg(target_arch = "wasm32")]
mod web;

/// Mounts the app on the page's body.
#[cfg(target_arch = "wasm32")]
pub fn run() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(components::App);
}
