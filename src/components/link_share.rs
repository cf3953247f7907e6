use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::app::TinCan;
use crate::components::qr::QrCodeImage;
use crate::components::scan::ScanQrCode;
use crate::components::start_over::StartOver;
use crate::core::scan::Expecting;
use crate::web::browser::focus_was_lost;
use crate::web::clipboard;

/// One link to hand over: read-only box, copy, share (where the browser can), QR code.
#[component]
pub(crate) fn LinkShare(
    link: String,
    /// Label of the read-only box, e.g. "Invite link".
    label: &'static str,
    input_id: &'static str,
    copy_label: &'static str,
    share_label: &'static str,
    qr_test_id: &'static str,
) -> impl IntoView {
    let copied = RwSignal::new(None::<Result<(), String>>);
    let tin_can = expect_context::<TinCan>();
    let copy_link = link.clone();
    let copy = move |_| {
        let link = copy_link.clone();
        spawn_local(async move {
            copied.set(Some(clipboard::copy_text(&link).await));
        });
    };
    let share_link = link.clone();
    let share = move |_| {
        let link = share_link.clone();
        spawn_local(async move {
            if let Err(message) = clipboard::share_link(
                "Tin Can",
                "Open this link to chat with me on Tin Can:",
                &link,
            )
            .await
            {
                tin_can.notices.alert.set(Some(message));
            }
        });
    };
    let select_all = |ev: leptos::ev::FocusEvent| {
        if let Some(input) = ev
            .target()
            .and_then(|target| target.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
        {
            input.select();
        }
    };
    view! {
        <div class="link-share">
          <div class="link-main">
            <label for=input_id>{label}</label>
            // A read-only text area, not an input: the whole link shows, wrapped, on a phone too.
            <textarea id=input_id class="link-text" rows="4" readonly prop:value=link.clone() on:focus=select_all spellcheck="false" autocomplete="off"></textarea>
            <div class="actions">
                <button type="button" class="primary" on:click=copy>{copy_label}</button>
                {clipboard::can_share().then(|| view! { <button type="button" class="secondary" on:click=share>{share_label}</button> })}
                <span class="copied" role="status">
                    {move || match copied.get() {
                        Some(Ok(())) => "Copied.".to_owned(),
                        Some(Err(message)) => message,
                        None => String::new(),
                    }}
                </span>
            </div>
          </div>
          <QrCodeImage text=link test_id=qr_test_id label="QR code of the link, to scan with a phone"/>
        </div>
    }
}

/// A new screen's heading takes the focus its previous screen lost (a keyboard user pressed a
/// button that went with it), so Tab goes on from the top of the new screen.
fn take_lost_focus() -> NodeRef<html::H2> {
    let heading = NodeRef::<html::H2>::new();
    Effect::new(move |_| {
        if let Some(heading) = heading.get() {
            if focus_was_lost() {
                let _ = heading.focus();
            }
        }
    });
    heading
}

#[component]
pub fn InviteView(link: String) -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let heading = take_lost_focus();
    let pasted = RwSignal::new(String::new());
    let connect = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tin_can.connect_with(&pasted.get_untracked());
    };
    view! {
        <section class="card">
            <h2 tabindex="-1" node_ref=heading>"1. Send this invite link"</h2>
            <p>"Send it to one person through any messenger. It works once, for one person."</p>
            <LinkShare link label="Invite link" input_id="invite-link" copy_label="Copy invite link"
                share_label="Share invite" qr_test_id="invite-qr"/>
        </section>
        <section class="card">
            <h2>"2. Paste their answer"</h2>
            <p>"They open your link and send back an answer link. Paste it here, or simply open it in this browser."</p>
            <form class="paste" on:submit=connect>
                <label for="answer-paste">"Paste the answer link"</label>
                <textarea id="answer-paste" rows="3" spellcheck="false" autocomplete="off"
                    placeholder="https://…#…"
                    prop:value=move || pasted.get()
                    on:input=move |ev| pasted.set(event_target_value(&ev))></textarea>
                <div class="actions">
                    <button type="submit" class="primary">"Connect"</button>
                </div>
            </form>
            <ScanQrCode expecting=Expecting::Answer on_link=move |link: String| { pasted.set(link.clone()); tin_can.connect_with(&link) }/>
        </section>
        <StartOver/>
    }
}

#[component]
pub fn AnswerView(link: String) -> impl IntoView {
    let heading = take_lost_focus();
    view! {
        <section class="card">
            <h2 tabindex="-1" node_ref=heading>"Send this answer back"</h2>
            <p class="lead">"Send this answer link back to the person who invited you. The chat opens as soon as they use it; the link stays valid for 30 minutes while this tab stays open."</p>
            <LinkShare link label="Answer link" input_id="answer-link" copy_label="Copy answer link"
                share_label="Share answer" qr_test_id="answer-qr"/>
        </section>
        <StartOver/>
    }
}
