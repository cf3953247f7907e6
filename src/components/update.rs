//! The installed app's news from its service worker: a newer version is ready (with "Reload"),
//! or what was shared into the app was not a Tin Can link.

use leptos::prelude::*;

use crate::app::TinCan;
use crate::web::service_worker::{shared_not_a_link, Updates};

const NOT_A_LINK: &str = "What was shared with Tin Can is not a Tin Can link. Share the invite or \
answer link itself (it has a # followed by a code), or paste it here.";

#[component]
pub fn UpdatePrompt() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    if shared_not_a_link() {
        tin_can.notices.alert.set(Some(NOT_A_LINK.to_owned()));
    }

    let ready = RwSignal::new(false);
    // Owned here: the worker's handlers go when the app does.
    let updates = StoredValue::new_local(Updates::register(move || {
        ready.try_set(true);
    }));
    let reload = move |_| {
        updates.with_value(|updates| {
            if let Some(updates) = updates {
                updates.take_update();
            }
        });
    };
    view! {
        <Show when=move || ready.get()>
            <p class="notice update-ready" role="status" data-testid="update-ready">
                "A new version is ready — "
                <button type="button" on:click=reload>"Reload"</button>
            </p>
        </Show>
    }
}
