use leptos::html;
use leptos::prelude::*;

use crate::app::TinCan;
use crate::components::app::StartOver;
use crate::core::chat::ChatMessage;
use crate::core::session::Phase;
use crate::web::browser::{clock_text, iso_time};

#[component]
pub fn ChatView() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let connected = move || tin_can.phase.with(|p| *p == Phase::Connected);
    view! {
        <SafetyCode/>
        <section class="card chat">
            <MessageList/>
            <Show when=connected fallback=|| view! {
                <p class="hint">"The chat has ended. Start over to invite someone again."</p>
                <StartOver/>
            }>
                <Composer/>
            </Show>
        </section>
    }
}

#[component]
fn SafetyCode() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    view! {
        <section class="card safety">
            <h2>"Safety code"</h2>
            <p class="code" data-testid="safety-code">{move || tin_can.safety_code.get().unwrap_or_default()}</p>
            <p class="hint">"Read this code to each other by voice or in person: if both screens show the same digits, nobody intercepted your links."</p>
        </section>
    }
}

#[component]
fn MessageList() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let list = NodeRef::<html::Ol>::new();
    // Follow new messages: scroll to the end whenever the list changes.
    Effect::new(move |_| {
        tin_can.chat.with(|chat| chat.messages().len());
        if let Some(list) = list.get() {
            list.set_scroll_top(list.scroll_height());
        }
    });
    view! {
        <ol class="messages" role="log" aria-label="Messages" aria-live="polite" node_ref=list tabindex="0">
            <For
                each=move || tin_can.chat.with(|chat| chat.messages().to_vec())
                key=|message| message.id
                children=move |message: ChatMessage| view! { <Message message/> }
            />
        </ol>
    }
}

#[component]
fn Message(message: ChatMessage) -> impl IntoView {
    // Text nodes only: whatever the peer sends is shown, never interpreted as markup.
    view! {
        <li class="message" data-author=message.author.as_attr()>
            <p class="text">{message.text}</p>
            <time datetime=iso_time(message.at_ms)>{clock_text(message.at_ms)}</time>
        </li>
    }
}

#[component]
fn Composer() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let draft = RwSignal::new(String::new());
    let box_ref = NodeRef::<html::Textarea>::new();
    let send = move || {
        if tin_can.send(&draft.get_untracked()) {
            draft.set(String::new());
        }
        if let Some(input) = box_ref.get() {
            let _ = input.focus();
        }
    };
    view! {
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); send(); }>
            <label for="message" class="visually-hidden">"Message"</label>
            <textarea id="message" rows="2" placeholder="Write a message… (Enter sends, Shift+Enter for a new line)"
                node_ref=box_ref
                prop:value=move || draft.get()
                on:input=move |ev| draft.set(event_target_value(&ev))
                on:keydown=move |ev| {
                    if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                        ev.prevent_default();
                        send();
                    }
                }></textarea>
            <button type="submit" class="primary">"Send"</button>
        </form>
    }
}
