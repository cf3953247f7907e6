//! Pure logic: no browser, no Leptos. Everything here is tested with plain `cargo test` on the host.
pub mod chat;
pub mod connection_path;
pub mod gathering;
pub mod handoff;
pub mod history;
pub mod ice_servers;
pub mod identity;
pub mod late_answer;
pub mod links;
pub mod protocol;
pub mod safety;
pub mod session;
pub mod settings;
pub mod signal;
pub mod small_sort;
pub mod store;
pub mod transfer;
