use leptos::html;
use leptos::prelude::*;

use crate::app::TinCan;
use crate::components::history::ConversationList;
use crate::components::identity::{IdentityWarning, VerifiedBadge, VerifyControls};
use crate::components::start_over::StartOver;
use crate::components::storage::StorageProblem;
use crate::components::transfers::{AttachFile, TransferList};
use crate::core::chat::{Author, ChatMessage};
use crate::core::session::Phase;
use crate::web::browser::{clock_text, iso_time};

#[component]
pub fn ChatView() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let connected = move || tin_can.connection.phase.with(|p| *p == Phase::Connected);
    view! {
        <ChatHeader/>
        <IdentityWarning/>
        <Show when=move || tin_can.connection.safety_code.with(Option::is_some) && connected()>
            <SafetyCode/>
        </Show>
        <section class="card chat">
            <StorageProblem/>
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
            .chat
            .conversation
            .with(|c| match c.as_ref().and_then(|c| c.peer_name.clone()) {
                Some(name) => format!("Chat with {name}"),
                None => "Chat".to_owned(),
            })
    };
    let pending = move || {
        tin_can
            .chat
            .conversation
            .with(|c| c.as_ref().map_or(0, |c| c.pending_count()))
    };
    // Shown once the browser has chosen a path: "Direct" or "Through a relay: …", with the
    // round trip.
    let path = move || {
        tin_can
            .connection
            .path
            .with(|path| path.as_ref().map(|path| (path.label(), path.is_relayed())))
    };
    view! {
        <section class="card chat-header">
            <h2>{title}</h2>
            <VerifiedBadge/>
            {move || path().filter(|_| tin_can.connection.phase.with(|p| *p == Phase::Connected)).map(|(label, relayed)| view! {
                <p class="path" data-testid="connection-path" data-relayed=relayed.to_string()>{label}</p>
            })}
            // The way out of a live chat: the other side is told, the conversation stays stored.
            <Show when=move || tin_can.connection.phase.with(|p| *p == Phase::Connected)>
                <crate::components::call::CallControls/>
                <StartOver/>
            </Show>
            <Show when=move || tin_can.connection.phase.with(|p| *p != Phase::Connected)>
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
            <p class="code" data-testid="safety-code">{move || tin_can.connection.safety_code.get().unwrap_or_default()}</p>
            <p class="hint">"Read this code to each other by voice or in person: if both screens show the same digits, nobody intercepted your links."</p>
            <VerifyControls/>
        </section>
    }
}

/// Messages on screen at first, and how many more "Show earlier messages" adds. Every change
/// re-diffs the shown list, so its length bounds the cost of a message arriving. Measured with
/// `scripts/bench.sh` (10,000-message burst): the whole history shown took 4.3 s (quadratic),
/// 500 shown 1.5 s, 200 shown 1.1 s.
const SHOWN_STEP: usize = 200;

#[component]
fn MessageList() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let list = NodeRef::<html::Ol>::new();
    // How many are shown, and in which conversation: another conversation starts again at the
    // newest SHOWN_STEP.
    let expanded = RwSignal::new((0u64, SHOWN_STEP));
    let current_tag = move || {
        tin_can
            .chat
            .conversation
            .with(|c| c.as_ref().map_or(0, |c| conversation_tag(&c.id)))
    };
    let shown = move || {
        let (tag, count) = expanded.get();
        if tag == current_tag() {
            count
        } else {
            SHOWN_STEP
        }
    };
    let hidden = move || {
        tin_can.chat.conversation.with(|c| {
            c.as_ref()
                .map_or(0, |c| c.messages().len().saturating_sub(shown()))
        })
    };
    // Follow new messages, at most once per frame: reading the list's height forces a layout,
    // and a burst of messages would otherwise force one per message.
    let scroll_scheduled = StoredValue::new(false);
    Effect::new(move |_| {
        tin_can
            .chat
            .conversation
            .with(|c| c.as_ref().map(|c| c.messages().len()));
        if scroll_scheduled.get_value() {
            return;
        }
        scroll_scheduled.set_value(true);
        request_animation_frame(move || {
            // The list may be gone by the next frame (the view changed): then there is nothing
            // to scroll.
            scroll_scheduled.try_set_value(false);
            if let Some(list) = list.try_get_untracked().flatten() {
                list.set_scroll_top(list.scroll_height());
            }
        });
    });
    view! {
        <Show when=move || { hidden() > 0 }>
            <button type="button" class="secondary earlier" on:click=move |_| expanded.set((current_tag(), shown() + SHOWN_STEP))>
                {move || match hidden() {
                    1 => "Show 1 earlier message".to_owned(),
                    n => format!("Show {} earlier messages", n.min(SHOWN_STEP)),
                }}
            </button>
        </Show>
        <ol class="messages" role="log" aria-label="Messages" aria-live="polite" node_ref=list tabindex="0"
            data-total=move || tin_can.chat.conversation.with(|c| c.as_ref().map_or(0, |c| c.messages().len()))
            data-dropped-frames=move || tin_can.connection.dropped_frames.get()>
            <For
                // Keys only: which conversation (message ids start at 0 in each), the message id,
                // and its delivery state (so a receipt re-renders just that message). The
                // message itself is looked up when its row is made.
                each=move || {
                    let shown = shown();
                    tin_can.chat.conversation.with(|c| match c {
                        Some(c) => {
                            let which = conversation_tag(&c.id);
                            c.render_keys(shown).into_iter().map(|(id, delivery, unsaved)| (which, id, delivery, unsaved)).collect()
                        }
                        None => Vec::new(),
                    })
                }
                key=|key| *key
                children=move |(_, id, _, unsaved)| {
                    tin_can.chat.conversation
                        .with_untracked(|c| c.as_ref().and_then(|c| c.message(id).cloned()))
                        .map(|message| view! { <Message message unsaved/> })
                }
            />
        </ol>
    }
}

/// A short number standing for a conversation id in list keys.
fn conversation_tag(id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut hasher);
    hasher.finish()
}

#[component]
fn Message(message: ChatMessage, unsaved: bool) -> impl IntoView {
    // Text nodes only: whatever the peer sends is shown, never interpreted as markup.
    let own = message.author == Author::Me;
    view! {
        <li class="message" data-author=message.author.as_attr()
            data-delivery=own.then(|| message.delivery.as_attr())
            data-saved=unsaved.then_some("false")>
            <p class="text">{message.text}</p>
            <p class="meta">
                {unsaved.then(|| view! { <span class="unsaved">"Not saved"</span> })}
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
        tin_can.chat.conversation.with(|c| {
            c.as_ref()
                .and_then(|c| c.peer_name.clone())
                .unwrap_or_else(|| "The other person".to_owned())
        })
    };
    view! {
        <p class="typing" aria-live="polite">
            {move || tin_can.chat.peer_typing.get().then(|| format!("{} is typing…", who()))}
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
        // Send is a plain button, not a submit button: Chromium's form submission steps cost
        // about 0.4 ms per message even when the submit event is cancelled (measured: a burst
        // sent through requestSubmit ran 8x slower than the same sends from a click handler).
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
            <button type="button" class="primary" on:click=move |_| send()>"Send"</button>
        </form>
    }
}
