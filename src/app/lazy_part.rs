//! Calls into a part of the wasm fetched after the first screen (README, "Shipped size"), made
//! in the order they come whether or not the part is there yet.
//!
//! A part's door is a `#[wasm_split(<part>, fallible, preload(...))]` function taking one call,
//! which the app reaches through a [`Door`].
//! While the part loads, calls wait here in arrival order (frames from the peer, say) and run in
//! that order once it is there. Once it is loaded a call runs at once, in the same turn, as a
//! plain call would: the door's future is polled once, and a loaded part's loader is a
//! `OnceCell` already set, so that poll completes.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_split_helpers::SplitLoaderError;

/// A call through a part's door: the part's answer, or why it could not be loaded.
pub(super) type DoorCall = Pin<Box<dyn Future<Output = Result<bool, SplitLoaderError>>>>;

/// Where one part stands in this tab, and the calls waiting for it. `Copy`: an arena handle.
pub(super) struct LazyPart<C: 'static>(StoredValue<PartState<C>, LocalStorage>);

impl<C> Clone for LazyPart<C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for LazyPart<C> {}

struct PartState<C> {
    loaded: bool,
    loading: bool,
    waiting: VecDeque<C>,
}

impl<C: 'static> LazyPart<C> {
    pub(super) fn new() -> Self {
        Self(StoredValue::new_local(PartState {
            loaded: false,
            loading: false,
            waiting: VecDeque::new(),
        }))
    }

    /// Makes `call` through `door`: now when the part is loaded (returning its answer),
    /// otherwise once it is there (returning `None`). Beyond [`Door::max_waiting`] waiting
    /// calls, `call` is dropped.
    pub(super) fn call(self, door: impl Door<C>, call: C) -> Option<bool> {
        let max_waiting = door.max_waiting();
        let now = self
            .0
            .try_update_value(|part| {
                if part.loaded {
                    return Some(Some(call));
                }
                if part.waiting.len() < max_waiting {
                    part.waiting.push_back(call);
                    return None;
                }
                Some(None)
            })
            .flatten();
        match now {
            Some(Some(call)) => run_now(door, call),
            Some(None) => None,
            None => {
                self.load(door);
                None
            }
        }
    }

    /// Fetches the part unless it is there or on its way, then runs the calls that waited for
    /// it, in order. A failed fetch drops them ([`Door::failed`] if there were any); the next
    /// call tries again.
    pub(super) fn load(self, door: impl Door<C>) {
        let start = self
            .0
            .try_update_value(|part| {
                let start = !part.loaded && !part.loading;
                part.loading |= start;
                start
            })
            .unwrap_or(false);
        if !start {
            return;
        }
        let loading = door.load();
        spawn_local(async move {
            let loaded = loading.await.is_ok();
            let waiting = self
                .0
                .try_update_value(|part| {
                    part.loading = false;
                    part.loaded = loaded;
                    std::mem::take(&mut part.waiting)
                })
                .unwrap_or_default();
            if !loaded {
                if !waiting.is_empty() {
                    door.failed();
                }
                return;
            }
            for call in waiting {
                run_now(door, call);
            }
        });
    }
}

/// A part's door, as the app side sees it: an arena handle that can make a call through the
/// part's `#[wasm_split]` function, load the part, and say that it could not be loaded.
pub(super) trait Door<C>: Copy + 'static {
    /// Calls kept while the part loads; more are dropped.
    fn max_waiting(self) -> usize;
    /// The call through the part's `#[wasm_split]` function.
    fn enter(self, call: C) -> DoorCall;
    /// The part's `preload` function.
    fn load(self) -> DoorLoad;
    /// The part could not be fetched: say so where it is needed.
    fn failed(self);
}

/// The loading of a part: its door's `preload` function's future.
pub(super) type DoorLoad = Pin<Box<dyn Future<Output = Result<(), SplitLoaderError>>>>;

/// Runs a call into a loaded part in this turn (see the module doc).
fn run_now<C>(door: impl Door<C>, call: C) -> Option<bool> {
    let mut call = door.enter(call);
    match call.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Ok(answer)) => Some(answer),
        Poll::Ready(Err(_)) => {
            door.failed();
            None
        }
        // Not expected once loaded; if it happens the call still runs, a turn later.
        Poll::Pending => {
            spawn_local(async move {
                if call.await.is_err() {
                    door.failed();
                }
            });
            None
        }
    }
}
