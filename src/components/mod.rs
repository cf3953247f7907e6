//! Small Leptos components. They read `TinCan`'s signals and call its methods; no logic here.
mod app;
mod call;
mod chat;
mod group;
mod history;
mod icons;
mod identity;
mod link_share;
mod notices;
mod qr;
mod scan;
mod settings;
mod start;
mod start_over;
mod storage;
mod transfers;
mod update;

pub use app::App;
