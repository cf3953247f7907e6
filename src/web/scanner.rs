//! "Scan QR code": the camera, and what reads codes from it.
//!
//! [`Camera`] owns the stream; dropping it stops every track (the camera light goes off).
//! [`Reader`] is the browser's `BarcodeDetector` where it can read QR codes, otherwise the
//! `qrscan` web worker (src/bin/qrscan.rs), a second wasm fetched only now: the app's first
//! load does not carry a decoder. Frames go to the worker downscaled to at most
//! [`MAX_FRAME_SIDE`] pixels, their pixels transferred, not copied.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8ClampedArray};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    CanvasRenderingContext2d, DomException, Event, HtmlCanvasElement, HtmlVideoElement,
    MediaStream, MediaStreamConstraints, MediaStreamTrack, MessageEvent, Worker, WorkerOptions,
    WorkerType,
};

use crate::core::scan::{ScanProblem, Sighting};
use crate::web::browser::{js_error_text, window};

/// Longest side of a frame handed to the worker: enough for a version-8 code held at a
/// comfortable distance, small enough to decode in tens of milliseconds on a phone.
pub const MAX_FRAME_SIDE: u32 = 640;

/// The worker's loader, written by trunk next to index.html (`data-loader-shim`).
const WORKER_LOADER: &str = "qrscan_loader.js";

/// The back camera (on a phone; a laptop's only camera otherwise), video only.
pub struct Camera {
    stream: MediaStream,
}

impl Camera {
    pub async fn open() -> Result<Self, ScanProblem> {
        let devices = window()
            .and_then(|window| window.navigator().media_devices().ok())
            .ok_or(ScanProblem::NoCamera)?;
        let video = Object::new();
        // `ideal`, not `exact`: a laptop's camera faces the user and must still do.
        let facing = Object::new();
        let _ = Reflect::set(&facing, &"ideal".into(), &"environment".into());
        let _ = Reflect::set(&video, &"facingMode".into(), &facing);
        let constraints = MediaStreamConstraints::new();
        constraints.set_audio(&JsValue::FALSE);
        constraints.set_video(&video);
        let failed = |error: JsValue| {
            let name = error
                .dyn_ref::<DomException>()
                .map(DomException::name)
                .unwrap_or_default();
            ScanProblem::from_camera_error(&name, &js_error_text(&error))
        };
        let request = devices
            .get_user_media_with_constraints(&constraints)
            .map_err(failed)?;
        let stream = JsFuture::from(request).await.map_err(failed)?;
        Ok(Self {
            stream: stream.unchecked_into(),
        })
    }

    pub fn show_in(&self, video: &HtmlVideoElement) {
        video.set_src_object(Some(&self.stream));
        // Autoplay of a muted video is allowed; a refusal only means no picture, which the
        // guidance line makes plain.
        let _ = video.play();
    }
}

impl Drop for Camera {
    fn drop(&mut self) {
        for track in self.stream.get_tracks().iter() {
            if let Ok(track) = track.dyn_into::<MediaStreamTrack>() {
                track.stop();
            }
        }
    }
}

/// What one frame gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameReading {
    Text(String),
    Seen(Sighting),
}

/// Reads QR codes from a playing video.
pub enum Reader {
    /// The browser's own `BarcodeDetector` (Chrome on Android and macOS, Safari 17+).
    Native(JsValue),
    Worker(ReaderWorker),
}

impl Reader {
    /// The browser's detector where it has one for QR codes, else the worker once it is ready.
    pub async fn load() -> Result<Self, ScanProblem> {
        if let Some(detector) = native_detector() {
            return Ok(Reader::Native(detector));
        }
        Self::load_worker().await
    }

    /// The `qrscan` worker, once it is ready.
    pub async fn load_worker() -> Result<Self, ScanProblem> {
        Ok(Reader::Worker(ReaderWorker::start().await?))
    }

    /// Reads the video's current frame. A native detector that fails (some platforms have the
    /// API but no QR support) is an `Err` with its reason; the caller may fall back.
    pub fn read(
        &self,
        video: &HtmlVideoElement,
    ) -> impl std::future::Future<Output = Result<FrameReading, String>> {
        let pending = match self {
            Reader::Native(detector) => detect_natively(detector, video),
            Reader::Worker(worker) => worker.read(video),
        };
        async move {
            let reply = JsFuture::from(pending?)
                .await
                .map_err(|error| js_error_text(&error))?;
            Ok(reading_of(&reply))
        }
    }

    pub fn is_native(&self) -> bool {
        matches!(self, Reader::Native(_))
    }
}

/// The worker's answer (`web::scanner`'s protocol, see src/bin/qrscan.rs), or the native
/// detector's list of codes.
fn reading_of(reply: &JsValue) -> FrameReading {
    if let Some(text) = reply.as_string() {
        return FrameReading::Text(text);
    }
    if reply.as_bool() == Some(false) {
        return FrameReading::Seen(Sighting::Unreadable);
    }
    if Array::is_array(reply) {
        let first = Array::from(reply).get(0);
        if let Some(text) = Reflect::get(&first, &"rawValue".into())
            .ok()
            .and_then(|raw| raw.as_string())
        {
            return FrameReading::Text(text);
        }
    }
    FrameReading::Seen(Sighting::Nothing)
}

/// `new BarcodeDetector({ formats: ['qr_code'] })`, where the browser has it.
fn native_detector() -> Option<JsValue> {
    let constructor: Function = Reflect::get(&js_sys::global(), &"BarcodeDetector".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let options = Object::new();
    Reflect::set(&options, &"formats".into(), &Array::of1(&"qr_code".into())).ok()?;
    Reflect::construct(&constructor, &Array::of1(&options)).ok()
}

fn detect_natively(detector: &JsValue, video: &HtmlVideoElement) -> Result<Promise, String> {
    let detect: Function = Reflect::get(detector, &"detect".into())
        .map_err(|error| js_error_text(&error))?
        .dyn_into()
        .map_err(|_| "BarcodeDetector has no detect()".to_owned())?;
    detect
        .call1(detector, video)
        .map_err(|error| js_error_text(&error))?
        .dyn_into()
        .map_err(|_| "detect() gave no promise".to_owned())
}

/// Where the next reply of the worker goes: a promise's resolve and reject.
#[derive(Default)]
struct ReplySlot {
    waiting: RefCell<Option<(Function, Function)>>,
    /// The worker failed (did not load, or crashed): why.
    failed: RefCell<Option<String>>,
}

impl ReplySlot {
    fn next(self: &Rc<Self>) -> Promise {
        let slot = Rc::clone(self);
        Promise::new(&mut move |resolve, reject| {
            if let Some(reason) = slot.failed.borrow().as_ref() {
                let _ = reject.call1(&JsValue::NULL, &JsValue::from_str(reason));
                return;
            }
            // One frame at a time; an earlier waiter (there should be none) is told it lost.
            if let Some((_, earlier)) = slot.waiting.replace(Some((resolve, reject))) {
                let _ = earlier.call1(&JsValue::NULL, &JsValue::from_str("superseded"));
            }
        })
    }

    fn resolve(&self, value: &JsValue) {
        if let Some((resolve, _)) = self.waiting.borrow_mut().take() {
            let _ = resolve.call1(&JsValue::NULL, value);
        }
    }

    fn fail(&self, reason: String) {
        if let Some((_, reject)) = self.waiting.borrow_mut().take() {
            let _ = reject.call1(&JsValue::NULL, &JsValue::from_str(&reason));
        }
        self.failed.replace(Some(reason));
    }
}

/// The `qrscan` worker, its handlers and a canvas to take frames with. Terminated on drop; a
/// frame still being read is answered with an error then, so nobody waits forever.
pub struct ReaderWorker {
    worker: Worker,
    replies: Rc<ReplySlot>,
    canvas: HtmlCanvasElement,
    context: CanvasRenderingContext2d,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl ReaderWorker {
    async fn start() -> Result<Self, ScanProblem> {
        let failed = |reason: String| ScanProblem::ReaderFailed(reason);
        let document = window()
            .and_then(|window| window.document())
            .ok_or_else(|| failed("no document".into()))?;
        let canvas: HtmlCanvasElement = document
            .create_element("canvas")
            .map_err(|error| failed(js_error_text(&error)))?
            .unchecked_into();
        // The frames are read back every time: tell the browser to keep them in memory.
        let context_options = Object::new();
        let _ = Reflect::set(
            &context_options,
            &"willReadFrequently".into(),
            &JsValue::TRUE,
        );
        let context: CanvasRenderingContext2d = canvas
            .get_context_with_context_options("2d", &context_options)
            .ok()
            .flatten()
            .and_then(|context| context.dyn_into().ok())
            .ok_or_else(|| failed("no 2D canvas".into()))?;

        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = Worker::new_with_options(WORKER_LOADER, &options)
            .map_err(|error| failed(js_error_text(&error)))?;
        let replies = Rc::new(ReplySlot::default());
        let on_message = {
            let replies = Rc::clone(&replies);
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                replies.resolve(&event.data());
            })
        };
        let on_error = {
            let replies = Rc::clone(&replies);
            // An `ErrorEvent` when the wasm threw; a plain `Event` when the script did not load.
            Closure::<dyn FnMut(Event)>::new(move |event: Event| {
                let message = Reflect::get(&event, &"message".into())
                    .ok()
                    .and_then(|message| message.as_string())
                    .unwrap_or_default();
                replies.fail(if message.is_empty() {
                    "it did not load; are you offline?".to_owned()
                } else {
                    message
                });
            })
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let reader = Self {
            worker,
            replies,
            canvas,
            context,
            _on_message: on_message,
            _on_error: on_error,
        };
        // The worker says `true` once its wasm runs; frames sent earlier would be lost.
        let ready = JsFuture::from(reader.replies.next())
            .await
            .map_err(|error| failed(js_error_text(&error)))?;
        if ready.as_bool() != Some(true) {
            return Err(failed("it answered something unexpected".into()));
        }
        Ok(reader)
    }

    /// Sends the video's current frame (downscaled) and returns the promise of the answer.
    fn read(&self, video: &HtmlVideoElement) -> Result<Promise, String> {
        let (width, height) = (video.video_width(), video.video_height());
        if width == 0 || height == 0 {
            // No picture yet.
            return Ok(Promise::resolve(&JsValue::NULL));
        }
        let scale = (f64::from(MAX_FRAME_SIDE) / f64::from(width.max(height))).min(1.0);
        let frame_width = ((f64::from(width) * scale) as u32).max(1);
        let frame_height = ((f64::from(height) * scale) as u32).max(1);
        if self.canvas.width() != frame_width || self.canvas.height() != frame_height {
            self.canvas.set_width(frame_width);
            self.canvas.set_height(frame_height);
        }
        let (w, h) = (f64::from(frame_width), f64::from(frame_height));
        self.context
            .draw_image_with_html_video_element_and_dw_and_dh(video, 0.0, 0.0, w, h)
            .map_err(|error| js_error_text(&error))?;
        let image = self
            .context
            .get_image_data(0.0, 0.0, w, h)
            .map_err(|error| js_error_text(&error))?;
        // The pixels stay in JS and move to the worker without a copy.
        let pixels: Uint8ClampedArray = Reflect::get(&image, &"data".into())
            .map_err(|error| js_error_text(&error))?
            .unchecked_into();
        let buffer = pixels.buffer();
        let message = Array::of3(&frame_width.into(), &frame_height.into(), &buffer);
        let answer = self.replies.next();
        self.worker
            .post_message_with_transfer(&message, &Array::of1(&buffer))
            .map_err(|error| js_error_text(&error))?;
        Ok(answer)
    }
}

impl Drop for ReaderWorker {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
        self.replies.fail("stopped".into());
    }
}

/// One press of "Scan QR code": the camera and the reader while they run. [`cancel`] releases
/// both at once (the light goes off at once, not at the next frame); the scanning task checks
/// [`is_cancelled`] after every wait.
///
/// [`cancel`]: ScanSession::cancel
/// [`is_cancelled`]: ScanSession::is_cancelled
#[derive(Default)]
pub struct ScanSession {
    cancelled: Cell<bool>,
    camera: RefCell<Option<Camera>>,
    reader: RefCell<Option<Reader>>,
}

impl ScanSession {
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.get()
    }

    pub fn cancel(&self) {
        self.cancelled.set(true);
        drop(self.camera.borrow_mut().take());
        drop(self.reader.borrow_mut().take());
    }

    /// Keeps the camera (dropped at once if the session was cancelled meanwhile).
    pub fn keep_camera(&self, camera: Camera) {
        if !self.is_cancelled() {
            self.camera.replace(Some(camera));
        }
    }

    pub fn keep_reader(&self, reader: Reader) {
        if !self.is_cancelled() {
            self.reader.replace(Some(reader));
        }
    }

    pub fn has_native_reader(&self) -> bool {
        self.reader.borrow().as_ref().is_some_and(Reader::is_native)
    }

    /// Starts reading the video's frame; the borrow ends before the answer is awaited, so a
    /// Cancel meanwhile can drop the reader.
    pub fn read(
        &self,
        video: &HtmlVideoElement,
    ) -> Option<impl std::future::Future<Output = Result<FrameReading, String>>> {
        self.reader
            .borrow()
            .as_ref()
            .map(|reader| reader.read(video))
    }
}
