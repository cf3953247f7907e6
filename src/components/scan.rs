//! "Scan QR code": the camera's picture with a frame to aim at, until a Tin Can link of the
//! kind this screen expects is read. What a text means is `core::scan`; the camera and the
//! readers are `web::scanner`.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_split_helpers::{wasm_split, SplitLoaderError};

use crate::core::scan::{read_scanned, Expecting, Guidance, ScanProblem, ScanWatch};
use crate::web::browser::{app_base_url, now_ms};
use crate::web::scanner::{Camera, FrameReading, Reader, ScanSession};
use crate::web::timers::sleep_ms;

/// About 6 frames a second: a code held up is read well within a second, and a phone's battery
/// and the page's thread are spared.
const FRAME_EVERY_MS: i32 = 150;

/// The "Scan QR code" button, and while it runs the camera's picture, the guidance line and
/// "Cancel" (or Escape). The camera is released when a link is read, on Cancel, and when the
/// component goes away. `on_link` gets the link read, already checked to be of the expected kind.
#[component]
pub fn ScanQrCode(expecting: Expecting, #[prop(into)] on_link: Callback<String>) -> impl IntoView {
    let scanning = RwSignal::new(false);
    let guidance = RwSignal::new(Guidance::Aim);
    let problem = RwSignal::new(None::<String>);
    let session = StoredValue::new_local(None::<Rc<ScanSession>>);
    let video = NodeRef::<html::Video>::new();
    let scan_button = NodeRef::<html::Button>::new();
    let cancel_button = NodeRef::<html::Button>::new();
    // Set by Cancel: the Scan button takes the focus back once it is on screen again.
    let refocus = RwSignal::new(false);

    let stop = move || {
        if let Some(current) = session.try_update_value(Option::take).flatten() {
            current.cancel();
        }
        scanning.try_set(false);
    };
    on_cleanup(stop);

    let start = move |_| {
        stop();
        problem.set(None);
        guidance.set(Guidance::Aim);
        scanning.set(true);
        let current = Rc::new(ScanSession::default());
        session.set_value(Some(Rc::clone(&current)));
        spawn_local(async move {
            let outcome = scan(Rc::clone(&current), video, expecting, guidance, problem).await;
            // A newer scan, Cancel or the component's end: nothing to say any more.
            if current.is_cancelled() {
                return;
            }
            stop();
            match outcome {
                Some(Ok(link)) => on_link.run(link),
                Some(Err(trouble)) => {
                    problem.try_set(Some(trouble.to_string()));
                }
                None => {}
            }
        });
    };
    let cancel = move || {
        stop();
        refocus.set(true);
    };
    let on_key = move |event: leptos::ev::KeyboardEvent| {
        if event.key() == "Escape" {
            event.prevent_default();
            cancel();
        }
    };
    // Keyboard users land on Cancel while the camera runs, and back on the button after.
    Effect::new(move |_| {
        if scanning.get() {
            if let Some(button) = cancel_button.get() {
                let _ = button.focus();
            }
        } else if refocus.get() {
            if let Some(button) = scan_button.get() {
                let _ = button.focus();
                refocus.set(false);
            }
        }
    });

    view! {
        <div class="scan" on:keydown=on_key>
            <Show when=move || scanning.get() fallback=move || view! {
                <button type="button" class="secondary" node_ref=scan_button on:click=start>"Scan QR code"</button>
            }>
                <div class="scan-view">
                    <video data-testid="scan-video" node_ref=video autoplay muted playsinline
                        aria-label="Camera picture: hold the QR code inside the frame"></video>
                    <div class="scan-frame" aria-hidden="true"></div>
                </div>
                <p class="hint scan-hint" role="status" data-testid="scan-hint">{move || guidance.get().text()}</p>
                <div class="actions">
                    <button type="button" class="secondary" node_ref=cancel_button on:click=move |_| cancel()>"Cancel"</button>
                </div>
            </Show>
            {move || problem.get().map(|text| view! {
                <p class="alert" role="alert" data-testid="scan-problem">{text}</p>
            })}
        </div>
    }
}

/// What one scan gives: a usable link (`Some(Ok)`), a problem that ends the scan (`Some(Err)`),
/// or nothing after cancellation (`None`).
type ScanOutcome = Option<Result<String, ScanProblem>>;

/// One scan, from a part of the wasm of its own (scripts/wasm-link.sh): the camera, the frame
/// loop and the readers are fetched when someone first scans (the service worker keeps them for
/// offline use). A part that cannot be fetched ends the scan with a problem the user can read.
async fn scan(
    session: Rc<ScanSession>,
    video: NodeRef<html::Video>,
    expecting: Expecting,
    guidance: RwSignal<Guidance>,
    problem: RwSignal<Option<String>>,
) -> ScanOutcome {
    scan_in_part(session, video, expecting, guidance, problem)
        .await
        .unwrap_or_else(|_| {
            Some(Err(ScanProblem::ReaderFailed(
                "this browser could not fetch that part of Tin Can; check the connection"
                    .to_owned(),
            )))
        })
}

#[wasm_split(
    scan,
    fallible,
    return_wrapper(let scanning = _; { Ok(scanning.await) } -> Result<ScanOutcome, SplitLoaderError>)
)]
fn scan_in_part(
    session: Rc<ScanSession>,
    video: NodeRef<html::Video>,
    expecting: Expecting,
    guidance: RwSignal<Guidance>,
    problem: RwSignal<Option<String>>,
) -> Pin<Box<dyn Future<Output = ScanOutcome>>> {
    Box::pin(async move { scan_frames(&session, video, expecting, guidance, problem).await })
}

/// Opens the camera, loads a reader and reads frames until a usable link, a problem that ends
/// the scan, or cancellation. A code that is not the right kind of link is said in `problem`
/// while scanning goes on.
async fn scan_frames(
    session: &ScanSession,
    video: NodeRef<html::Video>,
    expecting: Expecting,
    guidance: RwSignal<Guidance>,
    problem: RwSignal<Option<String>>,
) -> ScanOutcome {
    let camera = match Camera::open().await {
        Ok(camera) => camera,
        Err(trouble) => return Some(Err(trouble)),
    };
    // Cancelled meanwhile: the camera is dropped here, its tracks stopped.
    let element = video.get_untracked().filter(|_| !session.is_cancelled())?;
    camera.show_in(&element);
    session.keep_camera(camera);
    match Reader::load().await {
        Ok(reader) => session.keep_reader(reader),
        Err(trouble) => return Some(Err(trouble)),
    }
    let own_base = app_base_url();
    let mut watch = ScanWatch::new(now_ms());
    loop {
        sleep_ms(FRAME_EVERY_MS).await;
        let reading = session.read(&element)?.await;
        if session.is_cancelled() {
            return None;
        }
        match reading {
            Ok(FrameReading::Text(text)) => match read_scanned(&text, &own_base, expecting) {
                Ok(link) => return Some(Ok(link)),
                Err(wrong) => {
                    let said = Some(wrong.to_string());
                    if problem.get_untracked() != said {
                        problem.set(said);
                    }
                }
            },
            Ok(FrameReading::Seen(sighting)) => {
                let now = watch.on_frame(now_ms(), sighting);
                if guidance.get_untracked() != now {
                    guidance.set(now);
                }
            }
            // The browser has BarcodeDetector but cannot read QR codes with it: the worker.
            Err(_) if session.has_native_reader() => match Reader::load_worker().await {
                Ok(reader) => session.keep_reader(reader),
                Err(trouble) => return Some(Err(trouble)),
            },
            Err(reason) => return Some(Err(ScanProblem::ReaderFailed(reason))),
        }
    }
}
