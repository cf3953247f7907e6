//! Stored conversations: the passphrase prompt, Settings' section (space, export, import, the
//! lock, Delete all data), and what the chat shows when a write was refused.

use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::app::{StorageState, TinCan};
use crate::core::store::usage_text;

/// Shown instead of everything else while a passphrase lock is set and not given.
#[component]
pub fn UnlockView() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let passphrase = RwSignal::new(String::new());
    let checking = move || {
        tin_can
            .storage
            .state
            .with(|s| *s == StorageState::Unlocking)
    };
    let unlock = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        tin_can.unlock(passphrase.get_untracked());
    };
    view! {
        <section class="card unlock" aria-labelledby="unlock-title">
            <h2 id="unlock-title">"Your conversations are locked"</h2>
            <p class="hint">"Type your passphrase to read your conversations and keep storing them. Nothing of them shows without it."</p>
            <form on:submit=unlock>
                <label for="unlock-passphrase">"Passphrase"</label>
                <input id="unlock-passphrase" type="password" autocomplete="current-password" autofocus
                    prop:value=move || passphrase.get()
                    on:input=move |ev| passphrase.set(event_target_value(&ev))/>
                {move || tin_can.storage.unlock_error.get().map(|text| view! { <p class="alert" role="alert">{text}</p> })}
                <div class="actions">
                    <button type="submit" class="primary" disabled=checking>"Unlock"</button>
                    <span class="hint" role="status">{move || checking().then_some("Checking the passphrase…")}</span>
                </div>
            </form>
            <p class="hint">"Forgot it? The conversations cannot be recovered without it; you can only start again."</p>
            <DeleteAllData/>
        </section>
    }
}

/// "Delete all data", with a confirmation step.
#[component]
fn DeleteAllData() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let asking = RwSignal::new(false);
    view! {
        <div class="delete-all">
            {move || if asking.get() {
                view! {
                <div class="confirm" role="alertdialog" aria-labelledby="delete-all-question">
                    <p id="delete-all-question">"Delete every conversation, the passphrase lock and your settings from this browser? This cannot be undone. Export first if you want to keep anything."</p>
                    <div class="actions">
                        <button type="button" class="primary danger" on:click=move |_| {
                            asking.set(false);
                            tin_can.delete_all();
                        }>"Delete everything"</button>
                        <button type="button" class="secondary" on:click=move |_| asking.set(false)>"Keep my data"</button>
                    </div>
                </div>
                }.into_any()
            } else {
                view! {
                    <button type="button" class="secondary danger" on:click=move |_| asking.set(true)>"Delete all data"</button>
                }.into_any()
            }}
        </div>
    }
}

/// Settings' section on stored conversations.
#[component]
pub fn StoredData(open: RwSignal<bool>) -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let usage = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if open.get() {
            tin_can.storage.status.set(None);
            spawn_local(async move {
                let text = match tin_can.storage_use().await {
                    Some((used, quota)) => usage_text(used, quota),
                    None => "This browser does not tell how much space is used.".to_owned(),
                };
                usage.set(Some(text));
            });
        }
    });
    let ready = move || tin_can.storage.state.with(|s| *s == StorageState::Open);
    let on_import = move |event: ev::Event| {
        let Some(input) = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        if let Some(file) = input.files().and_then(|files| files.get(0)) {
            tin_can.import(file);
        }
        // Choosing the same file again must fire `change` again.
        input.set_value("");
    };
    view! {
        <section class="stored-data" aria-labelledby="stored-title">
            <h3 id="stored-title">"Stored conversations"</h3>
            <p class="hint" data-testid="storage-estimate">"Kept only in this browser (IndexedDB). "{move || usage.get()}</p>
            {move || if ready() {
                view! {
                    <div class="actions">
                        <button type="button" class="secondary" on:click=move |_| tin_can.export(None)>"Export all conversations"</button>
                        <input id="import-file" class="attach-input visually-hidden" type="file" accept=".json,application/json"
                            aria-label="Import conversations" on:change=on_import/>
                        <label for="import-file" class="attach-button">"Import conversations"</label>
                    </div>
                    <LockSettings/>
                }.into_any()
            } else {
                view! { <p class="hint">"Unlock your conversations to export, import or lock them."</p> }.into_any()
            }}
            {move || tin_can.storage.status.get().map(|outcome| match outcome {
                Ok(text) => view! { <p class="notice" role="status">{text}</p> }.into_any(),
                Err(text) => view! { <p class="alert" role="alert">{text}</p> }.into_any(),
            })}
            <DeleteAllData/>
        </section>
    }
}

/// Set, change or remove the passphrase lock.
#[component]
fn LockSettings() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let repeated = RwSignal::new(String::new());
    let locked = move || {
        tin_can.storage.state.track();
        tin_can.storage.lock_busy.track();
        tin_can.is_locked_store()
    };
    let clear = move || {
        current.set(String::new());
        new.set(String::new());
        repeated.set(String::new());
    };
    let set = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        tin_can.change_lock(
            current.get_untracked(),
            Some((new.get_untracked(), repeated.get_untracked())),
        );
        clear();
    };
    let remove = move |_| {
        tin_can.change_lock(current.get_untracked(), None);
        clear();
    };
    let field = move |id: &'static str,
                      label: &'static str,
                      value: RwSignal<String>,
                      autocomplete: &'static str| {
        view! {
            <label for=id>{label}</label>
            <input id=id type="password" autocomplete=autocomplete
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))/>
        }
    };
    view! {
        <form class="lock" on:submit=set>
            <h3>"Passphrase lock"</h3>
            <p class="hint">{move || if locked() {
                "On: stored messages, names and previews are encrypted (AES-GCM, key from your passphrase with PBKDF2-SHA-256, 600,000 rounds). Tin Can asks for the passphrase each time it opens."
            } else {
                "Off. With a passphrase, stored messages, names and previews are encrypted, and Tin Can asks for it each time it opens. Forget it and they are lost."
            }}</p>
            {move || locked().then(|| field("current-passphrase", "Current passphrase", current, "current-password"))}
            {field("new-passphrase", "New passphrase", new, "new-password")}
            {field("repeat-passphrase", "Repeat the new passphrase", repeated, "new-password")}
            <div class="actions">
                <button type="submit" class="secondary" disabled=move || tin_can.storage.lock_busy.get()>
                    {move || if locked() { "Change passphrase" } else { "Set passphrase" }}
                </button>
                {move || locked().then(|| view! {
                    <button type="button" class="secondary danger" disabled=move || tin_can.storage.lock_busy.get() on:click=remove>"Remove passphrase"</button>
                })}
                <span class="hint" role="status">{move || tin_can.storage.lock_busy.get().then_some("Encrypting… this takes a moment.")}</span>
            </div>
        </form>
    }
}

/// In the chat, when the browser refused to store: what happened and what to do.
#[component]
pub fn StorageProblem() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let export = move |_| {
        let id = tin_can
            .chat
            .conversation
            .with_untracked(|c| c.as_ref().map(|c| c.id.clone()));
        if id.is_some() {
            tin_can.export(id);
        }
    };
    view! {
        {move || tin_can.storage.problem.get().map(|text| view! {
            <div class="storage-problem">
                <p class="alert" role="alert" data-testid="storage-problem">{text}</p>
                <div class="actions">
                    <button type="button" class="secondary" on:click=export>"Export conversation"</button>
                </div>
            </div>
        })}
    }
}
