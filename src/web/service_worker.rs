//! The service worker (public/sw.js, completed by scripts/sw-precache.mjs): registers it, tells
//! the page when a newer version of the app is installed and waiting, and hands over to it when
//! the person says so. Where there is no service worker (an insecure origin, a private window
//! of some browsers, a failed registration) nothing happens: the app works without it, online.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{
    Document, ServiceWorker, ServiceWorkerContainer, ServiceWorkerRegistration, ServiceWorkerState,
};

use crate::web::browser::{clear_location_hash, window};

/// The worker's file, next to index.html; its folder is its scope (the whole app).
const WORKER: &str = "sw.js";
/// What the page tells a waiting worker to make it take over (public/sw.js).
const TAKE_OVER: &str = "take-over";
/// The query the worker opens the app with when something shared into it was not a Tin Can link.
const SHARED_NOT_A_LINK: &str = "?shared=not-a-link";

/// The page's side of the service worker; its handlers are removed when dropped.
pub struct Updates {
    shared: Rc<Shared>,
}

struct Shared {
    container: ServiceWorkerContainer,
    /// The page is run by a worker: a change of worker then means a newer version took over.
    controlled: Cell<bool>,
    /// This page asked the waiting worker to take over: reload once it has.
    reload_asked: Cell<bool>,
    registration: RefCell<Option<ServiceWorkerRegistration>>,
    /// The worker being installed, watched until it is installed (then it waits).
    installing: RefCell<Option<ServiceWorker>>,
    on_ready: Box<dyn Fn()>,
    on_controller_change: Closure<dyn FnMut()>,
    on_update_found: Closure<dyn FnMut()>,
    on_state_change: Closure<dyn FnMut()>,
    document: Option<Document>,
    on_visibility_change: Closure<dyn FnMut()>,
}

impl Updates {
    /// Registers the worker. `on_ready` runs when a newer version is ready: installed and
    /// waiting, or already taken over by another tab (this page still runs the older code).
    /// `None` where there is no service worker.
    pub fn register(on_ready: impl Fn() + 'static) -> Option<Self> {
        let window = window()?;
        // Browsers only allow workers on secure origins (https, and http on loopback); elsewhere
        // `navigator.serviceWorker` is missing.
        if !window.is_secure_context() {
            return None;
        }
        let container =
            js_sys::Reflect::get(&window.navigator(), &JsValue::from_str("serviceWorker"))
                .ok()?
                .dyn_into::<ServiceWorkerContainer>()
                .ok()?;
        let shared = Rc::new_cyclic(|weak: &std::rc::Weak<Shared>| {
            let handler = |act: fn(&Shared)| {
                let weak = weak.clone();
                Closure::<dyn FnMut()>::new(move || {
                    if let Some(shared) = weak.upgrade() {
                        act(&shared);
                    }
                })
            };
            Shared {
                controlled: Cell::new(container.controller().is_some()),
                container: container.clone(),
                reload_asked: Cell::new(false),
                registration: RefCell::new(None),
                installing: RefCell::new(None),
                on_ready: Box::new(on_ready),
                on_controller_change: handler(Shared::controller_changed),
                on_update_found: handler(Shared::update_found),
                on_state_change: handler(Shared::state_changed),
                document: window.document(),
                on_visibility_change: handler(Shared::visibility_changed),
            }
        });
        container
            .set_oncontrollerchange(Some(shared.on_controller_change.as_ref().unchecked_ref()));
        if let Some(document) = &shared.document {
            let _ = document.add_event_listener_with_callback(
                "visibilitychange",
                shared.on_visibility_change.as_ref().unchecked_ref(),
            );
        }

        let registering = JsFuture::from(container.register(WORKER));
        let weak = Rc::downgrade(&shared);
        spawn_local(async move {
            // A failed registration is not the person's problem: the app runs online as before.
            let Ok(registration) = registering.await else {
                return;
            };
            let (Some(shared), Ok(registration)) = (
                weak.upgrade(),
                registration.dyn_into::<ServiceWorkerRegistration>(),
            ) else {
                return;
            };
            shared.watch(registration);
        });
        Some(Self { shared })
    }

    /// "Reload": the waiting worker takes over and the page reloads once it has, so every file
    /// comes from the new version. With none waiting (another tab already let it take over),
    /// a plain reload does.
    pub fn take_update(&self) {
        let waiting = self
            .shared
            .registration
            .borrow()
            .as_ref()
            .and_then(ServiceWorkerRegistration::waiting);
        match waiting {
            Some(worker) => {
                self.shared.reload_asked.set(true);
                if worker.post_message(&JsValue::from_str(TAKE_OVER)).is_err() {
                    reload();
                }
            }
            None => reload(),
        }
    }
}

impl Shared {
    fn watch(&self, registration: ServiceWorkerRegistration) {
        registration.set_onupdatefound(Some(self.on_update_found.as_ref().unchecked_ref()));
        let waiting = registration.waiting().is_some();
        let installing = registration.installing();
        *self.registration.borrow_mut() = Some(registration);
        if waiting && self.container.controller().is_some() {
            (self.on_ready)();
        }
        if let Some(worker) = installing {
            self.watch_installing(worker);
        }
    }

    fn update_found(&self) {
        let installing = self
            .registration
            .borrow()
            .as_ref()
            .and_then(ServiceWorkerRegistration::installing);
        if let Some(worker) = installing {
            self.watch_installing(worker);
        }
    }

    fn watch_installing(&self, worker: ServiceWorker) {
        worker.set_onstatechange(Some(self.on_state_change.as_ref().unchecked_ref()));
        if let Some(earlier) = self.installing.replace(Some(worker)) {
            earlier.set_onstatechange(None);
        }
        self.state_changed();
    }

    fn state_changed(&self) {
        let installed = self
            .installing
            .borrow()
            .as_ref()
            .is_some_and(|worker| worker.state() == ServiceWorkerState::Installed);
        // The first worker installs on a page it does not run yet: that is not an update.
        if installed && self.container.controller().is_some() {
            (self.on_ready)();
        }
    }

    /// Browsers look for a new worker when a page is opened; an installed app on a phone may
    /// stay open for days. So look again whenever the app comes back to the screen.
    fn visibility_changed(&self) {
        if self.document.as_ref().is_none_or(Document::hidden) {
            return;
        }
        let checking = self
            .registration
            .borrow()
            .as_ref()
            .and_then(|registration| registration.update().ok());
        if let Some(checking) = checking {
            // Offline, the check fails: nothing to tell anyone.
            spawn_local(async move {
                let _ = JsFuture::from(checking).await;
            });
        }
    }

    fn controller_changed(&self) {
        if self.reload_asked.get() {
            reload();
        } else if self.controlled.get() {
            (self.on_ready)();
        }
        self.controlled.set(true);
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.container.set_oncontrollerchange(None);
        if let Some(document) = &self.document {
            let _ = document.remove_event_listener_with_callback(
                "visibilitychange",
                self.on_visibility_change.as_ref().unchecked_ref(),
            );
        }
        if let Some(registration) = self.registration.get_mut() {
            registration.set_onupdatefound(None);
        }
        if let Some(worker) = self.installing.get_mut() {
            worker.set_onstatechange(None);
        }
    }
}

fn reload() {
    if let Some(window) = window() {
        let _ = window.location().reload();
    }
}

/// Whether the service worker opened the app because something that is not a Tin Can link was
/// shared into it (public/sw.js, `openShared`). Takes the note out of the address.
pub fn shared_not_a_link() -> bool {
    let search = window()
        .and_then(|window| window.location().search().ok())
        .unwrap_or_default();
    let shared = search == SHARED_NOT_A_LINK;
    if shared {
        clear_location_hash();
    }
    shared
}
