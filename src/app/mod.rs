//! The app's state and actions. Components read the signals and call the methods; everything
//! that decides something is in `core`, everything that touches the browser is in `web`.
//!
//! This file is the connection's life: invite, answer, hand-off, connect, disconnect.
//! `conversation.rs` is what travels over the connection once it is up (hello, messages,
//! receipts, typing, history); `renegotiation.rs` is ICE restarts over the channel itself;
//! `files.rs` is file transfers' state, on a data channel of their own.

mod conversation;
pub mod files;
mod renegotiation;
mod storage;

pub use storage::StorageState;

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::RtcPeerConnectionState;

use crate::app::files::FileTransfers;
use crate::core::chat::Conversation;
use crate::core::connection_path::ConnectionPath;
use crate::core::handoff::{HandoffMessage, HandoffOutcome};
use crate::core::history::{History, PEER_ID_KEY};
use crate::core::late_answer::{ANSWER_VALID_MS, KNOCK_EVERY_MS};
use crate::core::links::{link_with_code, route, Route};
use crate::core::protocol::FrameGate;
use crate::core::safety::{safety_code, Fingerprint};
use crate::core::session::{AnswerRejection, InviteLedger, Phase, Role};
use crate::core::settings::{Settings, STORAGE_KEY};
use crate::core::signal::{self, InviteId, Signal, SignalKind};
use crate::web::browser::{
    self, app_base_url, clear_location_hash, random_hex_id, random_invite_id, sleep_ms,
};
use crate::web::handoff::{offer_answer_to_other_tab, HandoffChannel};
use crate::web::notes::NoteChannel;
use crate::web::peer::{Peer, PeerEvent};

/// After the inviter applies the answer, how long ICE and DTLS may take before we call it
/// failed. Chromium alone can take far longer to give up on unreachable candidates.
const CONNECT_DEADLINE_MS: i32 = 15_000;

/// How often the connection's path and round trip are read from the browser's stats.
const PATH_CHECK_MS: i32 = 2_000;

const WAITING_FOR_INVITER: &str = "Waiting for the other person to open your answer link (it stays valid for 30 minutes; keep this tab open). If they already did and nothing happens, your networks may block a direct connection: a relay (TURN server, in Settings) helps.";

const NO_TAB_WAITING: &str = "No tab in this browser is waiting for this answer. Open the answer link in the browser where you made the invite, or paste it into that tab’s “Paste the answer link” box.";
const HANDED_OVER: &str =
    "Answer handed to your other tab: the chat continues there. You can close this tab.";
/// The inviter applied the answer, but no path came up in time, and no relay was configured.
const NEEDS_RELAY: &str = "Could not connect to the other browser: no direct path was found between your two networks (the other side may have closed the page, or one of you is behind a strict router or firewall). If you both are still there, a relay is needed: open Settings, add a TURN server under ICE servers with its TURN username and credential, press Save, then Start over and make a new invite.";
/// The same, with a relay configured: the relay did not help either.
const RELAY_FAILED: &str = "Could not connect to the other browser, even through your TURN relay. Check it with Test servers in Settings, then Start over and make a new invite.";
/// A live connection died and the browsers could not find a new path by themselves.
const CONNECTION_LOST: &str = "The connection was lost: the network changed or dropped. Press Reconnect and send the new invite to the other person; messages you write meanwhile wait as pending.";
const ANSWER_EXPIRED: &str = "Your answer link expired: the other person did not open it in time. Ask them for a new invite link.";
const STILL_IN_CHAT: &str = "You are still in a chat. Press Start over first to open another link.";
const NO_RANDOM: &str =
    "This browser could not make a random invite id (Web Crypto is unavailable).";

/// A peer-to-peer chat in this tab. `Copy`: every field is an arena handle.
#[derive(Clone, Copy)]
pub struct TinCan {
    pub phase: RwSignal<Phase>,
    /// The latest problem to show (role="alert"); cleared by the next action.
    pub alert: RwSignal<Option<String>>,
    /// The latest information to show (role="status").
    pub notice: RwSignal<Option<String>>,
    /// The conversation on screen: live, being reconnected, or restored from history.
    pub conversation: RwSignal<Option<Conversation>>,
    /// Every stored conversation, most recent first.
    pub history: RwSignal<History>,
    pub peer_typing: RwSignal<bool>,
    pub safety_code: RwSignal<Option<String>>,
    /// How the live connection runs (direct or relayed, round trip), from the browser's stats.
    pub path: RwSignal<Option<ConnectionPath>>,
    pub settings: RwSignal<Settings>,
    /// Frames from the peer dropped as junk or out of place on this connection.
    pub dropped_frames: RwSignal<u64>,
    /// Files sent and received in this chat, on their own data channel.
    pub files: FileTransfers,
    role: StoredValue<Option<Role>>,
    /// This browser's stable id, told to peers so a reconnect finds the same conversation.
    my_id: StoredValue<String>,
    peer: StoredValue<Option<Rc<Peer>>, LocalStorage>,
    ledger: StoredValue<InviteLedger>,
    handoff: StoredValue<Option<HandoffChannel>, LocalStorage>,
    gate: StoredValue<FrameGate>,
    /// Bumped on every new attempt; events and async results of older attempts are ignored.
    attempt: StoredValue<u64>,
    /// When this side last told the peer it is typing, and which typing notice is the latest.
    typing_sent_ms: StoredValue<f64>,
    typing_seen: StoredValue<u64>,
    /// Where the app stands with its storage (opening, locked, open).
    pub storage: RwSignal<StorageState>,
    /// Why the latest write was refused (shown in the conversation), until one succeeds.
    pub storage_problem: RwSignal<Option<String>>,
    /// Why the passphrase was not taken.
    pub unlock_error: RwSignal<Option<String>>,
    /// The outcome of the latest export, import, lock change or Delete all data.
    pub storage_status: RwSignal<Option<Result<String, String>>>,
    /// A lock change is under way (it takes a moment).
    pub lock_busy: RwSignal<bool>,
    store: StoredValue<Option<Rc<storage::Store>>, LocalStorage>,
    notes: StoredValue<Option<NoteChannel>, LocalStorage>,
    /// A write is under way, and whether more changed meanwhile.
    writing: StoredValue<bool>,
    write_again: StoredValue<bool>,
    /// Conversations taken off screen with changes not yet written.
    leaving: StoredValue<Vec<Conversation>>,
    /// Storage is not ready yet: once it is, show the most recent conversation or open the link.
    starting: StoredValue<bool>,
    persist_asked: StoredValue<bool>,
    /// Bumped by each Open: only the latest one shows its conversation.
    opening: StoredValue<u64>,
    /// A read after other tabs' notes is scheduled.
    catching_up: StoredValue<bool>,
    /// An acknowledgement to the peer is already scheduled.
    ack_scheduled: StoredValue<bool>,
}

impl TinCan {
    /// Restores settings and this browser's id, and opens the stored conversations: unless the
    /// page was opened with a link to act on, the most recent one is shown, disconnected, once
    /// storage is open (and unlocked).
    pub fn new() -> Self {
        let settings = browser::storage_get(STORAGE_KEY)
            .map(|raw| Settings::from_json(&raw))
            .unwrap_or_default();
        let my_id = browser::storage_get(PEER_ID_KEY)
            .filter(|id| !id.is_empty())
            .or_else(|| {
                let id = random_hex_id()?;
                browser::storage_set(PEER_ID_KEY, &id);
                Some(id)
            })
            .unwrap_or_else(|| "unknown".to_owned());
        let this = Self {
            phase: RwSignal::new(Phase::Start),
            alert: RwSignal::new(None),
            notice: RwSignal::new(None),
            conversation: RwSignal::new(None),
            history: RwSignal::new(History::default()),
            peer_typing: RwSignal::new(false),
            safety_code: RwSignal::new(None),
            path: RwSignal::new(None),
            settings: RwSignal::new(settings),
            dropped_frames: RwSignal::new(0),
            files: FileTransfers::new(),
            role: StoredValue::new(None),
            my_id: StoredValue::new(my_id),
            peer: StoredValue::new_local(None),
            ledger: StoredValue::new(InviteLedger::default()),
            handoff: StoredValue::new_local(None),
            gate: StoredValue::new(FrameGate::default()),
            attempt: StoredValue::new(0),
            typing_sent_ms: StoredValue::new(0.0),
            typing_seen: StoredValue::new(0),
            ack_scheduled: StoredValue::new(false),
            storage: RwSignal::new(StorageState::Opening),
            storage_problem: RwSignal::new(None),
            unlock_error: RwSignal::new(None),
            storage_status: RwSignal::new(None),
            lock_busy: RwSignal::new(false),
            store: StoredValue::new_local(None),
            notes: StoredValue::new_local(None),
            writing: StoredValue::new(false),
            write_again: StoredValue::new(false),
            leaving: StoredValue::new(Vec::new()),
            starting: StoredValue::new(true),
            persist_asked: StoredValue::new(false),
            opening: StoredValue::new(0),
            catching_up: StoredValue::new(false),
        };
        this.open_storage();
        this
    }

    fn show_alert(&self, message: impl Into<String>) {
        self.notice.set(None);
        self.alert.set(Some(message.into()));
    }

    fn clear_messages(&self) {
        self.alert.set(None);
        self.notice.set(None);
    }

    /// Drops the connection and everything tied to it; returns the new attempt number.
    fn reset(&self) -> u64 {
        self.store_now();
        self.files.clear();
        self.close_peer();
        self.handoff.set_value(None);
        self.ledger.update_value(InviteLedger::close);
        self.role.set_value(None);
        self.gate.set_value(FrameGate::default());
        self.dropped_frames.set(0);
        self.peer_typing.set(false);
        self.safety_code.set(None);
        self.path.set(None);
        self.attempt.update_value(|n| *n += 1);
        self.attempt.get_value()
    }

    /// Closes this tab's connection now and forgets it. A task of the old attempt may still
    /// hold the connection for a moment (a gathering wait), but it is closed, so nothing of it
    /// outlives the attempt on the network.
    fn close_peer(&self) {
        if let Some(old) = self.peer.try_update_value(Option::take).flatten() {
            old.close();
        }
    }

    /// Whether a connection exists (being made, or live).
    pub fn has_peer(&self) -> bool {
        self.peer.with_value(Option::is_some)
    }

    fn is_current(&self, attempt: u64) -> bool {
        self.attempt.get_value() == attempt
    }

    /// Back to the start screen; stored conversations stay in the list.
    pub fn start_over(&self) {
        self.reset();
        self.clear_messages();
        self.show_conversation(None);
        self.phase.set(Phase::Start);
    }

    pub fn save_settings(&self, settings: Settings) -> Result<(), String> {
        let stored = browser::storage_set(STORAGE_KEY, &settings.to_json());
        // Used for this tab either way.
        self.settings.set(settings);
        if stored {
            Ok(())
        } else {
            Err("Saved for this tab only: the browser refused to store settings.".to_owned())
        }
    }

    fn new_peer(&self, attempt: u64) -> Option<Rc<Peer>> {
        let this = *self;
        let settings = self.settings.get_untracked();
        match Peer::new(&settings, move |event| this.on_peer_event(attempt, event)) {
            Ok(peer) => {
                let peer = Rc::new(peer);
                self.peer.set_value(Some(peer.clone()));
                Some(peer)
            }
            Err(error) => {
                self.fail(error.to_string());
                None
            }
        }
    }

    fn fail(&self, message: impl Into<String>) {
        self.files.detach();
        self.close_peer();
        self.phase.set(Phase::Failed);
        self.show_alert(message);
    }

    /// "Create invite": a new conversation with whoever opens the link.
    pub fn create_invite(&self) {
        match random_hex_id() {
            Some(id) => self.invite_into(Conversation::new(id, browser::now_ms())),
            None => self.fail(NO_RANDOM),
        }
    }

    /// "Reconnect": a new invite bound to the conversation on screen. When the peer opens it,
    /// both apps recognise the conversation and exchange what the other is missing.
    pub fn reconnect(&self) {
        match self.conversation.get_untracked() {
            Some(conversation) => self.invite_into(conversation),
            None => self.create_invite(),
        }
    }

    /// Offer, gather, show the invite link, listen for a handed-over answer.
    fn invite_into(&self, conversation: Conversation) {
        let Some(invite_id) = random_invite_id() else {
            self.reset();
            self.clear_messages();
            self.fail(NO_RANDOM);
            return;
        };
        let Some((attempt, peer)) = self.begin(Role::Inviter, Some(conversation)) else {
            return;
        };
        let this = *self;
        spawn_local(async move {
            let offer = peer.create_offer().await;
            if !this.is_current(attempt) {
                return;
            }
            match offer {
                Ok(sdp) => {
                    this.ledger.update_value(|ledger| ledger.open(invite_id));
                    this.listen_for_handoff();
                    this.phase.set(Phase::WaitingForAnswer {
                        invite_link: link_for(SignalKind::Invite, invite_id, sdp),
                    });
                }
                Err(error) => this.fail(error.to_string()),
            }
        });
    }

    /// A new attempt in `role`: drops the old connection, shows `conversation` (the invitee's is
    /// known only from the inviter's hello) and makes the peer connection.
    fn begin(&self, role: Role, conversation: Option<Conversation>) -> Option<(u64, Rc<Peer>)> {
        let attempt = self.reset();
        self.clear_messages();
        self.show_conversation(conversation);
        self.role.set_value(Some(role));
        self.phase.set(Phase::Preparing);
        self.new_peer(attempt).map(|peer| (attempt, peer))
    }

    /// Reads the URL fragment (on load and on every hash change) and acts on the code in it.
    pub fn open_location(&self) {
        // Until storage is open (and unlocked) the link waits in the address bar.
        if !self.storage_ready() {
            return;
        }
        let Route::Code(code) = route(&browser::location_hash()) else {
            return;
        };
        clear_location_hash();
        self.open_code(&code);
    }

    fn open_code(&self, code: &str) {
        let signal = match signal::decode(code) {
            Ok(signal) => signal,
            Err(error) => {
                self.show_alert(error.to_string());
                return;
            }
        };
        match signal.kind {
            SignalKind::Invite if self.phase.get_untracked() == Phase::Connected => {
                self.show_alert(STILL_IN_CHAT)
            }
            SignalKind::Invite => self.answer_invite(signal),
            SignalKind::Answer
                if self.ledger.with_value(|l| l.open_invite()) == Some(signal.invite_id) =>
            {
                self.clear_messages();
                self.use_answer(signal);
            }
            SignalKind::Answer => self.hand_answer_to_other_tab(signal, code.to_owned()),
        }
    }

    /// Invitee: take the offer, make the answer link. The conversation is the inviter's: it is
    /// known once their hello arrives.
    fn answer_invite(&self, invite: Signal) {
        let Some((attempt, peer)) = self.begin(Role::Invitee, None) else {
            return;
        };
        let this = *self;
        spawn_local(async move {
            let answer = peer.accept_offer(&invite.sdp).await;
            if !this.is_current(attempt) {
                return;
            }
            match answer {
                // The channel may already be open if the inviter was very quick.
                Ok(sdp) if this.phase.get_untracked() == Phase::Preparing => {
                    this.phase.set(Phase::WaitingForInviter {
                        answer_link: link_for(SignalKind::Answer, invite.invite_id, sdp),
                    });
                    this.keep_answer_usable(attempt);
                }
                Ok(_) => {}
                Err(error) => this.fail(error.to_string()),
            }
        });
    }

    /// Invitee, while the answer link is out: knocks while the browser has no path to the
    /// inviter's candidates (see `core::late_answer`), and ends the attempt once the answer has
    /// expired. Holds no connection across its sleeps: a new attempt ends it.
    fn keep_answer_usable(&self, attempt: u64) {
        let this = *self;
        let shown_ms = browser::now_ms();
        spawn_local(async move {
            let mut round = 0u32;
            loop {
                sleep_ms(KNOCK_EVERY_MS).await;
                let waiting = matches!(this.phase.get_untracked(), Phase::WaitingForInviter { .. });
                if !this.is_current(attempt) || !waiting {
                    return;
                }
                if browser::now_ms() - shown_ms >= ANSWER_VALID_MS {
                    this.fail(ANSWER_EXPIRED);
                    return;
                }
                this.peer.with_value(|peer| {
                    if let Some(peer) = peer.as_ref().filter(|peer| peer.has_no_path()) {
                        round = round.wrapping_add(1);
                        peer.knock(round);
                    }
                });
            }
        });
    }

    fn hand_answer_to_other_tab(&self, answer: Signal, code: String) {
        self.clear_messages();
        self.notice.set(Some(
            "Looking for the tab that made this invite…".to_owned(),
        ));
        let this = *self;
        spawn_local(async move {
            match offer_answer_to_other_tab(answer.invite_id, &code).await {
                Some(HandoffOutcome::Accepted) => this.notice.set(Some(HANDED_OVER.to_owned())),
                Some(HandoffOutcome::AlreadyUsed) => {
                    this.show_alert(AnswerRejection::AlreadyUsed.to_string())
                }
                None => this.show_alert(NO_TAB_WAITING),
            }
        });
    }

    /// Inviter: the "Paste the answer link" box and "Connect".
    pub fn connect_with(&self, pasted: &str) {
        match signal::decode(pasted) {
            Ok(answer) => {
                self.clear_messages();
                self.use_answer(answer);
            }
            Err(error) => self.show_alert(error.to_string()),
        }
    }

    fn use_answer(&self, answer: Signal) {
        if let Err(rejection) = self
            .ledger
            .try_update_value(|ledger| ledger.take_answer(&answer))
            .unwrap_or(Err(AnswerRejection::NotWaiting))
        {
            self.show_alert(rejection.to_string());
            return;
        }
        let Some(peer) = self.peer.get_value() else {
            self.show_alert(AnswerRejection::NotWaiting.to_string());
            return;
        };
        let attempt = self.attempt.get_value();
        self.phase.set(Phase::Connecting);
        let this = *self;
        spawn_local(async move {
            let accepted = peer.accept_answer(&answer.sdp).await;
            // The deadline below must not keep the connection alive: a new attempt drops it.
            drop(peer);
            if let Err(error) = accepted {
                if this.is_current(attempt) {
                    this.fail(error.to_string());
                }
                return;
            }
            // The deadline starts when the answer is applied, however late that is.
            sleep_ms(CONNECT_DEADLINE_MS).await;
            if this.is_current(attempt) && this.phase.get_untracked() == Phase::Connecting {
                this.fail(this.no_path_message());
            }
        });
    }

    /// While this tab holds an invite, other tabs may hand it the answer.
    fn listen_for_handoff(&self) {
        let this = *self;
        let channel = HandoffChannel::open(move |message| this.on_handoff_message(message));
        self.handoff.set_value(channel);
    }

    fn on_handoff_message(&self, message: HandoffMessage) {
        let HandoffMessage::Answer { code, .. } = message else {
            return;
        };
        let Ok(answer) = signal::decode(&code) else {
            return;
        };
        let Some(open_invite) = self.ledger.with_value(|l| l.open_invite()) else {
            return;
        };
        if answer.invite_id != open_invite {
            return;
        }
        let reply = match self.ledger.with_value(|l| l.check_answer(&answer)) {
            Ok(()) => Some(HandoffOutcome::Accepted),
            Err(rejection) => HandoffOutcome::for_rejection(&rejection),
        };
        if let Some(outcome) = reply {
            self.handoff.with_value(|channel| {
                if let Some(channel) = channel {
                    channel.post(&HandoffMessage::reply(open_invite, outcome));
                }
            });
        }
        if reply == Some(HandoffOutcome::Accepted) {
            self.clear_messages();
            self.notice.set(Some(
                "Got the answer from your other tab. Connecting…".to_owned(),
            ));
            self.use_answer(answer);
        }
    }

    fn on_peer_event(&self, attempt: u64, event: PeerEvent) {
        if !self.is_current(attempt) {
            return;
        }
        let phase = self.phase.get_untracked();
        let was_live = matches!(phase, Phase::Connected | Phase::Disconnected);
        match event {
            PeerEvent::ChannelOpen => self.on_connected(attempt),
            PeerEvent::Message(raw) => self.on_frame(&raw),
            PeerEvent::ChannelClosed => self.on_peer_gone("The other person left the chat."),
            PeerEvent::NegotiationNeeded => self.on_negotiation_needed(attempt),
            // Once live, a dead path is a lost connection, not a firewall.
            PeerEvent::State(RtcPeerConnectionState::Failed) if was_live => {
                self.on_peer_gone(CONNECTION_LOST)
            }
            // The invitee's checks fail until the inviter applies the answer, which may take
            // minutes: keep waiting (and knocking), do not fail.
            PeerEvent::State(RtcPeerConnectionState::Failed)
                if matches!(phase, Phase::WaitingForInviter { .. }) =>
            {
                self.notice.set(Some(WAITING_FOR_INVITER.to_owned()))
            }
            PeerEvent::State(RtcPeerConnectionState::Failed) => self.fail(self.no_path_message()),
            PeerEvent::State(RtcPeerConnectionState::Disconnected) if phase == Phase::Connected => {
                self.on_network_trouble(attempt)
            }
            PeerEvent::State(RtcPeerConnectionState::Connected) => {
                // Back after a network blip or an ICE restart while the channel stayed open.
                if phase == Phase::Disconnected && self.peer.with_value(Option::is_some) {
                    self.phase.set(Phase::Connected);
                    self.notice.set(None);
                    self.resend_undelivered();
                }
            }
            PeerEvent::State(_) => {}
        }
    }

    /// Why no path came up, and what to do: a relay where none is configured.
    fn no_path_message(&self) -> &'static str {
        let has_relay = self.settings.with_untracked(|settings| {
            settings
                .ice_servers
                .iter()
                .any(|url| url.get(..4).is_some_and(|s| s.eq_ignore_ascii_case("turn")))
        });
        if has_relay {
            RELAY_FAILED
        } else {
            NEEDS_RELAY
        }
    }

    fn on_connected(&self, attempt: u64) {
        let code = self.peer.with_value(|peer| {
            let peer = peer.as_ref()?;
            let local = Fingerprint::from_sdp(&peer.local_sdp()?)?;
            let remote = Fingerprint::from_sdp(&peer.remote_sdp()?)?;
            Some(safety_code(&local, &remote))
        });
        self.safety_code.set(code);
        self.peer.with_value(|peer| {
            if let Some(peer) = peer {
                self.files.attach(peer.connection());
            }
        });
        self.clear_messages();
        self.phase.set(Phase::Connected);
        if self.role.get_value() == Some(Role::Inviter) {
            self.send_hello();
        }
        self.watch_path(attempt);
    }

    /// Keeps `path` current while this attempt's connection lives: how it runs can change
    /// (an ICE restart, a relay taking over after a network change).
    fn watch_path(&self, attempt: u64) {
        let this = *self;
        spawn_local(async move {
            while this.is_current(attempt) {
                // The future borrows nothing: the connection is not kept alive by the wait.
                let Some(stats) = this
                    .peer
                    .with_value(|peer| peer.as_ref().map(|p| p.stats()))
                else {
                    return;
                };
                let path = stats.await.and_then(|stats| stats.path());
                if !this.is_current(attempt) {
                    return;
                }
                if path.is_some() && this.path.with_untracked(|known| *known != path) {
                    this.path.set(path);
                }
                sleep_ms(PATH_CHECK_MS).await;
            }
        });
    }

    fn on_peer_gone(&self, why: &str) {
        if matches!(
            self.phase.get_untracked(),
            Phase::Connected | Phase::Disconnected
        ) {
            // The invite stays "used": its answer cannot start a second chat.
            self.files.detach();
            self.close_peer();
            self.peer_typing.set(false);
            self.path.set(None);
            self.update_conversation(Conversation::connection_lost);
            self.phase.set(Phase::Disconnected);
            self.notice.set(Some(why.to_owned()));
            // No burst left to coalesce: store now, so another tab sees the latest state.
            self.store_now();
        }
    }

    /// Tab closing: tell the peer at once instead of letting it time out.
    pub fn say_goodbye(&self) {
        if self.phase.get_untracked() == Phase::Connected {
            self.send_frame(&crate::core::protocol::Frame::Bye);
        }
        self.store_now();
    }
}

/// A link to this app carrying `sdp` for `invite_id` in its fragment.
fn link_for(kind: SignalKind, invite_id: InviteId, sdp: String) -> String {
    let code = signal::encode(&Signal {
        kind,
        invite_id,
        sdp,
    });
    link_with_code(&app_base_url(), &code)
}

impl Default for TinCan {
    fn default() -> Self {
        Self::new()
    }
}
