use leptos::html;
use leptos::prelude::*;

use crate::app::TinCan;
use crate::core::settings::Settings;

#[component]
pub fn SettingsDialog(open: RwSignal<bool>) -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let dialog = NodeRef::<html::Dialog>::new();
    let ice_servers = RwSignal::new(String::new());
    let turn_username = RwSignal::new(String::new());
    let turn_credential = RwSignal::new(String::new());
    let relay_only = RwSignal::new(false);
    let display_name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);

    // Sync the native <dialog> with the `open` signal; fill the form from the current settings.
    Effect::new(move |_| {
        let Some(dialog) = dialog.get() else { return };
        if open.get() {
            let settings = tin_can.settings.get_untracked();
            ice_servers.set(settings.ice_servers_text());
            turn_username.set(settings.turn_username);
            turn_credential.set(settings.turn_credential);
            relay_only.set(settings.relay_only);
            display_name.set(settings.display_name);
            error.set(None);
            if !dialog.open() {
                let _ = dialog.show_modal();
            }
        } else if dialog.open() {
            dialog.close();
        }
    });

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parsed = Settings::from_form(
            &ice_servers.get_untracked(),
            &turn_username.get_untracked(),
            &turn_credential.get_untracked(),
            relay_only.get_untracked(),
        )
        .map(|settings| settings.with_display_name(&display_name.get_untracked()));
        match parsed
            .map_err(|e| e.to_string())
            .and_then(|settings| tin_can.save_settings(settings))
        {
            Ok(()) => open.set(false),
            Err(message) => error.set(Some(message)),
        }
    };

    view! {
        <dialog node_ref=dialog class="settings" aria-labelledby="settings-title" on:close=move |_| open.set(false)>
            <form on:submit=save>
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
                <p id="ice-help" class="hint">"One STUN or TURN URL per line. They help browsers on different networks find each other. Leave empty to connect only within the same network. Applies to the next invite."</p>
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
                <label class="check">
                    <input type="checkbox" aria-describedby="relay-help"
                        prop:checked=move || relay_only.get()
                        on:change=move |ev| relay_only.set(event_target_checked(&ev))/>
                    "Relay only (hide my IP address)"
                </label>
                <p id="relay-help" class="hint">"Links then carry only your TURN relay’s address, not yours. Needs a TURN server above; the chat stays end-to-end encrypted through the relay."</p>
                {move || error.get().map(|text| view! { <p class="alert" role="alert">{text}</p> })}
                <div class="actions end">
                    <button type="button" class="secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="submit" class="primary">"Save"</button>
                </div>
            </form>
        </dialog>
    }
}
