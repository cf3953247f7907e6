//! The file transfer list and the Attach control (with drop and paste). They read
//! `FileTransfers`' signals and call its methods; nothing is decided here.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DataTransfer, File, FileList};

use crate::app::files::{Direction, FileTransfers, RowState, TransferRow};
use crate::app::TinCan;
use crate::core::transfer::{format_bytes, percent};

fn files_of(list: Option<FileList>) -> Vec<File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.item(i)).collect()
}

fn carries_files(data: &DataTransfer) -> bool {
    data.types()
        .iter()
        .any(|kind| kind.as_string().as_deref() == Some("Files"))
}

/// Every transfer of the chat, newest last. Shows nothing until there is one.
#[component]
pub fn TransferList() -> impl IntoView {
    let files = expect_context::<TinCan>().files;
    view! {
        {move || files.problem.get().map(|problem| view! {
            <p class="alert" role="alert" data-testid="files-problem">{problem}</p>
        })}
        <Show when=move || files.rows.with(|rows| !rows.is_empty())>
            <ul class="transfers" aria-label="File transfers">
                <For
                    each=move || files.rows.get()
                    key=|row| row.key
                    children=move |row: TransferRow| view! { <TransferItem row files/> }
                />
            </ul>
        </Show>
    }
}

#[component]
fn TransferItem(row: TransferRow, files: FileTransfers) -> impl IntoView {
    let TransferRow {
        key,
        peer,
        direction,
        name,
        size,
        progress,
        state,
        ..
    } = row;
    // Copyable handles owned by this item, onto the row's own signals.
    let (progress, state) = (RwSignal::from(progress), RwSignal::from(state));
    let arrow = match direction {
        Direction::Sending => "↑",
        Direction::Receiving => "↓",
    };
    let label = match direction {
        Direction::Sending => "Sending",
        Direction::Receiving => "Receiving",
    };
    let status_name = name.clone();
    // In a group: who it goes to or comes from.
    let with = peer.clone().map(|peer| match direction {
        Direction::Sending => format!("to {peer}"),
        Direction::Receiving => format!("from {peer}"),
    });
    let checked_by = match &peer {
        Some(peer) => format!("Sent · Verified by {peer}"),
        None => "Sent · Verified by the other browser".to_owned(),
    };
    let awaiting_check = match &peer {
        Some(peer) => format!("Sent · waiting for {peer} to check it"),
        None => "Sent · waiting for the other browser to check it".to_owned(),
    };
    // Names are peer input: they only ever go into text nodes and attributes, never markup.
    view! {
        <li class="transfer" data-direction=direction.as_attr() data-state=move || state.with(RowState::as_attr)
            data-peer=peer>
            <div class="transfer-head">
                <span class="transfer-icon" aria-hidden="true">{arrow}</span>
                <span class="visually-hidden">{label}" "</span>
                <span class="file-name" data-testid="file-name">{name.clone()}</span>
                {with.map(|with| view! { <span class="file-peer" data-testid="file-peer">{with}</span> })}
                <span class="file-size">{format_bytes(size)}</span>
            </div>
            {move || {
                let name = status_name.clone();
                match state.get() {
                    RowState::Queued | RowState::Running => view! {
                        <Running key name queued=state.with(|s| *s == RowState::Queued) progress size files/>
                    }.into_any(),
                    RowState::Sent { digest, confirmed } => view! {
                        <p class="transfer-status" data-tone=if confirmed { "ok" } else { "" }>
                            {if confirmed { checked_by.clone() } else { awaiting_check.clone() }}
                        </p>
                        <Digest digest/>
                    }.into_any(),
                    RowState::Received { digest, url, image } => view! {
                        {image.then(|| view! {
                            <img class="transfer-preview" src=url.clone() alt=format!("Preview of {name}")/>
                        })}
                        <div class="transfer-done">
                            <a class="button primary" href=url download=name.clone()>
                                "Download" <span class="visually-hidden">" "{name.clone()}</span>
                            </a>
                            <p class="transfer-status" data-tone="ok">"✓ Verified"</p>
                        </div>
                        <Digest digest/>
                    }.into_any(),
                    RowState::Cancelled(why) => view! {
                        <p class="transfer-status">{why}</p>
                    }.into_any(),
                    RowState::Failed(why) => view! {
                        <p class="transfer-status" data-tone="bad">{why}</p>
                    }.into_any(),
                }
            }}
        </li>
    }
}

#[component]
fn Running(
    key: u64,
    name: String,
    queued: bool,
    progress: RwSignal<crate::app::files::Progress>,
    size: u64,
    files: FileTransfers,
) -> impl IntoView {
    let done_percent = move || progress.with(|p| percent(p.done, size));
    view! {
        <div class="transfer-progress">
            <div class="bar" role="progressbar" aria-label=format!("Progress of {name}")
                aria-valuemin="0" aria-valuemax="100"
                aria-valuenow=move || done_percent().to_string()
                aria-valuetext=move || progress.with(|p| p.detail.clone())>
                <div class="fill" style:width=move || format!("{}%", done_percent())></div>
            </div>
            <button type="button" class="secondary small" aria-label=format!("Cancel {name}")
                on:click=move |_| files.cancel(key)>"Cancel"</button>
        </div>
        <p class="transfer-status" aria-live="off">
            {move || if queued { "Waiting to send…".to_owned() } else { progress.with(|p| p.detail.clone()) }}
        </p>
    }
}

#[component]
fn Digest(digest: String) -> impl IntoView {
    view! {
        // Not the `sha256sum` of the file: SHA-256 over each chunk's SHA-256 (see core::transfer).
        <p class="transfer-digest"><span>"Checksum (SHA-256 hash list) "</span><code>{digest}</code></p>
    }
}

/// The Attach file control. While it is shown, files dropped on the page or images pasted are
/// sent too.
#[component]
pub fn AttachFile() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let files = tin_can.files;
    let input = NodeRef::<html::Input>::new();
    let dragging = RwSignal::new(false);

    let on_dragover = window_event_listener(ev::dragover, move |event| {
        if event
            .data_transfer()
            .is_some_and(|data| carries_files(&data))
        {
            // Without this the browser would open the file instead of dropping it here.
            event.prevent_default();
            dragging.set(true);
        }
    });
    let on_dragleave = window_event_listener(ev::dragleave, move |event| {
        // Leaving the window (not just moving between elements).
        if event.related_target().is_none() {
            dragging.set(false);
        }
    });
    let on_drop = window_event_listener(ev::drop, move |event| {
        dragging.set(false);
        let dropped = files_of(event.data_transfer().and_then(|data| data.files()));
        if !dropped.is_empty() {
            event.prevent_default();
            tin_can.send_files(dropped);
        }
    });
    let on_paste = window_event_listener(ev::paste, move |event| {
        let pasted = files_of(event.clipboard_data().and_then(|data| data.files()));
        // Text pastes go to the message box as usual.
        if !pasted.is_empty() {
            event.prevent_default();
            tin_can.send_files(pasted);
        }
    });
    on_cleanup(move || {
        on_dragover.remove();
        on_dragleave.remove();
        on_drop.remove();
        on_paste.remove();
    });

    let on_change = move |event: ev::Event| {
        let Some(target) = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        tin_can.send_files(files_of(target.files()));
        // Choosing the same file again must fire `change` again.
        target.set_value("");
    };

    view! {
        <div class="attach">
            <input id="attach-file" class="attach-input visually-hidden" type="file" multiple
                aria-label="Attach file" node_ref=input
                prop:disabled=move || !files.attached.get()
                on:change=on_change/>
            <label for="attach-file" class="attach-button" title="Attach file: or drop files here, or paste an image">
                // Drawn inline: an emoji would depend on the system having an emoji font.
                <svg class="icon" aria-hidden="true" viewBox="0 0 24 24" width="20" height="20" fill="none"
                    stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
                    <path d="M21.4 11.1l-8.5 8.5a5.5 5.5 0 0 1-7.8-7.8l8.5-8.5a3.7 3.7 0 0 1 5.2 5.2l-8.5 8.5a1.8 1.8 0 0 1-2.6-2.6l7.8-7.8"/>
                </svg>
                <span class="visually-hidden">"Attach file"</span>
            </label>
        </div>
        <Show when=move || dragging.get()>
            <div class="drop-hint" aria-hidden="true"><p>"Drop to send"</p></div>
        </Show>
    }
}
