//! Microphone, camera and screen for a call, and the tracks on the chat's peer connection.
//!
//! [`CallMedia`] owns one call's local tracks, the remote stream it shows and the handlers it
//! installs; dropping it stops every track (the camera light goes off), takes them off the
//! connection and removes the handlers. It lives in the connection's `Attempt`, so a call ends
//! with the attempt however that ends.

use std::rc::Rc;

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AudioContext, DisplayMediaStreamConstraints, DomException, Event, MediaStream,
    MediaStreamConstraints, MediaStreamTrack, RtcPeerConnection, RtcPeerConnectionState,
    RtcRtpTransceiver, RtcRtpTransceiverDirection, RtcTrackEvent,
};

use crate::core::call::CallKind;
use crate::web::browser::js_error_text;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    Microphone,
    Camera,
    Screen,
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Device::Microphone => "microphone",
            Device::Camera => "camera",
            Device::Screen => "screen sharing",
        })
    }
}

/// Why a device did not open, each with what it means for the call.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("Permission for the {0} was refused: the call goes on without it. Allow it in the browser's site settings to use it.")]
    Refused(Device),
    #[error("No {0} was found: the call goes on without it.")]
    NotFound(Device),
    #[error(
        "The {0} is in use by another program or could not start: the call goes on without it."
    )]
    Busy(Device),
    #[error("This browser cannot open a {0} here (it needs a secure page): the call goes on without it.")]
    Unsupported(Device),
    #[error("The {0} could not be opened ({1}): the call goes on without it.")]
    Other(Device, String),
}

impl MediaError {
    fn from_js(device: Device, error: &JsValue) -> Self {
        let name = error
            .dyn_ref::<DomException>()
            .map(DomException::name)
            .unwrap_or_default();
        match name.as_str() {
            "NotAllowedError" | "SecurityError" => MediaError::Refused(device),
            "NotFoundError" | "OverconstrainedError" => MediaError::NotFound(device),
            "NotReadableError" | "AbortError" => MediaError::Busy(device),
            _ => MediaError::Other(device, js_error_text(error)),
        }
    }
}

/// Whether this browser can share a screen (`getDisplayMedia`).
pub fn can_share_screen() -> bool {
    web_sys::window()
        .and_then(|window| window.navigator().media_devices().ok())
        .is_some_and(|devices| {
            Reflect::has(&devices, &JsValue::from_str("getDisplayMedia")).unwrap_or(false)
        })
}

/// Opens one device and returns its track.
pub async fn open(device: Device) -> Result<MediaStreamTrack, MediaError> {
    let devices = web_sys::window()
        .and_then(|window| window.navigator().media_devices().ok())
        .ok_or(MediaError::Unsupported(device))?;
    let request = match device {
        Device::Screen => {
            let constraints = DisplayMediaStreamConstraints::new();
            constraints.set_video(&JsValue::TRUE);
            devices.get_display_media_with_constraints(&constraints)
        }
        Device::Microphone | Device::Camera => {
            let constraints = MediaStreamConstraints::new();
            constraints.set_audio(&JsValue::from_bool(device == Device::Microphone));
            constraints.set_video(&JsValue::from_bool(device == Device::Camera));
            devices.get_user_media_with_constraints(&constraints)
        }
    }
    .map_err(|error| MediaError::from_js(device, &error))?;
    let stream: MediaStream = JsFuture::from(request)
        .await
        .map_err(|error| MediaError::from_js(device, &error))?
        .unchecked_into();
    let track = stream
        .get_tracks()
        .get(0)
        .dyn_into::<MediaStreamTrack>()
        .map_err(|_| MediaError::NotFound(device))?;
    // Anything else the browser gave (it should not) is not kept running.
    for extra in stream.get_tracks().iter().skip(1) {
        if let Ok(extra) = extra.dyn_into::<MediaStreamTrack>() {
            extra.stop();
        }
    }
    Ok(track)
}

/// Opens the microphone and the camera with one request (one permission prompt, and both
/// tracks at once, so the call's offer carries both). `None` if either is refused or missing:
/// then each is opened on its own, which names the one that failed.
pub async fn open_microphone_and_camera() -> Option<(MediaStreamTrack, MediaStreamTrack)> {
    let devices = web_sys::window().and_then(|window| window.navigator().media_devices().ok())?;
    let constraints = MediaStreamConstraints::new();
    constraints.set_audio(&JsValue::TRUE);
    constraints.set_video(&JsValue::TRUE);
    let request = devices.get_user_media_with_constraints(&constraints).ok()?;
    let stream: MediaStream = JsFuture::from(request).await.ok()?.unchecked_into();
    let tracks: Vec<MediaStreamTrack> = stream
        .get_tracks()
        .iter()
        .filter_map(|track| track.dyn_into::<MediaStreamTrack>().ok())
        .collect();
    let of_kind = |kind: &str| tracks.iter().find(|track| track.kind() == kind).cloned();
    match (of_kind("audio"), of_kind("video")) {
        (Some(microphone), Some(camera)) => Some((microphone, camera)),
        _ => {
            for track in &tracks {
                track.stop();
            }
            None
        }
    }
}

/// The devices a call of `kind` needs.
pub fn devices_for(kind: CallKind) -> &'static [Device] {
    match kind {
        CallKind::Voice => &[Device::Microphone],
        CallKind::Video => &[Device::Microphone, Device::Camera],
    }
}

/// What the call's media tells the app.
#[derive(Clone, Debug, PartialEq)]
pub enum MediaEvent {
    /// A remote track arrived: the remote stream changed.
    RemoteTrack,
    /// A local device stopped by itself (unplugged, revoked, the browser's "Stop sharing").
    Ended(Device),
}

/// A local track and its `ended` handler; stopped and unhooked when dropped.
struct LocalTrack {
    track: MediaStreamTrack,
    _on_ended: Closure<dyn FnMut(Event)>,
}

impl Drop for LocalTrack {
    fn drop(&mut self) {
        self.track.set_onended(None);
        self.track.stop();
    }
}

pub struct CallMedia {
    connection: RtcPeerConnection,
    on_event: Rc<dyn Fn(MediaEvent)>,
    /// What the other side sends, for the large video (and the sound).
    remote: MediaStream,
    /// Own camera or screen, for the small preview.
    preview: MediaStream,
    microphone: Option<LocalTrack>,
    camera: Option<LocalTrack>,
    screen: Option<LocalTrack>,
    /// The transceivers carrying our audio and video, once on the connection.
    audio: Option<RtcRtpTransceiver>,
    video: Option<RtcRtpTransceiver>,
    /// Tracks go on the connection (from the moment the call is agreed, see `core::call`).
    attached: bool,
    _on_track: Closure<dyn FnMut(RtcTrackEvent)>,
}

impl CallMedia {
    pub fn new(
        connection: &RtcPeerConnection,
        on_event: impl Fn(MediaEvent) + 'static,
    ) -> Result<Self, MediaError> {
        let unsupported = |_| MediaError::Unsupported(Device::Microphone);
        let remote = MediaStream::new().map_err(unsupported)?;
        let preview = MediaStream::new().map_err(unsupported)?;
        let on_event: Rc<dyn Fn(MediaEvent)> = Rc::new(on_event);
        // `Clone::clone`, not `.clone()`: MediaStream and MediaStreamTrack have a JS `clone()`
        // method of their own, which makes a new stream or track (one nobody would stop).
        let (stream, events) = (Clone::clone(&remote), on_event.clone());
        let on_track = Closure::<dyn FnMut(RtcTrackEvent)>::new(move |event: RtcTrackEvent| {
            let track = event.track();
            if stream.get_track_by_id(&track.id()).is_none() {
                stream.add_track(&track);
            }
            events(MediaEvent::RemoteTrack);
        });
        connection.set_ontrack(Some(on_track.as_ref().unchecked_ref()));
        Ok(Self {
            connection: connection.clone(),
            on_event,
            remote,
            preview,
            microphone: None,
            camera: None,
            screen: None,
            audio: None,
            video: None,
            attached: false,
            _on_track: on_track,
        })
    }

    pub fn remote(&self) -> &MediaStream {
        &self.remote
    }

    pub fn preview(&self) -> &MediaStream {
        &self.preview
    }

    pub fn has(&self, device: Device) -> bool {
        match device {
            Device::Microphone => self.microphone.is_some(),
            Device::Camera => self.camera.is_some(),
            Device::Screen => self.screen.is_some(),
        }
    }

    /// Keeps `track` as the call's `device` (stopping the one it replaces) and sends it if the
    /// call is agreed.
    pub fn set(&mut self, device: Device, track: MediaStreamTrack) {
        let events = self.on_event.clone();
        let on_ended =
            Closure::<dyn FnMut(Event)>::new(move |_: Event| events(MediaEvent::Ended(device)));
        track.set_onended(Some(on_ended.as_ref().unchecked_ref()));
        let local = LocalTrack {
            track,
            _on_ended: on_ended,
        };
        let slot = match device {
            Device::Microphone => &mut self.microphone,
            Device::Camera => &mut self.camera,
            Device::Screen => &mut self.screen,
        };
        *slot = Some(local);
        self.refresh();
    }

    /// Stops and forgets `device`'s track (camera off, stop sharing, a device that ended).
    pub fn close(&mut self, device: Device) {
        match device {
            Device::Microphone => self.microphone = None,
            Device::Camera => self.camera = None,
            Device::Screen => self.screen = None,
        }
        self.refresh();
    }

    /// Mute sends silence: the track stays on the connection, disabled.
    pub fn set_muted(&self, muted: bool) {
        if let Some(microphone) = &self.microphone {
            microphone.track.set_enabled(!muted);
        }
    }

    /// The call is agreed: from now on the local tracks go on the connection.
    pub fn attach(&mut self) {
        self.attached = true;
        self.refresh();
    }

    /// The video we send: the screen while sharing, else the camera (if on).
    fn video_track(&self) -> Option<&MediaStreamTrack> {
        self.screen
            .as_ref()
            .or(self.camera.as_ref())
            .map(|local| &local.track)
    }

    /// Makes the preview and the connection's senders match the local tracks.
    fn refresh(&mut self) {
        for track in self.preview.get_tracks().iter() {
            if let Ok(track) = track.dyn_into::<MediaStreamTrack>() {
                self.preview.remove_track(&track);
            }
        }
        if let Some(video) = self.video_track() {
            self.preview.add_track(video);
        }
        if !self.attached || self.closed() {
            return;
        }
        let microphone = self
            .microphone
            .as_ref()
            .map(|local| Clone::clone(&local.track));
        let video = self.video_track().cloned();
        self.audio = send(&self.connection, self.audio.take(), "audio", microphone);
        self.video = send(&self.connection, self.video.take(), "video", video);
    }

    fn closed(&self) -> bool {
        self.connection.connection_state() == RtcPeerConnectionState::Closed
    }
}

/// Puts `track` (or nothing) on the transceiver that carries this kind: the one we used
/// before, else one the other side offered that nobody sends on, else a new one. Reusing keeps
/// the SDP from growing by two sections per call. Returns the transceiver in use.
fn send(
    connection: &RtcPeerConnection,
    current: Option<RtcRtpTransceiver>,
    kind: &str,
    track: Option<MediaStreamTrack>,
) -> Option<RtcRtpTransceiver> {
    let transceiver = current.or_else(|| {
        track.as_ref()?;
        reusable_transceiver(connection, kind)
    });
    let Some(transceiver) = transceiver else {
        let track = track?;
        let stream = MediaStream::new().ok()?;
        stream.add_track(&track);
        let sender = connection.add_track_0(&track, &stream);
        return connection
            .get_transceivers()
            .iter()
            .filter_map(|t| t.dyn_into::<RtcRtpTransceiver>().ok())
            .find(|t| t.sender() == sender);
    };
    let sender = transceiver.sender();
    if sender.track() != track {
        let replaced = sender.replace_track(track.as_ref());
        // Refusals (a closed connection) change nothing worth telling; observed so the browser
        // does not report them as unhandled.
        wasm_bindgen_futures::spawn_local(async move {
            let _ = JsFuture::from(replaced).await;
        });
    }
    let direction = if track.is_some() {
        RtcRtpTransceiverDirection::Sendrecv
    } else {
        RtcRtpTransceiverDirection::Recvonly
    };
    if transceiver.direction() != direction {
        transceiver.set_direction(direction);
    }
    Some(transceiver)
}

fn reusable_transceiver(connection: &RtcPeerConnection, kind: &str) -> Option<RtcRtpTransceiver> {
    connection
        .get_transceivers()
        .iter()
        .filter_map(|t| t.dyn_into::<RtcRtpTransceiver>().ok())
        .find(|t| {
            !t.stopped()
                && t.sender().track().is_none()
                && t.receiver().track().kind() == kind
                && t.mid().is_some()
        })
}

impl Drop for CallMedia {
    fn drop(&mut self) {
        self.connection.set_ontrack(None);
        self.microphone = None;
        self.camera = None;
        self.screen = None;
        // Off the connection: the next offer says we send nothing.
        if !self.closed() {
            for transceiver in [self.audio.take(), self.video.take()].into_iter().flatten() {
                send(&self.connection, Some(transceiver), "", None);
            }
        }
        for track in self.remote.get_tracks().iter() {
            if let Ok(track) = track.dyn_into::<MediaStreamTrack>() {
                self.remote.remove_track(&track);
            }
        }
    }
}

/// A short two-tone ring through WebAudio while a call comes in. Where the browser does not
/// allow sound yet (no gesture on the page), it stays silent: never an error.
pub struct Ring {
    context: AudioContext,
}

impl Ring {
    pub fn start() -> Option<Self> {
        let context = AudioContext::new().ok()?;
        if let Ok(resumed) = context.resume() {
            wasm_bindgen_futures::spawn_local(async move {
                let _ = JsFuture::from(resumed).await;
            });
        }
        Some(Self { context })
    }

    /// One ring: two short tones, starting now.
    pub fn ring_once(&self) {
        let now = self.context.current_time();
        for (offset, frequency) in [(0.0, 440.0), (0.45, 480.0)] {
            let tone = || -> Result<(), JsValue> {
                let oscillator = self.context.create_oscillator()?;
                let gain = self.context.create_gain()?;
                oscillator.frequency().set_value(frequency);
                gain.gain().set_value(0.15);
                oscillator.connect_with_audio_node(&gain)?;
                gain.connect_with_audio_node(&self.context.destination())?;
                oscillator.start_with_when(now + offset)?;
                oscillator.stop_with_when(now + offset + 0.4)?;
                Ok(())
            };
            let _ = tone();
        }
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        if let Ok(closed) = self.context.close() {
            wasm_bindgen_futures::spawn_local(async move {
                let _ = JsFuture::from(closed).await;
            });
        }
    }
}

/// Shows `stream` in a video element (or nothing).
pub fn show(element: &web_sys::HtmlMediaElement, stream: Option<&MediaStream>) {
    element.set_src_object(stream);
    if stream.is_some() {
        if let Ok(playing) = element.play() {
            // Autoplay refusals are not an error: the video starts with the next gesture.
            wasm_bindgen_futures::spawn_local(async move {
                let _ = JsFuture::from(playing).await;
            });
        }
    }
}
