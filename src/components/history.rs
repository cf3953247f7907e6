use leptos::prelude::*;

use crate::app::TinCan;
use crate::core::history::Summary;
use crate::web::browser::clock_text;

/// Stored conversations, most recent first, each with Open and Delete.
#[component]
pub fn ConversationList() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let on_screen = move || {
        tin_can
            .chat
            .conversation
            .with(|c| c.as_ref().map(|c| c.id.clone()))
    };
    view! {
        <Show when=move || tin_can.chat.history.with(|h| !h.summaries().is_empty())>
            <section class="card conversations" aria-labelledby="conversations-title">
                <h2 id="conversations-title">"Conversations"</h2>
                <p class="hint">"Kept only in this browser. Open one to read it or reconnect; Export saves it as a file."</p>
                <ul class="conversation-list">
                    <For
                        each=move || tin_can.chat.history.with(|h| h.summaries().to_vec())
                        key=|summary| (summary.id.clone(), summary.updated_ms.to_bits())
                        children=move |summary: Summary| {
                            let id = summary.id.clone();
                            let open_id = id.clone();
                            let export_id = id.clone();
                            let attr_id = id.clone();
                            let current = {
                                let id = id.clone();
                                move || on_screen().as_deref() == Some(id.as_str())
                            };
                            view! {
                                <li class="conversation" class:current=current.clone() data-conversation=attr_id>
                                    <div class="summary">
                                        <strong>{summary.title.clone()}</strong>
                                        <span class="preview">{summary.preview.clone()}</span>
                                        <time>{clock_text(summary.updated_ms)}</time>
                                    </div>
                                    <div class="actions">
                                        <button type="button" class="secondary"
                                            aria-label=format!("Open conversation: {}", summary.title)
                                            on:click=move |_| tin_can.open_conversation(&open_id)>"Open"</button>
                                        <button type="button" class="secondary"
                                            aria-label=format!("Export conversation: {}", summary.title)
                                            on:click=move |_| tin_can.export(Some(export_id.clone()))>"Export"</button>
                                        <button type="button" class="secondary danger"
                                            aria-label=format!("Delete conversation: {}", summary.title)
                                            on:click=move |_| tin_can.delete_conversation(&id)>"Delete"</button>
                                    </div>
                                </li>
                            }
                        }
                    />
                </ul>
            </section>
        </Show>
    }
}
