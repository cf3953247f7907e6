//! Identities on screen: the verified badge, Mark as verified, the warning when a peer comes back
//! with another identity, and Settings' "Your identity" with Reset identity.

use leptos::prelude::*;

use crate::app::TinCan;
use crate::core::identity::Alert;
use crate::core::session::Phase;
use crate::web::browser::iso_time;

/// In the chat's header once the conversation's peer is verified, connected or not.
#[component]
pub fn VerifiedBadge() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    view! {
        {move || tin_can.peer_verified().then(|| view! {
            <p class="verified-badge" data-testid="verified-badge"
                title="You compared the safety code with this person and marked them verified.">
                <span aria-hidden="true">"✓"</span>
                <span class="badge-word">" Verified"</span>
            </p>
        })}
    }
}

/// Under the safety code: mark the peer verified once the code was compared, or take it back.
#[component]
pub fn VerifyControls() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let judged = move || {
        tin_can
            .identity
            .peer
            .with(|peer| peer.as_ref().is_some_and(|peer| !peer.held()))
    };
    view! {
        <Show when=judged>
            // One button whose words change, not two that replace each other: the focus stays
            // on it when it is pressed from the keyboard.
            <div class="actions">
                <button type="button" class=move || if tin_can.peer_verified() { "secondary" } else { "primary" }
                    on:click=move |_| if tin_can.peer_verified() { tin_can.unmark_verified() } else { tin_can.mark_verified() }>
                    {move || if tin_can.peer_verified() { "Unmark verified" } else { "Mark as verified" }}
                </button>
                <Show when=move || !tin_can.peer_verified()>
                    <span class="hint">"Only after you compared the code. It stays the same on every reconnect; if it ever changes, Tin Can warns you."</span>
                </Show>
            </div>
        </Show>
        {move || tin_can.identity.session_only.get().map(|why| view! { <p class="hint">{why}</p> })}
    }
}

/// The peer came back with a changed identity: nothing goes until the user accepts it. For a
/// peer verified before, a blocking warning (an alert dialog); otherwise a clear notice.
#[component]
pub fn IdentityWarning() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let alert = move || {
        tin_can.identity.peer.with(|peer| {
            peer.as_ref()
                .filter(|peer| peer.held())
                .map(|peer| peer.judgement.alert())
        })
    };
    let who = move || {
        tin_can.chat.conversation.with(|c| {
            c.as_ref()
                .and_then(|c| c.peer_name.clone())
                .unwrap_or_else(|| "The other person".to_owned())
        })
    };
    let connected = move || tin_can.connection.phase.with(|p| *p == Phase::Connected);
    let code = move || tin_can.connection.safety_code.get().unwrap_or_default();
    let buttons = move || {
        view! {
            <div class="actions">
                <button type="button" class="primary" on:click=move |_| tin_can.accept_identity()>"Accept new identity"</button>
                <button type="button" class="secondary danger" on:click=move |_| tin_can.decline_identity()>"Decline"</button>
            </div>
        }
    };
    view! {
        {move || match alert().filter(|_| connected()) {
            Some(Alert::Blocking) => Some(view! {
                <section class="card identity-warning blocking" role="alertdialog"
                    aria-labelledby="identity-warning-title" aria-describedby="identity-warning-text"
                    data-testid="identity-warning" data-alert="blocking">
                    <h2 id="identity-warning-title">"Warning: this is not the browser you verified"</h2>
                    <p id="identity-warning-text">{move || format!(
                        "{} is connected with a different identity than the one you verified. They may have reset Tin Can or switched browsers, or someone is sitting between you and reading along. Nothing has been sent: your messages stay pending and files wait. Compare the new safety code by voice or in person, and accept it only if it matches.",
                        who()
                    )}</p>
                    <p class="code" data-testid="new-safety-code">{code}</p>
                    {buttons()}
                </section>
            }.into_any()),
            Some(Alert::Notice) => Some(view! {
                <section class="card identity-warning notice" role="alert"
                    data-testid="identity-warning" data-alert="notice">
                    <h2>"The other browser’s identity changed"</h2>
                    <p>{move || format!(
                        "{} is connected with a different identity than last time (a reset, another browser, or someone in between). Nothing has been sent yet: your messages stay pending and files wait. Compare the new safety code, then accept it to go on.",
                        who()
                    )}</p>
                    <p class="code" data-testid="new-safety-code">{code}</p>
                    {buttons()}
                </section>
            }.into_any()),
            Some(Alert::Quiet) | None => None,
        }}
    }
}

/// Settings' section on this browser's identity, with Reset identity (after a warning).
#[component]
pub fn IdentitySettings() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let asking = RwSignal::new(false);
    let kept_until = move || {
        tin_can
            .identity
            .expires_ms
            .get()
            .map(|ms| iso_time(ms).chars().take(10).collect::<String>())
    };
    view! {
        <section class="identity-settings" aria-labelledby="identity-title">
            <h3 id="identity-title">"Your identity"</h3>
            <p class="hint">{move || match (tin_can.identity.session_only.get(), kept_until()) {
                (Some(why), _) => why,
                (None, Some(date)) => format!("Tin Can proves the same identity on every connection (a certificate kept in this browser; renewed before {date}, and announced to your peers first), so your safety code with each person stays the same: compare it once and mark them verified."),
                (None, None) => "Tin Can proves the same identity on every connection, so your safety code with each person stays the same.".to_owned(),
            }}</p>
            {move || if asking.get() {
                view! {
                    <div class="confirm" role="alertdialog" aria-labelledby="reset-identity-question">
                        <p id="reset-identity-question">"Make a new identity? Everyone you talk to will see a changed identity on your next connection and a warning; those who verified you must compare the safety code again. Use this if you think someone got hold of this browser’s data."</p>
                        <div class="actions">
                            <button type="button" class="primary danger" on:click=move |_| {
                                asking.set(false);
                                tin_can.reset_identity();
                            }>"Make a new identity"</button>
                            <button type="button" class="secondary" on:click=move |_| asking.set(false)>"Keep my identity"</button>
                        </div>
                    </div>
                }.into_any()
            } else {
                view! {
                    <div class="actions">
                        <button type="button" class="secondary danger" disabled=move || tin_can.identity.resetting.get()
                            on:click=move |_| asking.set(true)>"Reset identity"</button>
                    </div>
                }.into_any()
            }}
            {move || tin_can.identity.status.get().map(|outcome| match outcome {
                Ok(text) => view! { <p class="notice" role="status">{text}</p> }.into_any(),
                Err(text) => view! { <p class="alert" role="alert">{text}</p> }.into_any(),
            })}
        </section>
    }
}
