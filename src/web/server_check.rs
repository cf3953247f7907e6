//! "Test servers" in Settings: one short ICE gathering per STUN/TURN server, so each candidate
//! and each error belongs to the server that caused it. Nothing is sent to another browser; the
//! connection is closed when the probe ends.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Event, RtcConfiguration, RtcIceGatheringState, RtcPeerConnection, RtcPeerConnectionIceEvent,
    RtcSdpType, RtcSessionDescriptionInit,
};

use crate::core::ice_servers::ServerProbe;
use crate::web::browser::{js_error_text, now_ms};
use crate::web::peer::ice_server;
use crate::web::timers::{sleep_or_wake, wake, Waiter};

/// How long one server gets. A reachable server answers in well under a second; Chromium itself
/// would wait about 40 s for one that never does.
pub const PROBE_DEADLINE_MS: u32 = 5_000;

/// A connection made only to gather, with its handlers; both go when it is dropped.
struct Probe {
    connection: RtcPeerConnection,
    found: Rc<RefCell<ServerProbe>>,
    changed: Rc<Waiter>,
    _on_candidate: Closure<dyn FnMut(RtcPeerConnectionIceEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.connection.set_onicecandidate(None);
        let _ = self.connection.remove_event_listener_with_callback(
            "icecandidateerror",
            self._on_error.as_ref().unchecked_ref(),
        );
        self.connection.close();
    }
}

/// Gathers with `url` alone for at most [`PROBE_DEADLINE_MS`]. `Err` when the browser refused
/// to even start (a URL it does not accept, WebRTC unavailable), with its message.
pub async fn probe_server(
    url: &str,
    username: &str,
    credential: &str,
) -> Result<ServerProbe, String> {
    let servers = Array::new();
    servers.push(&ice_server(url, username, credential));
    let configuration = RtcConfiguration::new();
    configuration.set_ice_servers(&servers);
    let connection = RtcPeerConnection::new_with_configuration(&configuration)
        .map_err(|error| js_error_text(&error))?;

    let found = Rc::new(RefCell::new(ServerProbe::default()));
    let changed: Rc<Waiter> = Rc::default();
    let (candidates, woken) = (found.clone(), changed.clone());
    let on_candidate = Closure::<dyn FnMut(RtcPeerConnectionIceEvent)>::new(
        move |event: RtcPeerConnectionIceEvent| {
            match event.candidate() {
                Some(candidate) => candidates
                    .borrow_mut()
                    .candidates
                    .push(candidate.candidate()),
                None => candidates.borrow_mut().complete = true,
            }
            wake(&woken);
        },
    );
    connection.set_onicecandidate(Some(on_candidate.as_ref().unchecked_ref()));
    let (errors, woken) = (found.clone(), changed.clone());
    let on_error = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
        let code = Reflect::get(&event, &JsValue::from_str("errorCode"))
            .ok()
            .and_then(|value| value.as_f64())
            .unwrap_or(0.0);
        let text = Reflect::get(&event, &JsValue::from_str("errorText"))
            .ok()
            .and_then(|value| value.as_string())
            .unwrap_or_default();
        errors.borrow_mut().errors.push((code as u16, text));
        wake(&woken);
    });
    connection
        .add_event_listener_with_callback("icecandidateerror", on_error.as_ref().unchecked_ref())
        .map_err(|error| js_error_text(&error))?;
    let probe = Probe {
        connection,
        found,
        changed,
        _on_candidate: on_candidate,
        _on_error: on_error,
    };

    // A data channel gives the offer something to gather for.
    let _channel = probe.connection.create_data_channel("probe");
    let offer = JsFuture::from(probe.connection.create_offer())
        .await
        .map_err(|error| js_error_text(&error))?;
    let sdp = Reflect::get(&offer, &JsValue::from_str("sdp"))
        .ok()
        .and_then(|value| value.as_string())
        .unwrap_or_default();
    let description = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
    description.set_sdp(&sdp);
    JsFuture::from(probe.connection.set_local_description(&description))
        .await
        .map_err(|error| js_error_text(&error))?;

    let started = now_ms();
    loop {
        let elapsed = now_ms() - started;
        let complete = probe.found.borrow().complete
            || probe.connection.ice_gathering_state() == RtcIceGatheringState::Complete;
        if complete || elapsed >= f64::from(PROBE_DEADLINE_MS) {
            break;
        }
        sleep_or_wake(
            (f64::from(PROBE_DEADLINE_MS) - elapsed).ceil() as i32,
            &probe.changed,
        )
        .await;
    }
    let result = probe.found.borrow().clone();
    Ok(result)
}
