use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_split_helpers::{wasm_split, SplitLoaderError};

use crate::app::TinCan;
use crate::components::call::CallControls;
use crate::components::group::{GroupActions, GroupLog, GroupPanels, GroupTyping};
use crate::components::history::ConversationList;
use crate::components::icons::{Icon, IconSvg};
use crate::components::identity::{IdentityWarning, VerifiedBadge, VerifyControls};
use crate::components::notices::Notices;
use crate::components::start_over::StartOver;
use crate::components::storage::StorageProblem;
use crate::components::transfers::{AttachFile, TransferList};
use crate::core::chat::{Author, ChatMessage};
use crate::core::session::Phase;
use crate::web::browser::{clock_text, focus_was_lost, iso_time};
use wasm_bindgen::JsCast;

/// Whether a panel above the log is open, shared by the header's button that opens it and the
/// panel; the button is where focus goes back when the panel closes.
#[derive(Clone, Copy)]
pub struct HeaderPanel {
    pub(crate) open: RwSignal<bool>,
    pub(crate) button: NodeRef<html::Button>,
}

impl HeaderPanel {
    fn new() -> Self {
        Self {
            open: RwSignal::new(false),
            button: NodeRef::new(),
        }
    }

    pub(crate) fn close(self) {
        self.open.set(false);
        if let Some(button) = self.button.get_untracked() {
            let _ = button.focus();
        }
    }
}

/// The chat's panels opened from its header: the safety code, and a group's members.
#[derive(Clone, Copy)]
pub struct HeaderPanels {
    pub safety: HeaderPanel,
    pub members: HeaderPanel,
}

impl HeaderPanels {
    pub fn new() -> Self {
        Self {
            safety: HeaderPanel::new(),
            members: HeaderPanel::new(),
        }
    }
}

/// A panel opened from the header takes the focus: opened from the keyboard, it is where the
/// reader goes next.
pub(crate) fn focused_when_shown() -> NodeRef<html::Section> {
    let section = NodeRef::<html::Section>::new();
    Effect::new(move |_| {
        if let Some(section) = section.get() {
            let _ = section.focus();
        }
    });
    section
}

pub(crate) fn is_connected(tin_can: TinCan) -> bool {
    tin_can.connection.phase.with(|p| *p == Phase::Connected)
}

/// The pieces of the chat screen. They are built in a part of the wasm of their own (README,
/// "Shipped size"), fetched as soon as a chat is on its way ([`prepare_chat_part`]): the start
/// screen does not wait for them, and they are there when the chat shows.
#[derive(Clone, Copy, PartialEq)]
pub enum ChatPiece {
    /// The header's first line: who the chat is with.
    Title,
    /// Beside the status: how the chat runs.
    Path,
    /// The header's buttons.
    Actions,
    /// The chat itself: notes, log, transfers, composer.
    Screen,
}

#[wasm_split(chat, fallible, preload(load_chat_part))]
fn chat_piece(piece: ChatPiece) -> Result<AnyView, SplitLoaderError> {
    Ok(match piece {
        ChatPiece::Title => view! { <PeerTitle/> }.into_any(),
        ChatPiece::Path => view! { <ConnectionPath/> }.into_any(),
        ChatPiece::Actions => view! { <ChatActions/> }.into_any(),
        ChatPiece::Screen => view! { <ChatView/> }.into_any(),
    })
}

/// Fetches the chat screen's part, unless it is there already.
pub fn prepare_chat_part() {
    spawn_local(async {
        // A failure shows where the chat would be (`ChatPart`), which tries again.
        let _ = load_chat_part().await;
    });
}

/// One piece of the chat screen: nothing while its part is on its way (once it is there, the
/// piece shows in the same turn), and in place of the chat, if the part cannot be fetched,
/// what happened and the way out.
#[component]
pub fn ChatPart(piece: ChatPiece) -> impl IntoView {
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                chat_piece(piece).await.unwrap_or_else(|_| {
                    if piece != ChatPiece::Screen {
                        return ().into_any();
                    }
                    view! {
                        <section class="chat" aria-label="Chat">
                            <p class="alert" role="alert">
                                "The chat could not be loaded: this browser could not fetch that part of Tin Can. Check the connection, then reload the page; your conversations are kept."
                            </p>
                            <StartOver/>
                        </section>
                    }
                    .into_any()
                })
            })}
        </Suspense>
    }
}

/// The safety code is shown once connected and the code is known.
fn has_safety_code(tin_can: TinCan) -> bool {
    tin_can.connection.safety_code.with(Option::is_some) && is_connected(tin_can)
}

/// The chat screen below the header: notes (identity warning, safety code, not connected,
/// storage) above the log, which takes the rest of the height, and the composer at the bottom.
#[component]
fn ChatView() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let panel = expect_context::<HeaderPanels>().safety;
    let connected = move || is_connected(tin_can);
    // A panel left open does not come back by itself on the next connection.
    Effect::new(move |_| {
        if !connected() {
            panel.open.set(false);
        }
    });
    view! {
        <section class="chat" aria-label="Chat">
            <div class="chat-notes">
                <Notices/>
                <IdentityWarning/>
                <Show when=move || panel.open.get() && has_safety_code(tin_can)>
                    <SafetyCodePanel/>
                </Show>
                <Show when=move || !connected()>
                    <NotConnected/>
                </Show>
                <GroupPanels/>
                <StorageProblem/>
            </div>
            <Show when=move || tin_can.groups.active.get() fallback=|| view! {
                <MessageList/>
                <TypingIndicator/>
                <TransferList/>
            }>
                <GroupLog/>
                <GroupTyping/>
                <TransferList/>
            </Show>
            <Composer/>
        </section>
        <Show when=move || !connected()>
            <ConversationList/>
        </Show>
    }
}

/// The header's first line in the chat: who it is with. The heading reads "Chat with <name>"
/// (what screen readers and the tests find); the screen shows the name alone.
#[component]
fn PeerTitle() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let name = move || {
        tin_can
            .chat
            .conversation
            .with(|c| c.as_ref().and_then(|c| c.peer_name.clone()))
    };
    let group_size = move || {
        tin_can
            .groups
            .active
            .get()
            .then(|| tin_can.groups.members.with(Vec::len))
    };
    view! {
        <div class="peer">
            <h2 class="peer-name">
                {move || match (group_size(), name()) {
                    (Some(n), _) => format!("Group · {n} people").into_any(),
                    (None, Some(name)) => view! { <span class="visually-hidden">"Chat with "</span>{name} }.into_any(),
                    (None, None) => "Chat".into_any(),
                }}
            </h2>
            <VerifiedBadge/>
        </div>
    }
}

/// Beside the status in the chat's header: "Direct" or "Through a relay: …", with the round
/// trip, once the browser has chosen a path.
#[component]
fn ConnectionPath() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let path = move || {
        tin_can
            .connection
            .path
            .with(|path| path.as_ref().map(|path| (path.label(), path.is_relayed())))
            .filter(|_| is_connected(tin_can))
    };
    view! {
        {move || path().map(|(label, relayed)| view! {
            <span class="path" data-testid="connection-path" data-relayed=relayed.to_string()>{label}</span>
        })}
    }
}

/// The chat header's buttons while connected: the calls, the safety code, and the way out of
/// a live chat (the other side is told, the conversation stays stored).
#[component]
fn ChatActions() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let panel = expect_context::<HeaderPanels>().safety;
    view! {
        <Show when=move || is_connected(tin_can)>
            // Calls run over the live chat's connection only: not offered in a group (a call
            // with each member is a mesh of media, a separate piece of work).
            <Show when=move || !tin_can.groups.active.get()>
                <CallControls/>
            </Show>
            <GroupActions/>
            <Show when=move || has_safety_code(tin_can)>
                <button type="button" class="ghost icon-button" node_ref=panel.button
                    aria-controls="safety-panel" aria-expanded=move || panel.open.get().to_string()
                    on:click=move |_| panel.open.update(|open| *open = !*open)>
                    <IconSvg icon=Icon::Shield/>
                    <span class="label">"Safety code"</span>
                </button>
            </Show>
            <button type="button" class="ghost icon-button" on:click=move |_| tin_can.start_over()>
                <IconSvg icon=Icon::Leave/>
                <span class="label">"Start over"</span>
            </button>
        </Show>
    }
}

/// Above the log while the chat is not live: what that means and how to bring it back.
#[component]
fn NotConnected() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let pending = move || {
        tin_can
            .chat
            .conversation
            .with(|c| c.as_ref().map_or(0, |c| c.pending_count()))
    };
    view! {
        <div class="not-connected">
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
        </div>
    }
}

/// The safety code and Mark as verified, opened from the header. Escape or Close shuts it and
/// puts focus back on the header's button.
#[component]
fn SafetyCodePanel() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let panel = expect_context::<HeaderPanels>().safety;
    let section = focused_when_shown();
    // Escape closes it wherever focus is (pressing Mark as verified replaces the focused
    // button), except inside a dialog, whose own Escape that is.
    let on_escape = window_event_listener(ev::keydown, move |event| {
        let in_dialog = event
            .target()
            .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|element| element.closest("dialog").ok().flatten().is_some());
        if event.key() == "Escape" && !in_dialog && !event.default_prevented() {
            event.prevent_default();
            panel.close();
        }
    });
    on_cleanup(move || on_escape.remove());
    view! {
        <section id="safety-panel" class="safety-panel" aria-labelledby="safety-title" tabindex="-1" node_ref=section>
            <div class="panel-head">
                <h2 id="safety-title">"Safety code"</h2>
                <button type="button" class="ghost" on:click=move |_| panel.close()>"Close"</button>
            </div>
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
    let list = NodeRef::<html::Div>::new();
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
    // Connecting from the keyboard removed the focused Connect button: the log takes focus,
    // and Tab goes on to the message box.
    Effect::new(move |_| {
        if let Some(list) = list.get() {
            if focus_was_lost() {
                let _ = list.focus();
            }
        }
    });
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
        // The log scrolls; the list inside keeps its list semantics (a role on the list itself
        // would leave its items without one).
        <div class="messages" role="log" aria-label="Messages" aria-live="polite" node_ref=list tabindex="0"
            data-total=move || tin_can.chat.conversation.with(|c| c.as_ref().map_or(0, |c| c.messages().len()))
            data-dropped-frames=move || tin_can.connection.dropped_frames.get()>
            <ol class="message-list">
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
        </div>
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
            <Show when=move || is_connected(tin_can)><AttachFile/></Show>
            <label for="message" class="visually-hidden">"Message"</label>
            <textarea id="message" rows="1" placeholder="Write a message…" aria-describedby="message-keys"
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
            <span id="message-keys" class="visually-hidden">"Enter sends, Shift+Enter starts a new line."</span>
            <button type="button" class="primary icon-button send" on:click=move |_| send()>
                <IconSvg icon=Icon::Send/>
                <span class="label">"Send"</span>
            </button>
        </form>
    }
}
