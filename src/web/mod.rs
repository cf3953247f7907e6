//! Thin browser glue: each file wraps one browser API and owns what it installs.
pub mod browser;
pub mod clipboard;
pub mod file_channel;
pub mod handoff;
pub mod idb;
pub mod identity;
pub mod media;
pub mod notes;
pub mod peer;
pub mod scanner;
pub mod server_check;
pub mod service_worker;
pub mod site_storage;
pub mod timers;
pub mod vault;
pub mod webcrypto;
