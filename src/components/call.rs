//! The call controls in a connected chat's header: Call / Video call in the header's row, and
//! below it an incoming call's Accept / Decline and the call itself (videos, duration, Mute,
//! Camera off, Share screen, Hang up).
use leptos::html;
use leptos::prelude::*;
use wasm_split_helpers::{wasm_split, SplitLoaderError};

use crate::app::TinCan;
use crate::components::icons::{Icon, IconSvg};
use crate::core::call::{CallKind, CallState, RemoteMedia};
use crate::web::media;

#[component]
pub fn CallControls() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let calls = tin_can.call;
    let state = move || calls.state.get();
    let status = move || match state() {
        CallState::Idle => calls.ended.get().unwrap_or_default().to_owned(),
        CallState::Outgoing { kind, .. } => match kind {
            CallKind::Voice => "Calling…".to_owned(),
            CallKind::Video => "Video calling…".to_owned(),
        },
        CallState::Incoming { kind, .. } => match kind {
            CallKind::Voice => "Incoming call".to_owned(),
            CallKind::Video => "Incoming video call".to_owned(),
        },
        CallState::Active { kind, .. } => match kind {
            CallKind::Voice => "In a call".to_owned(),
            CallKind::Video => "In a video call".to_owned(),
        },
    };
    let state_name = move || match state() {
        CallState::Idle => "idle",
        CallState::Outgoing { .. } => "outgoing",
        CallState::Incoming { .. } => "incoming",
        CallState::Active { .. } => "active",
    };
    let cannot_call = move || calls.peer_can_call.get() == Some(false);
    // The controls are rebuilt when the call's phase changes, not on every change inside it
    // (the videos keep playing when the other side mutes).
    let phase = Memo::new(move |_| state_name());
    view! {
        <section class="call" data-testid="call-panel" data-state=state_name>
            <p class="call-status" data-testid="call-status" role="status">{status}</p>
            {move || calls.problem.get().map(|problem| view! {
                <p class="error" role="alert" data-testid="call-problem">{problem}</p>
            })}
            {move || match phase.get() {
                // In the header's row: icons on a phone, icons and words with more room.
                "idle" => view! {
                    <div class="actions call-start">
                        <button type="button" class="ghost icon-button" on:click=move |_| tin_can.place_call(CallKind::Voice)>
                            <IconSvg icon=Icon::Call/>
                            <span class="label">"Call"</span>
                        </button>
                        <button type="button" class="ghost icon-button" on:click=move |_| tin_can.place_call(CallKind::Video)>
                            <IconSvg icon=Icon::Video/>
                            <span class="label">"Video call"</span>
                        </button>
                    </div>
                    <Show when=cannot_call>
                        <p class="hint call-hint">"The other side's app cannot take calls."</p>
                    </Show>
                }.into_any(),
                "outgoing" => view! {
                    <div class="actions">
                        <button type="button" class="danger" on:click=move |_| tin_can.hang_up()>"Hang up"</button>
                    </div>
                }.into_any(),
                "incoming" => view! {
                    <div class="actions">
                        <button type="button" class="primary" on:click=move |_| tin_can.accept_call()>"Accept"</button>
                        <button type="button" class="danger" on:click=move |_| tin_can.decline_call()>"Decline"</button>
                    </div>
                }.into_any(),
                // From a part of the wasm of its own, fetched when the first call starts.
                _ => view! {
                    <Suspense fallback=|| ()>{move || Suspend::new(async move {
                        in_call(tin_can).await.unwrap_or_else(|_| view! {
                            <p class="error" role="alert">
                                "The call's controls could not be loaded: this browser could not fetch that part of Tin Can."
                            </p>
                            <div class="actions">
                                <button type="button" class="danger" on:click=move |_| tin_can.hang_up()>"Hang up"</button>
                            </div>
                        }.into_any())
                    })}</Suspense>
                }.into_any(),
            }}
        </section>
    }
}

/// A running call: the videos, the duration, what the other side turned off, and the buttons.
/// In a part of the wasm of its own (scripts/wasm-link.sh); a part that cannot be fetched is an
/// `Err`, and the call still offers Hang up.
#[wasm_split(call, fallible)]
fn in_call(tin_can: TinCan) -> Result<AnyView, SplitLoaderError> {
    let calls = tin_can.call;
    let remote_video = NodeRef::<html::Video>::new();
    let own_video = NodeRef::<html::Video>::new();
    // Re-attached when a remote track arrives: some browsers only pick up the tracks a stream
    // had when it was attached.
    Effect::new(move |_| {
        calls.remote_tracks.track();
        if let Some(video) = remote_video.get() {
            calls
                .remote
                .with(|stream| media::show(&video, stream.as_ref()));
        }
    });
    Effect::new(move |_| {
        calls.local.track();
        if let Some(video) = own_video.get() {
            calls
                .preview
                .with(|stream| media::show(&video, stream.as_ref()));
        }
    });
    let local = move || calls.local.get();
    let duration = move || {
        calls
            .duration_s
            .get()
            .map(|seconds| format!("{:02}:{:02}", seconds / 60, seconds % 60))
    };
    let in_call = move || match calls.state.get() {
        CallState::Active { kind, remote, .. } => (kind, remote),
        _ => (CallKind::Voice, RemoteMedia::default()),
    };
    let kind = move || in_call().0;
    let remote = move || in_call().1;
    let peer_media = move || {
        let (kind, remote) = in_call();
        let mut said = Vec::new();
        if remote.muted {
            said.push("They muted their microphone.");
        }
        if kind.has_video() && remote.camera_off && !remote.sharing_screen {
            said.push("Their camera is off.");
        }
        if remote.sharing_screen {
            said.push("They are sharing their screen.");
        }
        said.join(" ")
    };
    let can_share = media::can_share_screen();
    Ok(view! {
        <div class="call-media" data-video=move || kind().has_video().to_string()>
            <video class="remote-video" data-testid="remote-video" node_ref=remote_video autoplay playsinline aria-label="The other person's video"></video>
            <video class="own-video" data-testid="own-video" node_ref=own_video autoplay playsinline muted aria-label="Your video"></video>
        </div>
        <p class="call-duration" data-testid="call-duration">{duration}</p>
        <p class="peer-media" data-testid="call-peer-media" data-muted=move || remote().muted.to_string() data-camera-off=move || remote().camera_off.to_string()>{peer_media}</p>
        <div class="actions">
            <button type="button" class="secondary" on:click=move |_| tin_can.toggle_mute()>
                {move || if local().muted { "Unmute" } else { "Mute" }}
            </button>
            <Show when=move || kind().has_video()>
                <button type="button" class="secondary" on:click=move |_| tin_can.toggle_camera()>
                    {move || if local().camera_off { "Camera on" } else { "Camera off" }}
                </button>
            </Show>
            {can_share.then(|| view! {
                <button type="button" class="secondary" on:click=move |_| tin_can.toggle_screen()>
                    {move || if local().sharing_screen { "Stop sharing" } else { "Share screen" }}
                </button>
            })}
            <button type="button" class="danger" on:click=move |_| tin_can.hang_up()>"Hang up"</button>
        </div>
    }
    .into_any())
}
