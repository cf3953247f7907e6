use std::time::Duration;

use leptos::ev;
use leptos::prelude::*;

use crate::app::{StorageState, TinCan};
use crate::components::chat::{prepare_chat_part, ChatPart, ChatPiece, HeaderPanels};
use crate::components::icons::{Icon, IconSvg};
use crate::components::link_share::{AnswerView, InviteView};
use crate::components::notices::Notices;
use crate::components::settings::SettingsDialog;
use crate::components::start::StartView;
use crate::components::start_over::StartOver;
use crate::components::storage::UnlockView;
use crate::components::update::UpdatePrompt;
use crate::core::links::{route, Route};
use crate::core::session::{Screen, ScreenChange};
use crate::web::browser::location_hash;
use crate::web::peer::warm_up;

#[component]
pub fn App() -> impl IntoView {
    let tin_can = TinCan::new();
    provide_context(tin_can);

    // The fragment is the app's only input from outside: read it now and whenever it changes
    // (a link opened in this tab is a same-document navigation).
    tin_can.open_location();
    let on_hash = window_event_listener(ev::hashchange, move |_| tin_can.open_location());
    let on_hide = window_event_listener(ev::pagehide, move |_| tin_can.say_goodbye());
    on_cleanup(move || {
        on_hash.remove();
        on_hide.remove();
    });

    let settings_open = RwSignal::new(false);
    // Nothing of the conversations shows until storage is open, and unlocked.
    // Nor does anything that could start a connection before this browser's identity is settled
    // (a moment at load).
    let gate = Memo::new(move |_| {
        let identity_ready = tin_can.identity.ready.get();
        tin_can.storage.state.with(|s| match s {
            StorageState::Opening => Gate::Opening,
            StorageState::Open | StorageState::Unavailable(_) if !identity_ready => Gate::Opening,
            StorageState::Locked | StorageState::Unlocking => Gate::Locked,
            StorageState::Open | StorageState::Unavailable(_) => Gate::Open,
        })
    });
    // A first visit (no link in the address bar) has nothing stored to show or unlock: its
    // start screen comes at once, without the storage and identity reads, which matter on a
    // slow phone. "Create invite" pressed meanwhile waits for them on the busy screen.
    let early_start = tin_can.chat.first_visit && route(&location_hash()) == Route::Home;
    let shown = Memo::new(move |_| match gate.get() {
        Gate::Opening if early_start => Gate::Open,
        gate => gate,
    });
    // WebRTC is warmed up once the first screen is usable, unless a link already started a
    // connection. Not sooner: on a slow phone the warm-up would hold back the storage and
    // identity reads the first screen waits for.
    let warmed_up = StoredValue::new(false);
    Effect::new(move |_| {
        if gate.get() == Gate::Open && !warmed_up.get_value() {
            warmed_up.set_value(true);
            set_timeout(
                move || {
                    if !tin_can.has_peer() {
                        warm_up();
                    }
                },
                Duration::ZERO,
            );
        }
    });
    let screen = Memo::new(move |_| {
        let known = tin_can
            .chat
            .conversation
            .with(|c| c.as_ref().is_some_and(|c| c.peer_id.is_some()));
        tin_can.connection.phase.with(|phase| phase.screen(known))
    });

    // The screen on display follows `screen` with the timing `Screen::change_to` decides: the
    // busy "Connecting" screen only when connecting takes a while, and the invitee's chat once
    // the inviter's hello named its conversation (and was answered).
    let on_display = RwSignal::new(screen.get_untracked());
    let conversation_shown = Memo::new(move |_| tin_can.chat.conversation.with(Option::is_some));
    Effect::new(move |_| {
        let next = screen.get();
        let shown = conversation_shown.get();
        let later = match on_display.with_untracked(|on_display| on_display.change_to(&next, shown))
        {
            ScreenChange::Now => {
                on_display.set(next);
                return;
            }
            ScreenChange::After(ms) => Duration::from_millis(u64::from(ms)),
        };
        // Unless another screen is due by then.
        set_timeout(
            move || {
                if screen.with_untracked(|current| *current == next) {
                    on_display.set(next);
                }
            },
            later,
        );
    });
    // The chat screen's part is fetched once a chat is on its way (an invite made or opened),
    // not with a first visit's start screen (`components::chat::ChatPart`). A returning browser
    // fetches it at once: its first screen may be a stored conversation.
    let chat_part_asked = StoredValue::new(false);
    let returning = !tin_can.chat.first_visit;
    Effect::new(move |_| {
        let chat_ahead = returning || screen.with(|s| *s != Screen::Start);
        if chat_ahead && !chat_part_asked.get_value() {
            chat_part_asked.set_value(true);
            prepare_chat_part();
        }
    });
    let displayed = Memo::new(move |_| on_display.get());
    // The chat screen takes the whole window: the header names the peer, the log fills the
    // rest and the composer stays at the bottom (issue #19).
    let on_chat = Memo::new(move |_| shown.get() == Gate::Open && displayed.get() == Screen::Chat);
    provide_context(HeaderPanels::new());

    view! {
        <div class="shell" data-screen=move || if on_chat.get() { "chat" } else { "page" }>
            <header class="top">
                <div class="title">
                    <div class="brand" class:visually-hidden=move || on_chat.get()>
                        <span class="logo" aria-hidden="true">"◎—◎"</span>
                        <h1>"Tin Can"</h1>
                    </div>
                    {move || on_chat.get().then(|| view! { <ChatPart piece=ChatPiece::Title/> })}
                    <p class="status-line">
                        <StatusBadge/>
                        {move || on_chat.get().then(|| view! { <ChatPart piece=ChatPiece::Path/> })}
                    </p>
                </div>
                {move || on_chat.get().then(|| view! { <ChatPart piece=ChatPiece::Actions/> })}
                <button type="button" class="ghost icon-button" on:click=move |_| settings_open.set(true)>
                    <IconSvg icon=Icon::Settings/>
                    <span class="label">"Settings"</span>
                </button>
            </header>
            <main>
                <UpdatePrompt/>
                // In the chat they show inside the chat, above the log.
                <Show when=move || !on_chat.get()>
                    <Notices/>
                </Show>
                {move || match shown.get() {
                    Gate::Opening => view! {
                        <section class="card center" aria-busy="true">
                            <div class="spinner" aria-hidden="true"></div>
                            <p>"Opening your conversations…"</p>
                        </section>
                    }.into_any(),
                    Gate::Locked => view! { <UnlockView/> }.into_any(),
                    Gate::Open => view! { <Screens screen=displayed/> }.into_any(),
                }}
            </main>
            <footer>
                "No server, no account, no tracking: messages go straight from browser to browser over an encrypted WebRTC channel."
            </footer>
        </div>
        <SettingsDialog open=settings_open/>
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Gate {
    Opening,
    Locked,
    Open,
}

#[component]
fn Screens(screen: Memo<Screen>) -> impl IntoView {
    view! {
            {move || match screen.get() {
                Screen::Start => view! { <StartView/> }.into_any(),
                Screen::Busy(doing) => view! {
                    <section class="card center" aria-busy="true">
                        <div class="spinner" aria-hidden="true"></div>
                        <p>{doing}</p>
                    </section>
                    // A way out while the browser works (an invitee that went away keeps
                    // "Connecting" up to its deadline).
                    <StartOver/>
                }.into_any(),
                Screen::Invite(link) => view! { <InviteView link/> }.into_any(),
                Screen::Answer(link) => view! { <AnswerView link/> }.into_any(),
                Screen::Chat => view! { <ChatPart piece=ChatPiece::Screen/> }.into_any(),
                Screen::Failed => view! { <StartOver/> }.into_any(),
            }}
    }
}

/// The connection's state, in the header on every screen. One element for the app's whole life,
/// so that screen readers announce each change (a live region made anew is not announced).
#[component]
fn StatusBadge() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    view! {
        <span class="status" role="status" data-testid="connection-status" data-tone=move || tin_can.connection.phase.with(|p| p.tone())>
            <span class="dot" aria-hidden="true"></span>
            {move || tin_can.connection.phase.with(|p| p.status_text())}
        </span>
    }
}
