use leptos::html;
use leptos::prelude::*;

use crate::app::TinCan;
use crate::components::app::StartOver;
use crate::components::history::ConversationList;
use crate::components::transfers::{AttachFile, TransferList};
use crate::core::chat::{Author, ChatMessage};
use crate::core::session::Phase;
use crate::web::browser::{clock_text, iso_time};

#[component]
pub fn ChatView() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let connected = move || tin_can.phase.with(|p| *p == Phase::Connected);
    view! {
        <ChatHeader/>
        <Show when=move || tin_can.safety_code.with(Option::is_some) && connected()>
            <SafetyCode/>
        </Show>
        <section class="card chat">
            <MessageList/>
            <TypingIndicator/>
            <TransferList/>
            <Show when=connected><AttachFile/></Show>
            <Composer/>
        </section>
        <Show when=move || !connected()>
            <ConversationList/>
        </Show>
    }
}

/// Who the chat is with and, when it is not live, how to bring it back.
#[component]
fn ChatHeader() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let title = move || {
        tin_can
            .conversation
            .with(|c| match c.as_ref().and_then(|c| c.peer_name.clone()) {
                Some(name) => format!("Chat with {name}"),
                None => "Chat".to_owned(),
            })
    };
    let pending = move || {
        tin_can
            .conversation
            .with(|c| c.as_ref().map_or(0, |c| c.pending_count()))
    };
    view! {
        <section class="card chat-header">
            <h2>{title}</h2>
            <Show when=move || tin_can.phase.with(|p| *p != Phase::Connected)>
                <p class="hint">
                    "Not connected. Messages you write now wait as pending and go out when you reconnect."
                    {move || match pending() {
                        0 => String::new(),
                        1 => " 1 message is pending.".to_owned(),
                        n => format!(" {n} messages are pending."),
                    }}
                </p>
                <div class="actions">
                    <button type="button" class="primary" on:click=move |_| tin_can.reconnect()>"Reconnect"</button>
                    <button type="button" class="secondary" on:click=move |_| tin_can.create_invite()>"Create invite"</button>
                    <StartOver/>
                </div>
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
        tin_can
            .conversation
            .with(|c| c.as_ref().map(|c| c.messages().len()));
        if let Some(list) = list.get() {
            list.set_scroll_top(list.scroll_height());
        }
    });
    view! {
        <ol class="messages" role="log" aria-label="Messages" aria-live="polite" node_ref=list tabindex="0"
            data-dropped-frames=move || tin_can.dropped_frames.get()>
            <For
                each=move || tin_can.conversation.with(|c| c.as_ref().map(|c| c.messages().to_vec()).unwrap_or_default())
                // Keyed by id and delivery so a receipt re-renders just that message.
                key=|message| (message.id, message.delivery)
                children=move |message: ChatMessage| view! { <Message message/> }
            />
        </ol>
    }
}

#[component]
fn Message(message: ChatMessage) -> impl IntoView {
    // Text nodes only: whatever the peer sends is shown, never interpreted as markup.
    let own = message.author == Author::Me;
    view! {
        <li class="message" data-author=message.author.as_attr()
            data-delivery=own.then(|| message.delivery.as_attr())>
            <p class="text">{message.text}</p>
            <p class="meta">
                <time datetime=iso_time(message.at_ms)>{clock_text(message.at_ms)}</time>
                {own.then(|| view! { <span class="delivery">{message.delivery.label()}</span> })}
            </p>
        </li>
    }
}

#[component]
fn TypingIndicator() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let who = move || {
        tin_can.conversation.with(|c| {
            c.as_ref()
                .and_then(|c| c.peer_name.clone())
                .unwrap_or_else(|| "The other person".to_owned())
        })
    };
    view! {
        <p class="typing" aria-live="polite">
            {move || tin_can.peer_typing.get().then(|| format!("{} is typing…", who()))}
        </p>
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
                on:input=move |ev| {
                    draft.set(event_target_value(&ev));
                    tin_can.typing();
                }
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
