use leptos::html;
use leptos::prelude::*;

use leptos::task::spawn_local;
use wasm_split_helpers::{wasm_split, SplitLoaderError};

use crate::app::TinCan;
use crate::components::identity::IdentitySettings;
use crate::components::storage::StoredData;
use crate::core::ice_servers::{judge, IceServerUrl, ServerVerdict};
use crate::core::settings::Settings;
use crate::web::server_check::{probe_server, PROBE_DEADLINE_MS};

#[component]
pub fn SettingsDialog(open: RwSignal<bool>) -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let dialog = NodeRef::<html::Dialog>::new();
    let form = SettingsForm::new(tin_can, open);

    // Sync the native <dialog> with the `open` signal; fill the form from the current settings.
    Effect::new(move |_| {
        let Some(dialog) = dialog.get() else { return };
        if open.get() {
            form.fill();
            tin_can.identity.status.set(None);
            if !dialog.open() {
                let _ = dialog.show_modal();
            }
        } else if dialog.open() {
            dialog.close();
        }
    });

    view! {
        <dialog node_ref=dialog class="settings" aria-labelledby="settings-title" on:close=move |_| open.set(false)>
            // Built when opened, not at load, and from a separately loaded part of the wasm
            // (scripts/wasm-link.sh): the first screen of a slow phone waits for less.
            <Show when=move || open.get()>
                <Suspense fallback=|| ()>{move || Suspend::new(async move {
                    settings_form(form).await.unwrap_or_else(|_| view! {
                        <p class="alert" role="alert">
                            "Settings could not be loaded: this browser could not fetch that part of Tin Can. Check the connection, then open Settings again."
                        </p>
                        <div class="actions end">
                            <button type="button" class="secondary" on:click=move |_| open.set(false)>"Close"</button>
                        </div>
                    }.into_any())
                })}</Suspense>
            </Show>
        </dialog>
    }
}

/// The form's fields and what the dialog's lazily loaded content works on: all arena handles,
/// so `Copy`.
#[derive(Clone, Copy)]
struct SettingsForm {
    tin_can: TinCan,
    open: RwSignal<bool>,
    ice_servers: RwSignal<String>,
    turn_username: RwSignal<String>,
    turn_credential: RwSignal<String>,
    relay_only: RwSignal<bool>,
    display_name: RwSignal<String>,
    error: RwSignal<Option<String>>,
}

impl SettingsForm {
    /// Empty: [`SettingsForm::fill`] puts the current settings in each time the dialog opens.
    fn new(tin_can: TinCan, open: RwSignal<bool>) -> Self {
        Self {
            tin_can,
            open,
            ice_servers: RwSignal::new(String::new()),
            turn_username: RwSignal::new(String::new()),
            turn_credential: RwSignal::new(String::new()),
            relay_only: RwSignal::new(false),
            display_name: RwSignal::new(String::new()),
            error: RwSignal::new(None),
        }
    }

    fn fill(&self) {
        let settings = self.tin_can.settings.get_untracked();
        self.ice_servers.set(settings.ice_servers_text());
        self.turn_username.set(settings.turn_username);
        self.turn_credential.set(settings.turn_credential);
        self.relay_only.set(settings.relay_only);
        self.display_name.set(settings.display_name);
        self.error.set(None);
    }

    /// "Save": the fields as settings, stored; the dialog closes, or says what is wrong.
    fn save(&self) {
        let parsed = Settings::from_form(
            &self.ice_servers.get_untracked(),
            &self.turn_username.get_untracked(),
            &self.turn_credential.get_untracked(),
            self.relay_only.get_untracked(),
        )
        .map(|settings| settings.with_display_name(&self.display_name.get_untracked()));
        match parsed
            .map_err(|e| e.to_string())
            .and_then(|settings| self.tin_can.save_settings(settings))
        {
            Ok(()) => self.open.set(false),
            Err(message) => self.error.set(Some(message)),
        }
    }
}

/// The dialog's content, in a part of the wasm of its own (scripts/wasm-link.sh): fetched the
/// first time Settings opens (the service worker keeps it for offline use). `fallible`: a failed
/// fetch is an `Err` the dialog shows, where Leptos' `#[lazy]` would panic.
#[wasm_split(settings, fallible)]
fn settings_form(form: SettingsForm) -> Result<AnyView, SplitLoaderError> {
    let SettingsForm {
        open,
        ice_servers,
        turn_username,
        turn_credential,
        relay_only,
        display_name,
        error,
        ..
    } = form;
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form.save();
    };

    Ok(view! {
            <form id="settings-form" on:submit=save>
                <h2 id="settings-title">"Settings"</h2>
                <label for="display-name">"Display name"</label>
                <input id="display-name" type="text" autocomplete="nickname" maxlength="40"
                    aria-describedby="name-help"
                    prop:value=move || display_name.get()
                    on:input=move |ev| display_name.set(event_target_value(&ev))/>
                <p id="name-help" class="hint">"Optional. The other person sees it in the chat."</p>
                <label for="ice-servers">"ICE servers"</label>
                <textarea id="ice-servers" rows="4" spellcheck="false" autocomplete="off"
                    aria-describedby="ice-help"
                    prop:value=move || ice_servers.get()
                    on:input=move |ev| ice_servers.set(event_target_value(&ev))></textarea>
                <p id="ice-help" class="hint">"One server per line; they help browsers on different networks find each other. "
                    <code>"stun:host:port"</code>" finds the address the internet sees for you. "
                    <code>"turn:host:port"</code>" relays the (still encrypted) chat when no direct path exists, for example behind a strict router; add "
                    <code>"?transport=tcp"</code>" where UDP is blocked, or use "<code>"turns:"</code>" for TLS. Leave empty to connect only within the same network. Applies to the next invite."</p>
                <div class="row">
                    <div>
                        <label for="turn-username">"TURN username"</label>
                        <input id="turn-username" type="text" autocomplete="off"
                            prop:value=move || turn_username.get()
                            on:input=move |ev| turn_username.set(event_target_value(&ev))/>
                    </div>
                    <div>
                        <label for="turn-credential">"TURN credential"</label>
                        <input id="turn-credential" type="password" autocomplete="off"
                            prop:value=move || turn_credential.get()
                            on:input=move |ev| turn_credential.set(event_target_value(&ev))/>
                    </div>
                </div>
                <p class="hint">"The TURN username and credential come from whoever runs the TURN server; they are used for every turn: and turns: line."</p>
                <ServerTest open ice_servers turn_username turn_credential/>
                <label class="check">
                    <input type="checkbox" aria-describedby="relay-help"
                        prop:checked=move || relay_only.get()
                        on:change=move |ev| relay_only.set(event_target_checked(&ev))/>
                    "Relay only (hide my IP address)"
                </label>
                <p id="relay-help" class="hint">"Links then carry only your TURN relay’s address, not yours. Needs a TURN server above; the chat stays end-to-end encrypted through the relay."</p>
            </form>
            // Outside the settings form: Enter in a passphrase box must not save and close.
            <IdentitySettings/>
            <StoredData open/>
            {move || error.get().map(|text| view! { <p class="alert" role="alert">{text}</p> })}
            <div class="actions end">
                <button type="button" class="secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                <button type="submit" form="settings-form" class="primary">"Save"</button>
            </div>
    }
    .into_any())
}

/// "Test servers": one short gathering per server in the form (saved or not), and what each
/// gave: a public address, a relay address, or what went wrong.
#[component]
fn ServerTest(
    open: RwSignal<bool>,
    ice_servers: RwSignal<String>,
    turn_username: RwSignal<String>,
    turn_credential: RwSignal<String>,
) -> impl IntoView {
    // One row per server: its URL and, once its probe ended, the verdict.
    let results = RwSignal::new(Vec::<(String, Option<ServerVerdict>)>::new());
    let problem = RwSignal::new(None::<String>);
    // A newer test makes the rows of an older one stale.
    let run = StoredValue::new(0u64);
    // Each opening of the dialog starts clean: old results describe servers no longer shown.
    Effect::new(move |_| {
        if open.get() {
            run.update_value(|n| *n += 1);
            results.set(Vec::new());
            problem.set(None);
        }
    });

    let test = move |_| {
        problem.set(None);
        let settings = match Settings::from_form(
            &ice_servers.get_untracked(),
            &turn_username.get_untracked(),
            &turn_credential.get_untracked(),
            false,
        ) {
            Ok(settings) => settings,
            Err(error) => {
                results.set(Vec::new());
                problem.set(Some(error.to_string()));
                return;
            }
        };
        if settings.ice_servers.is_empty() {
            results.set(Vec::new());
            problem.set(Some(
                "There is no server to test: the ICE servers box is empty.".to_owned(),
            ));
            return;
        }
        run.update_value(|n| *n += 1);
        let this_run = run.get_value();
        results.set(
            settings
                .ice_servers
                .iter()
                .map(|url| (url.clone(), None))
                .collect(),
        );
        for (index, url) in settings.ice_servers.iter().cloned().enumerate() {
            let (username, credential) = (
                settings.turn_username.clone(),
                settings.turn_credential.clone(),
            );
            spawn_local(async move {
                let verdict = match (
                    IceServerUrl::parse(&url),
                    probe_server(&url, &username, &credential).await,
                ) {
                    (Ok(server), Ok(probe)) => judge(&server, &probe, PROBE_DEADLINE_MS),
                    (Err(error), _) => ServerVerdict::Error(error.to_string()),
                    (_, Err(refused)) => {
                        ServerVerdict::Error(format!("the browser refused this server: {refused}"))
                    }
                };
                if run.get_value() == this_run {
                    results.update(|rows| {
                        if let Some(row) = rows.get_mut(index) {
                            row.1 = Some(verdict);
                        }
                    });
                }
            });
        }
    };
    let testing = move || results.with(|rows| rows.iter().any(|(_, verdict)| verdict.is_none()));

    view! {
        <div class="server-test">
            <button type="button" class="secondary" on:click=test disabled=testing>"Test servers"</button>
            {move || problem.get().map(|text| view! { <p class="alert" role="alert">{text}</p> })}
            <p class="hint" role="status">{move || {
                if testing() {
                    format!("Testing each server for up to {} s…", PROBE_DEADLINE_MS / 1000)
                } else {
                    String::new()
                }
            }}</p>
            <ul class="server-results" aria-label="Server test results">
                <For each=move || results.get().into_iter().enumerate()
                    key=|(index, (url, verdict))| (*index, url.clone(), verdict.clone())
                    let:row>
                    {
                        let (_, (url, verdict)) = row;
                        let state = match &verdict {
                            None => "testing",
                            Some(verdict) if verdict.is_ok() => "ok",
                            Some(_) => "failed",
                        };
                        let text = verdict.map_or_else(|| "Testing…".to_owned(), |v| v.to_string());
                        view! {
                            <li data-result=state><code>{url}</code>" — "{text}</li>
                        }
                    }
                </For>
            </ul>
        </div>
    }
}
