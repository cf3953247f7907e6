//! Voice and video calls inside the chat's connection, with no new links: call frames ring
//! and answer over the chat channel, and the media is negotiated over it too (see
//! `renegotiation.rs`). `core::call` decides; this file carries out its effects with
//! `web::media` and keeps what the screen shows.
//!
//! The call's machine and its media belong to the connection's `Attempt`: when the attempt
//! ends (Start over, the peer leaving, a failure), its drop stops every track.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_split_helpers::{wasm_split, SplitLoaderError};
use web_sys::MediaStream;

use super::attempt::AttemptId;
use super::lazy_part::{Door, DoorCall, DoorLoad, LazyPart};
use super::TinCan;
use crate::core::call::{
    CallEffect, CallEnding, CallKind, CallSignal, CallState, RemoteMedia, RING_TIMEOUT_MS,
};
use crate::core::protocol::Frame;
use crate::web::browser::now_ms;
use crate::web::media::{self, CallMedia, Device, MediaEvent, Ring};
use crate::web::timers::sleep_ms;

/// The ring repeats this often while a call comes in.
const RING_EVERY_MS: i32 = 3_000;

/// Call frames waiting for the call's part beyond this many are dropped (a peer flooding them
/// cannot grow this tab's memory); a call needs a handful.
const MAX_WAITING: usize = 32;

const NOT_LOADED: &str = "The call could not go on: this browser could not fetch that part of Tin Can. Check the connection.";

/// What this side's microphone, camera and screen do in the call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LocalControls {
    pub muted: bool,
    /// The user turned the camera off (or it is gone).
    pub camera_off: bool,
    pub sharing_screen: bool,
}

/// The call on screen. `Copy`: arena handles.
#[derive(Clone, Copy)]
pub struct Calls {
    pub state: RwSignal<CallState>,
    /// What the peer's hello said; `None` before it.
    pub peer_can_call: RwSignal<Option<bool>>,
    pub local: RwSignal<LocalControls>,
    /// Own camera or screen (small), and what the other side sends (large, with the sound).
    pub preview: RwSignal<Option<MediaStream>, LocalStorage>,
    pub remote: RwSignal<Option<MediaStream>, LocalStorage>,
    /// Counts remote tracks arriving, so the video element picks them up.
    pub remote_tracks: RwSignal<u32>,
    /// Seconds since the call was agreed.
    pub duration_s: RwSignal<Option<u64>>,
    /// A device problem in the call, or why it could not start.
    pub problem: RwSignal<Option<String>>,
    /// How the last call ended.
    pub ended: RwSignal<Option<&'static str>>,
    ring: StoredValue<Option<Ring>, LocalStorage>,
    /// The call's part of the wasm, and the peer's call frames waiting for it (attempt, signal).
    part: LazyPart<(AttemptId, CallSignal)>,
}

/// The door for the peer's call frames into the call's part of the wasm (README, "Shipped
/// size"): what carries out a call (this file's effects, `core::call`'s machine, `web::media`)
/// is not needed before someone calls. Fetched when the peer's hello says it can take calls;
/// frames that come before it is there wait, in order.
#[wasm_split(call_signals, fallible, preload(load_call_part))]
fn call_frame_door(
    tin_can: TinCan,
    frame: (AttemptId, CallSignal),
) -> Result<bool, SplitLoaderError> {
    tin_can.on_call_signal(frame.0, frame.1);
    Ok(false)
}

impl Calls {
    pub(super) fn new() -> Self {
        Self {
            state: RwSignal::new(CallState::Idle),
            peer_can_call: RwSignal::new(None),
            local: RwSignal::new(LocalControls::default()),
            preview: RwSignal::new_local(None),
            remote: RwSignal::new_local(None),
            remote_tracks: RwSignal::new(0),
            duration_s: RwSignal::new(None),
            problem: RwSignal::new(None),
            ended: RwSignal::new(None),
            ring: StoredValue::new_local(None),
            part: LazyPart::new(),
        }
    }
}

impl Door<(AttemptId, CallSignal)> for TinCan {
    fn max_waiting(self) -> usize {
        MAX_WAITING
    }

    fn enter(self, frame: (AttemptId, CallSignal)) -> DoorCall {
        Box::pin(call_frame_door(self, frame))
    }

    fn load(self) -> DoorLoad {
        Box::pin(load_call_part())
    }

    fn failed(self) {
        self.call.problem.set(Some(NOT_LOADED.to_owned()));
    }
}

impl TinCan {
    /// "Call" or "Video call".
    pub fn place_call(&self, kind: CallKind) {
        self.call.ended.set(None);
        self.call.problem.set(None);
        match self.with_attempt_mut(|attempt| attempt.call.place(kind)) {
            Some(Ok(effects)) => self.carry_out(effects),
            Some(Err(refusal)) => self.call.problem.set(Some(refusal.to_string())),
            None => self.call.problem.set(Some(
                crate::core::call::CallRefusal::NotConnected.to_string(),
            )),
        }
    }

    pub fn accept_call(&self) {
        self.call.problem.set(None);
        let effects = self.with_attempt_mut(|attempt| attempt.call.accept());
        self.carry_out(effects.unwrap_or_default());
    }

    pub fn decline_call(&self) {
        let effects = self.with_attempt_mut(|attempt| attempt.call.decline());
        self.carry_out(effects.unwrap_or_default());
    }

    pub fn hang_up(&self) {
        let effects = self.with_attempt_mut(|attempt| attempt.call.hang_up());
        self.carry_out(effects.unwrap_or_default());
    }

    /// "Mute" / "Unmute": the microphone sends silence while muted.
    pub fn toggle_mute(&self) {
        let muted = !self.call.local.get_untracked().muted;
        self.with_attempt(|attempt| {
            if let Some(media) = &attempt.call_media {
                media.set_muted(muted);
            }
        });
        self.call.local.update(|local| local.muted = muted);
        self.tell_local_media();
    }

    /// "Camera off" stops the camera (its light goes off) and sends no video; "Camera on"
    /// opens it again.
    pub fn toggle_camera(&self) {
        let turn_off = !self.call.local.get_untracked().camera_off;
        self.call.local.update(|local| local.camera_off = turn_off);
        if turn_off {
            self.with_attempt_mut(|attempt| {
                if let Some(media) = &mut attempt.call_media {
                    media.close(Device::Camera);
                }
            });
            self.tell_local_media();
        } else {
            self.open_devices(&[Device::Camera]);
        }
    }

    /// "Share screen" sends the screen instead of the camera; "Stop sharing" goes back.
    pub fn toggle_screen(&self) {
        if self.call.local.get_untracked().sharing_screen {
            self.stop_sharing();
        } else {
            self.open_devices(&[Device::Screen]);
        }
    }

    fn stop_sharing(&self) {
        self.with_attempt_mut(|attempt| {
            if let Some(media) = &mut attempt.call_media {
                media.close(Device::Screen);
            }
        });
        self.call.local.update(|local| local.sharing_screen = false);
        self.tell_local_media();
    }

    /// The peer's hello listed its capabilities. One that can take calls may ring at any
    /// moment: the call's part is fetched now.
    pub(super) fn on_peer_capabilities(&self, caps: &[String]) {
        self.with_attempt_mut(|attempt| attempt.call.peer_hello(caps));
        let can_call = self
            .with_attempt(|attempt| attempt.call.peer_can_call())
            .flatten();
        self.call.peer_can_call.set(can_call);
        if can_call == Some(true) {
            self.call.part.load(*self);
        }
    }

    /// A call frame from the peer (past the gate), on attempt `attempt`'s connection.
    pub(super) fn on_call_frame(&self, attempt: AttemptId, frame: &Frame) {
        let Some(signal) = frame.call_signal() else {
            return;
        };
        self.call.part.call(*self, (attempt, signal));
    }

    /// A call frame, in the call's part: applied if its attempt is still the current one.
    fn on_call_signal(&self, attempt: AttemptId, signal: CallSignal) {
        if self.with_attempt(|current| current.id) != Some(attempt) {
            return;
        }
        if self
            .call
            .problem
            .with_untracked(|p| p.as_deref() == Some(NOT_LOADED))
        {
            self.call.problem.set(None);
        }
        if let CallSignal::Ring { .. } = signal {
            self.call.ended.set(None);
        }
        let effects = self.with_attempt_mut(|attempt| attempt.call.receive(signal));
        self.carry_out(effects.unwrap_or_default());
    }

    /// A media offer was applied: the side that did not offer puts its tracks on now, so that
    /// its answer carries them.
    pub(super) fn attach_call_tracks_before_answer(&self) {
        self.with_attempt_mut(|attempt| {
            if attempt.call.attaches_on_offer() {
                if let Some(media) = &mut attempt.call_media {
                    media.attach();
                }
            }
        });
    }

    /// The attempt ended (its drop stopped the tracks): nothing of its call stays on screen.
    pub(super) fn clear_call(&self) {
        self.call.ring.set_value(None);
        self.call.state.set(CallState::Idle);
        self.call.peer_can_call.set(None);
        self.release_call_view();
        self.call.problem.set(None);
    }

    fn release_call_view(&self) {
        self.call.local.set(LocalControls::default());
        self.call.preview.set(None);
        self.call.remote.set(None);
        self.call.duration_s.set(None);
    }

    fn carry_out(&self, effects: Vec<CallEffect>) {
        let Some(attempt) = self.with_attempt(|attempt| attempt.id) else {
            return;
        };
        for effect in effects {
            match effect {
                CallEffect::Send(signal) => {
                    self.send_frame(&Frame::from(signal));
                }
                CallEffect::OpenDevices(kind) => self.open_call_devices(attempt, kind),
                CallEffect::AttachTracks => {
                    self.with_attempt_mut(|attempt| {
                        if let Some(media) = &mut attempt.call_media {
                            media.attach();
                        }
                    });
                }
                CallEffect::Release => {
                    // Dropped outside the borrow of the attempt.
                    let media = self
                        .with_attempt_mut(|attempt| attempt.call_media.take())
                        .flatten();
                    drop(media);
                    self.release_call_view();
                }
                CallEffect::Ended(ending) => {
                    self.call.ended.set(Some(match ending {
                        CallEnding::ByUs => "Call ended.",
                        CallEnding::Declined => "The other person declined the call.",
                        CallEnding::ByPeer => "The other person ended the call.",
                        CallEnding::NoAnswer => "No answer.",
                        CallEnding::ConnectionGone => "The call ended with the connection.",
                    }));
                }
            }
        }
        self.show_call_state(attempt);
    }

    /// The screen follows the machine: ringing while a call comes in, the ring timeout while
    /// ours rings, the duration while in a call.
    fn show_call_state(&self, attempt: AttemptId) {
        let Some(state) = self.with_attempt(|attempt| attempt.call.state()) else {
            return;
        };
        let before = self.call.state.get_untracked();
        if before == state {
            return;
        }
        self.call.state.set(state);
        let this = *self;
        match state {
            CallState::Incoming { id, .. } => {
                self.call.ring.set_value(Ring::start());
                self.spawn_for(attempt, async move {
                    while matches!(this.call.state.get_untracked(), CallState::Incoming { id: ringing, .. } if ringing == id)
                    {
                        this.call.ring.with_value(|ring| {
                            if let Some(ring) = ring {
                                ring.ring_once();
                            }
                        });
                        sleep_ms(RING_EVERY_MS).await;
                    }
                });
            }
            CallState::Outgoing { id, .. } => {
                self.spawn_for(attempt, async move {
                    sleep_ms(RING_TIMEOUT_MS).await;
                    let effects = this.with_attempt_mut(|attempt| attempt.call.ring_timed_out(id));
                    this.carry_out(effects.unwrap_or_default());
                });
            }
            CallState::Active { id, .. } => {
                self.call.ring.set_value(None);
                if !matches!(before, CallState::Active { .. }) {
                    let started = now_ms();
                    self.call.duration_s.set(Some(0));
                    self.spawn_for(attempt, async move {
                        loop {
                            sleep_ms(1_000).await;
                            if !matches!(this.call.state.get_untracked(), CallState::Active { id: current, .. } if current == id)
                            {
                                return;
                            }
                            let seconds = ((now_ms() - started) / 1_000.0).max(0.0) as u64;
                            this.call.duration_s.set(Some(seconds));
                        }
                    });
                    // What we already changed before the call was agreed.
                    self.tell_local_media();
                }
            }
            CallState::Idle => self.call.ring.set_value(None),
        }
    }

    /// Makes the open devices match a call of `kind`, creating the call's media first.
    fn open_call_devices(&self, attempt: AttemptId, kind: CallKind) {
        let this = *self;
        let created = self.with_attempt_mut(|current| {
            if current.call_media.is_none() {
                let media = CallMedia::new(current.peer.connection(), move |event| {
                    this.on_media_event(attempt, event)
                });
                match media {
                    Ok(media) => current.call_media = Some(media),
                    Err(error) => return Err(error),
                }
            }
            if !kind.has_video() {
                if let Some(media) = &mut current.call_media {
                    media.close(Device::Camera);
                }
            }
            Ok(current
                .call_media
                .as_ref()
                // The handles, not JS `MediaStream.clone()` (see `web::media`).
                .map(|media| (Clone::clone(media.preview()), Clone::clone(media.remote()))))
        });
        match created {
            Some(Ok(Some((preview, remote)))) => {
                self.call.preview.set(Some(preview));
                self.call.remote.set(Some(remote));
            }
            Some(Err(error)) => self.call.problem.set(Some(error.to_string())),
            _ => {}
        }
        let camera_off = self.call.local.get_untracked().camera_off;
        let wanted: Vec<Device> = media::devices_for(kind)
            .iter()
            .copied()
            .filter(|device| *device != Device::Camera || !camera_off)
            .collect();
        self.open_devices(&wanted);
    }

    /// Opens each device that is not open yet. Not a task of the attempt: a device the browser
    /// opens after the call or the attempt ended must still be stopped, not dropped unseen with
    /// its light on.
    fn open_devices(&self, devices: &[Device]) {
        let Some(attempt) = self.with_attempt(|attempt| attempt.id) else {
            return;
        };
        let missing: Vec<Device> = devices
            .iter()
            .copied()
            .filter(|&device| {
                !self
                    .with_attempt(|current| {
                        current
                            .call_media
                            .as_ref()
                            .is_some_and(|media| media.has(device))
                    })
                    .unwrap_or(false)
            })
            .collect();
        let this = *self;
        if missing == [Device::Microphone, Device::Camera] {
            spawn_local(async move {
                match media::open_microphone_and_camera().await {
                    // Kept in one go: both tracks go on the connection in one negotiation.
                    Some((microphone, camera)) => {
                        this.keep_device(attempt, Device::Microphone, microphone);
                        this.keep_device(attempt, Device::Camera, camera);
                    }
                    None => {
                        for device in [Device::Microphone, Device::Camera] {
                            spawn_local(this.open_one(attempt, device));
                        }
                    }
                }
            });
            return;
        }
        for device in missing {
            spawn_local(this.open_one(attempt, device));
        }
    }

    /// Opens `device` and keeps it, or says what went wrong if the call is still on.
    async fn open_one(self, attempt: AttemptId, device: Device) {
        match media::open(device).await {
            Ok(track) => self.keep_device(attempt, device, track),
            Err(error) => {
                if self.is_current(attempt) && self.call.state.get_untracked() != CallState::Idle {
                    if device == Device::Camera {
                        self.call.local.update(|local| local.camera_off = true);
                        self.tell_local_media();
                    }
                    self.call.problem.set(Some(error.to_string()));
                }
            }
        }
    }

    /// A device opened: kept if the call still wants it, stopped otherwise.
    fn keep_device(&self, attempt: AttemptId, device: Device, track: web_sys::MediaStreamTrack) {
        let local = self.call.local.get_untracked();
        let wanted_now = |state: CallState| match (device, state) {
            (_, CallState::Idle | CallState::Incoming { .. }) => false,
            (Device::Microphone, _) => true,
            (Device::Camera, CallState::Outgoing { kind, .. } | CallState::Active { kind, .. }) => {
                kind.has_video() && !local.camera_off
            }
            (Device::Screen, state) => matches!(state, CallState::Active { .. }),
        };
        let kept = self
            .with_attempt_mut(|current| {
                let wanted = current.id == attempt && wanted_now(current.call.state());
                match &mut current.call_media {
                    Some(media) if wanted && !media.has(device) => {
                        // The same track (a JS `clone()` would be a second, unstopped one).
                        media.set(device, Clone::clone(&track));
                        if device == Device::Microphone {
                            media.set_muted(local.muted);
                        }
                        true
                    }
                    _ => false,
                }
            })
            .unwrap_or(false);
        if !kept {
            track.stop();
            return;
        }
        if device == Device::Screen {
            self.call.local.update(|local| local.sharing_screen = true);
        }
        self.tell_local_media();
    }

    fn on_media_event(&self, attempt: AttemptId, event: MediaEvent) {
        if !self.is_current(attempt) {
            return;
        }
        match event {
            MediaEvent::RemoteTrack => self.call.remote_tracks.update(|count| *count += 1),
            // The browser's own "Stop sharing": back to the camera, no alarm.
            MediaEvent::Ended(Device::Screen) => self.stop_sharing(),
            MediaEvent::Ended(device) => {
                self.with_attempt_mut(|attempt| {
                    if let Some(media) = &mut attempt.call_media {
                        media.close(device);
                    }
                });
                if device == Device::Camera {
                    self.call.local.update(|local| local.camera_off = true);
                }
                self.call.problem.set(Some(format!(
                    "Your {device} stopped (unplugged, or taken by another program): the call goes on without it."
                )));
                self.tell_local_media();
            }
        }
    }

    /// Tells the peer what our microphone, camera and screen do now.
    fn tell_local_media(&self) {
        let local = self.call.local.get_untracked();
        let has_camera = self
            .with_attempt(|attempt| {
                attempt
                    .call_media
                    .as_ref()
                    .is_some_and(|media| media.has(Device::Camera) || media.has(Device::Screen))
            })
            .unwrap_or(false);
        let effects = self.with_attempt(|attempt| {
            attempt.call.local_media_changed(RemoteMedia {
                muted: local.muted,
                camera_off: local.camera_off || !has_camera,
                sharing_screen: local.sharing_screen,
            })
        });
        for effect in effects.unwrap_or_default() {
            if let CallEffect::Send(signal) = effect {
                self.send_frame(&Frame::from(signal));
            }
        }
    }
}
