//! One RTCPeerConnection with its chat data channel. Owns every JS callback it installs and
//! releases them, and closes the connection, when dropped.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Event, MessageEvent, RtcCertificate, RtcConfiguration, RtcDataChannel, RtcDataChannelInit,
    RtcDataChannelState, RtcIceCandidateInit, RtcIceConnectionState, RtcIceGatheringState,
    RtcIceServer, RtcIceTransportPolicy, RtcPeerConnection, RtcPeerConnectionIceEvent,
    RtcPeerConnectionState, RtcSdpType, RtcSessionDescriptionInit, RtcSignalingState,
};

use crate::core::connection_path::{CandidateStats, PairStats, StatsSnapshot};
use crate::core::gathering::{count_candidates, GatheringPolicy, GatheringVerdict};
use crate::core::late_answer::knock_candidates;
use crate::core::settings::Settings;
use crate::web::browser::{js_error_text, now_ms};
use crate::web::identity;
use crate::web::timers::{sleep_or_wake, wake, Waiter};

/// Label and id of the chat channel. Negotiated out of band (both sides create it with the same
/// id), so no `ondatachannel` race and no extra round trip.
const CHAT_CHANNEL_LABEL: &str = "chat";
const CHAT_CHANNEL_ID: u16 = 0;

/// Gathering is looked at on every candidate event, and at least this often (for the grace and
/// give-up deadlines, which no event marks). Before, a 10 ms poll added up to 10 ms to every link.
const GATHERING_CHECK_MS: i32 = 50;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PeerError {
    #[error("This browser cannot make direct connections (WebRTC is unavailable or blocked): {0}")]
    Unsupported(String),
    #[error("The browser refused the connection details: {0}")]
    Rejected(String),
    #[error("No network path was found. Check your connection, or the ICE servers in Settings.")]
    NoCandidates,
    #[error("The chat is not connected.")]
    NotOpen,
    #[error("Both sides renegotiated at once; the other side's offer wins.")]
    Glare,
}

/// What the connection tells the app.
#[derive(Clone, Debug, PartialEq)]
pub enum PeerEvent {
    ChannelOpen,
    ChannelClosed,
    Message(String),
    State(RtcPeerConnectionState),
    /// The browser wants a new offer (after `restart_ice`).
    NegotiationNeeded,
}

pub struct Peer {
    connection: RtcPeerConnection,
    channel: RtcDataChannel,
    candidates_seen: Rc<Cell<usize>>,
    /// The gathering wait, woken by every candidate event (the last one, null, means complete).
    gathering: Rc<Waiter>,
    /// The remote SDP as handed to the browser. `remoteDescription` is only updated when the
    /// promise resolves, which can come after the channel has already opened on a fast network.
    remote_sdp: RefCell<Option<String>>,
    /// `restart_ice` was called: the next renegotiation gathers new candidates (and waits for
    /// them, as there is no trickle); any other (a call's media) keeps the transport as it is.
    restarting: Cell<bool>,
    /// An offer of ours is being made: an offer from the peer now collides with it.
    making_offer: Cell<bool>,
    /// The answer to our offer is being applied: the state still says "have-local-offer", but
    /// an offer from the peer that arrives now comes after that answer, not across our offer.
    applying_answer: Cell<bool>,
    // Kept alive as long as the handlers are installed; dropped after they are removed.
    _on_ice_candidate: Closure<dyn FnMut(RtcPeerConnectionIceEvent)>,
    _on_state: Closure<dyn FnMut(Event)>,
    _on_negotiation_needed: Closure<dyn FnMut(Event)>,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_close: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

fn rejected(value: JsValue) -> PeerError {
    PeerError::Rejected(js_error_text(&value))
}

impl Peer {
    /// A connection proving `certificate` in its DTLS handshake (this browser's stable identity,
    /// `web::identity`); `None` lets the browser make a fresh one for this connection.
    pub fn new(
        settings: &Settings,
        certificate: Option<&RtcCertificate>,
        on_event: impl Fn(PeerEvent) + 'static,
    ) -> Result<Self, PeerError> {
        let configuration = rtc_configuration(settings, certificate);
        let connection = RtcPeerConnection::new_with_configuration(&configuration)
            .map_err(|error| PeerError::Unsupported(js_error_text(&error)))?;
        let init = RtcDataChannelInit::new();
        init.set_negotiated(true);
        init.set_id(CHAT_CHANNEL_ID);
        init.set_ordered(true);
        let channel =
            connection.create_data_channel_with_data_channel_dict(CHAT_CHANNEL_LABEL, &init);

        let on_event = Rc::new(on_event);
        let candidates_seen = Rc::new(Cell::new(0));

        let gathering: Rc<Waiter> = Rc::default();
        let (seen, gathering_changed) = (candidates_seen.clone(), gathering.clone());
        let on_ice_candidate = Closure::<dyn FnMut(RtcPeerConnectionIceEvent)>::new(
            move |event: RtcPeerConnectionIceEvent| {
                if event.candidate().is_some() {
                    seen.set(seen.get() + 1);
                }
                wake(&gathering_changed);
            },
        );
        connection.set_onicecandidate(Some(on_ice_candidate.as_ref().unchecked_ref()));

        let (state_events, state_connection) = (on_event.clone(), connection.clone());
        let on_state = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            state_events(PeerEvent::State(state_connection.connection_state()));
        });
        connection.set_onconnectionstatechange(Some(on_state.as_ref().unchecked_ref()));

        let negotiation_events = on_event.clone();
        let on_negotiation_needed = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            negotiation_events(PeerEvent::NegotiationNeeded)
        });
        connection.set_onnegotiationneeded(Some(on_negotiation_needed.as_ref().unchecked_ref()));

        let open_events = on_event.clone();
        let on_open =
            Closure::<dyn FnMut(Event)>::new(move |_: Event| open_events(PeerEvent::ChannelOpen));
        channel.set_onopen(Some(on_open.as_ref().unchecked_ref()));

        let close_events = on_event.clone();
        let on_close = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            close_events(PeerEvent::ChannelClosed)
        });
        channel.set_onclose(Some(on_close.as_ref().unchecked_ref()));

        let message_events = on_event;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            // Binary frames have no meaning on the chat channel: ignored, like any junk.
            if let Some(text) = event.data().as_string() {
                message_events(PeerEvent::Message(text));
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));

        Ok(Self {
            connection,
            channel,
            candidates_seen,
            gathering,
            remote_sdp: RefCell::new(None),
            restarting: Cell::new(false),
            making_offer: Cell::new(false),
            applying_answer: Cell::new(false),
            _on_ice_candidate: on_ice_candidate,
            _on_state: on_state,
            _on_negotiation_needed: on_negotiation_needed,
            _on_open: on_open,
            _on_close: on_close,
            _on_message: on_message,
        })
    }

    /// Makes the offer and returns its SDP with the candidates gathered in time.
    pub async fn create_offer(&self) -> Result<String, PeerError> {
        self.make_local(RtcSdpType::Offer).await?;
        self.gathered_local_sdp().await
    }

    /// Hands the inviter's offer to the browser now; [`Peer::answer_offer`] finishes the answer.
    pub fn apply_offer(&self, offer_sdp: &str) -> RemoteApplied {
        self.apply_remote(RtcSdpType::Offer, offer_sdp)
    }

    /// Hands the peer's answer to the browser now; awaiting the result says whether it took it.
    pub fn apply_answer(&self, answer_sdp: &str) -> RemoteApplied {
        self.apply_remote(RtcSdpType::Answer, answer_sdp)
    }

    /// The answer to an offer already handed over ([`Peer::apply_offer`]), with the candidates
    /// gathered in time.
    pub async fn answer_offer(&self, offer: RemoteApplied) -> Result<String, PeerError> {
        offer.await?;
        self.make_local(RtcSdpType::Answer).await?;
        self.gathered_local_sdp().await
    }

    pub async fn accept_answer(&self, answer_sdp: &str) -> Result<(), PeerError> {
        self.apply_answer(answer_sdp).await
    }

    /// Starts an ICE restart; the browser then asks for negotiation (`NegotiationNeeded`).
    pub fn restart_ice(&self) {
        // Not in web-sys yet: call the standard method by name.
        let restart = Reflect::get(&self.connection, &JsValue::from_str("restartIce"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(restart) = restart {
            self.restarting.set(true);
            let _ = restart.call0(&self.connection);
        }
    }

    /// An offer to send over the channel: after `restart_ice` with the candidates gathered in
    /// time; otherwise (a call's tracks changed) at once, as the transport and its candidates
    /// stay the same.
    pub async fn renegotiation_offer(&self) -> Result<String, PeerError> {
        if self.connection.signaling_state() != RtcSignalingState::Stable {
            // The browser asks again once the exchange under way is over.
            return Err(PeerError::Glare);
        }
        self.making_offer.set(true);
        let offer = if self.restarting.replace(false) {
            self.create_offer().await
        } else {
            self.quick_offer().await
        };
        self.making_offer.set(false);
        offer
    }

    async fn quick_offer(&self) -> Result<String, PeerError> {
        self.make_local(RtcSdpType::Offer).await?;
        self.local_sdp().ok_or(PeerError::NotOpen)
    }

    /// Takes the peer's renegotiation offer (an ICE restart, a call's media) and returns the
    /// answer; `before_answer` runs once the offer is applied (a call puts its tracks on the
    /// transceivers the offer made). On glare (both sides offered at once) the polite side (the
    /// invitee) drops its own offer; the other keeps its own and ignores the peer's, which will
    /// accept ours ("perfect negotiation", `core::call::take_colliding_offer`).
    pub async fn accept_restart_offer(
        &self,
        offer_sdp: &str,
        polite: bool,
        before_answer: impl FnOnce(),
    ) -> Result<String, PeerError> {
        let applying_answer = self.applying_answer.get();
        let collision = crate::core::call::offer_collides(
            self.making_offer.get(),
            self.connection.signaling_state() == RtcSignalingState::Stable,
            applying_answer,
        );
        if !crate::core::call::take_colliding_offer(polite, collision) {
            return Err(PeerError::Glare);
        }
        // (Rolling back while our answer is being applied would fail once it is: the browser
        // applies descriptions in order, so this offer simply follows the answer.)
        if !applying_answer
            && self.connection.signaling_state() == RtcSignalingState::HaveLocalOffer
        {
            self.set_local(RtcSdpType::Rollback, "").await?;
        }
        let ice_restart = self
            .remote_sdp()
            .is_none_or(|previous| crate::core::call::is_ice_restart(&previous, offer_sdp));
        self.apply_remote(RtcSdpType::Offer, offer_sdp).await?;
        before_answer();
        self.make_local(RtcSdpType::Answer).await?;
        // An ICE restart gathers new candidates, which the answer must carry (no trickle).
        if ice_restart {
            self.gathered_local_sdp().await
        } else {
            self.local_sdp().ok_or(PeerError::NotOpen)
        }
    }

    /// Takes the answer to our ICE-restart offer, if we still have one out.
    pub async fn accept_restart_answer(&self, answer_sdp: &str) -> Result<(), PeerError> {
        if self.connection.signaling_state() != RtcSignalingState::HaveLocalOffer {
            return Err(PeerError::Glare);
        }
        self.applying_answer.set(true);
        let applied = self.accept_answer(answer_sdp).await;
        self.applying_answer.set(false);
        applied
    }

    /// The remote candidates are known and no pair works: ICE is checking, or stopped checking
    /// (Chromium says `disconnected` when its first checks went unanswered, `failed` later).
    pub fn has_no_path(&self) -> bool {
        matches!(
            self.connection.ice_connection_state(),
            RtcIceConnectionState::Checking
                | RtcIceConnectionState::Disconnected
                | RtcIceConnectionState::Failed
        )
    }

    /// Adds the remote candidates again under new foundations, so the browser checks them anew
    /// and its router stays open towards the other side (see `core::late_answer`). Refusals are
    /// ignored: a knock that does not land changes nothing.
    pub fn knock(&self, round: u32) {
        let Some(remote) = self.remote_sdp() else {
            return;
        };
        for candidate in knock_candidates(&remote, round) {
            let init = RtcIceCandidateInit::new(&candidate);
            init.set_sdp_mid(Some("0"));
            init.set_sdp_m_line_index(Some(0));
            let added = self
                .connection
                .add_ice_candidate_with_opt_rtc_ice_candidate_init(Some(&init));
            // A rejected promise must be observed, or the browser reports it as unhandled.
            wasm_bindgen_futures::spawn_local(async move {
                let _ = JsFuture::from(added).await;
            });
        }
    }

    /// The browser's statistics, reduced to what shows how the connection runs. `None` when the
    /// browser gives none (closed connection).
    /// The future does not borrow the peer: a caller need not keep the connection alive while
    /// the browser collects the figures.
    pub fn stats(&self) -> impl std::future::Future<Output = Option<StatsSnapshot>> {
        let report = JsFuture::from(self.connection.get_stats());
        async move { report.await.ok().map(|report| stats_snapshot(&report)) }
    }

    pub fn send(&self, text: &str) -> Result<(), PeerError> {
        if self.channel.ready_state() != RtcDataChannelState::Open {
            return Err(PeerError::NotOpen);
        }
        self.channel
            .send_with_str(text)
            .map_err(|_| PeerError::NotOpen)
    }

    /// The underlying connection, for features that open channels of their own on it.
    pub fn connection(&self) -> &RtcPeerConnection {
        &self.connection
    }

    pub fn local_sdp(&self) -> Option<String> {
        self.connection
            .local_description()
            .map(|description| description.sdp())
    }

    pub fn remote_sdp(&self) -> Option<String> {
        self.remote_sdp.borrow().clone()
    }

    async fn set_local(&self, kind: RtcSdpType, sdp: &str) -> Result<(), PeerError> {
        let description = RtcSessionDescriptionInit::new(kind);
        description.set_sdp(sdp);
        JsFuture::from(self.connection.set_local_description(&description))
            .await
            .map_err(rejected)?;
        Ok(())
    }

    /// Has the browser make an offer or an answer (`kind`) and sets it as the local description.
    async fn make_local(&self, kind: RtcSdpType) -> Result<(), PeerError> {
        let made = if kind == RtcSdpType::Offer {
            self.connection.create_offer()
        } else {
            self.connection.create_answer()
        };
        let description = JsFuture::from(made).await.map_err(rejected)?;
        self.set_local(kind, &description_sdp(&description)).await
    }

    /// Starts applying a remote description at once, not when the result is first awaited: a
    /// spawned task runs only after the page has rendered the screen that goes with it, and the
    /// browser can apply the description meanwhile.
    fn apply_remote(&self, kind: RtcSdpType, sdp: &str) -> RemoteApplied {
        self.remote_sdp.replace(Some(sdp.to_owned()));
        let description = RtcSessionDescriptionInit::new(kind);
        description.set_sdp(sdp);
        RemoteApplied(JsFuture::from(
            self.connection.set_remote_description(&description),
        ))
    }

    /// Waits for gathering by [`GatheringPolicy`] and returns the local SDP as it stands then.
    async fn gathered_local_sdp(&self) -> Result<String, PeerError> {
        let policy = GatheringPolicy::default();
        let started = now_ms();
        // Count this round's candidates only (an ICE restart gathers anew).
        self.candidates_seen.set(0);
        loop {
            let complete = self.connection.ice_gathering_state() == RtcIceGatheringState::Complete;
            let sdp = self.local_sdp().unwrap_or_default();
            // Candidates are counted from the SDP (what the link will carry), with the event count
            // as a fallback for browsers that update the description late.
            let candidates = count_candidates(&sdp).max(if complete {
                0
            } else {
                self.candidates_seen.get()
            });
            match policy.verdict(now_ms() - started, candidates, complete) {
                GatheringVerdict::Ready if count_candidates(&sdp) > 0 => return Ok(sdp),
                GatheringVerdict::NoCandidates => return Err(PeerError::NoCandidates),
                _ => sleep_or_wake(GATHERING_CHECK_MS, &self.gathering).await,
            }
        }
    }
}

impl Peer {
    /// Unhooks every handler, then closes the channel and the connection, at once: nothing of
    /// this connection reaches the app or the network afterwards, even while a task of the old
    /// attempt still holds it. Idempotent; also done on drop.
    pub fn close(&self) {
        self.connection.set_onicecandidate(None);
        self.connection.set_onconnectionstatechange(None);
        self.connection.set_onnegotiationneeded(None);
        self.channel.set_onopen(None);
        self.channel.set_onclose(None);
        self.channel.set_onmessage(None);
        self.channel.close();
        self.connection.close();
        // A gathering wait ends at once instead of at its next check.
        wake(&self.gathering);
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.close();
    }
}

/// Makes one connection and an offer, then closes it, so the first real one starts faster: a
/// page's first connection sets up Chromium's WebRTC machinery (measured in headless Chromium:
/// 6-12 ms for the first constructor and up to 12 ms for the first offer, about 1 ms each after).
/// A remote description the browser is applying (started by [`Peer::apply_offer`] or
/// [`Peer::apply_answer`]); resolves when the browser has taken or refused it. Holds no borrow of
/// the peer.
pub struct RemoteApplied(JsFuture);

impl Future for RemoteApplied {
    type Output = Result<(), PeerError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|applied| applied.map(|_| ()).map_err(rejected))
    }
}

/// Nothing touches the network: no description is set, so no candidates are gathered.
pub fn warm_up() {
    let Ok(connection) = RtcPeerConnection::new() else {
        return;
    };
    let _channel = connection.create_data_channel(CHAT_CHANNEL_LABEL);
    let offer = connection.create_offer();
    wasm_bindgen_futures::spawn_local(async move {
        let _ = JsFuture::from(offer).await;
        connection.close();
    });
}

/// Copies the candidate pairs, candidates and the transport's selected pair out of a stats
/// report (a maplike of plain objects; absent fields stay `None`).
fn stats_snapshot(report: &JsValue) -> StatsSnapshot {
    let text = |object: &JsValue, field: &str| {
        Reflect::get(object, &JsValue::from_str(field))
            .ok()
            .and_then(|value| value.as_string())
    };
    let flag = |object: &JsValue, field: &str| {
        Reflect::get(object, &JsValue::from_str(field))
            .ok()
            .and_then(|value| value.as_bool())
            .unwrap_or(false)
    };
    let mut snapshot = StatsSnapshot::default();
    let Ok(Some(entries)) = js_sys::try_iter(report) else {
        return snapshot;
    };
    for entry in entries.flatten() {
        // Each entry is [id, stats].
        let stat = Reflect::get_u32(&entry, 1).unwrap_or(JsValue::UNDEFINED);
        let id = text(&stat, "id").unwrap_or_default();
        match text(&stat, "type").as_deref() {
            Some("transport") => {
                if let Some(pair) = text(&stat, "selectedCandidatePairId") {
                    snapshot.selected_pair_id = Some(pair);
                }
            }
            Some("candidate-pair") => snapshot.pairs.push(PairStats {
                id,
                local_candidate_id: text(&stat, "localCandidateId").unwrap_or_default(),
                remote_candidate_id: text(&stat, "remoteCandidateId").unwrap_or_default(),
                nominated: flag(&stat, "nominated"),
                succeeded: text(&stat, "state").as_deref() == Some("succeeded"),
                round_trip_s: Reflect::get(&stat, &JsValue::from_str("currentRoundTripTime"))
                    .ok()
                    .and_then(|value| value.as_f64()),
            }),
            Some("local-candidate" | "remote-candidate") => {
                snapshot.candidates.push(CandidateStats {
                    id,
                    candidate_type: text(&stat, "candidateType").unwrap_or_default(),
                    address: text(&stat, "address").or_else(|| text(&stat, "ip")),
                    url: text(&stat, "url"),
                })
            }
            _ => {}
        }
    }
    snapshot
}

/// The `sdp` of a description that `createOffer`/`createAnswer` resolved with.
fn description_sdp(description: &JsValue) -> String {
    Reflect::get(description, &JsValue::from_str("sdp"))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// One entry of `RTCConfiguration.iceServers`; TURN URLs get the credentials.
pub fn ice_server(url: &str, username: &str, credential: &str) -> RtcIceServer {
    let server = RtcIceServer::new();
    server.set_urls(&JsValue::from_str(url));
    if url
        .get(..4)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("turn"))
    {
        server.set_username(username);
        server.set_credential(credential);
    }
    server
}

fn rtc_configuration(
    settings: &Settings,
    certificate: Option<&RtcCertificate>,
) -> RtcConfiguration {
    let servers = Array::new();
    for url in &settings.ice_servers {
        servers.push(&ice_server(
            url,
            &settings.turn_username,
            &settings.turn_credential,
        ));
    }
    let configuration = RtcConfiguration::new();
    configuration.set_ice_servers(&servers);
    if settings.relay_only {
        configuration.set_ice_transport_policy(RtcIceTransportPolicy::Relay);
    }
    if let Some(certificate) = certificate {
        configuration.set_certificates(&identity::certificates(certificate));
    }
    configuration
}
