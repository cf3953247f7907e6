//! The app's state and actions. Components read the signals and call the methods; everything
//! that decides something is in `core`, everything that touches the browser is in `web`.
//!
//! This file is the connection's life: invite, answer, hand-off, connect, disconnect.
//! `attempt.rs` is the value that owns one try at a connection (the peer connection, its file
//! session, its tasks) and ends all of it when dropped. `conversation.rs` is what travels over
//! the connection once it is up (hello, messages, receipts, typing); `renegotiation.rs` is ICE
//! restarts over the channel itself; `files.rs` is file transfers, on a data channel of their
//! own; `storage.rs` is conversations in IndexedDB.

mod attempt;
mod call;
mod conversation;
mod file_session;
pub mod files;
mod files_part;
mod group;
mod group_part;
mod identity;
mod lazy_part;
mod renegotiation;
mod storage;

pub use call::Calls;
pub use conversation::Chat;
pub use group::{AddPerson, GroupLine, Groups, LineKind, MemberRow};
use group_part::GroupCall;
pub use identity::Identity;
pub use storage::{Storage, StorageState};

use std::future::Future;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::RtcPeerConnectionState;

use crate::app::attempt::{Attempt, AttemptId};
use crate::app::files::FileTransfers;
use crate::core::chat::Conversation;
use crate::core::connection_path::ConnectionPath;
use crate::core::handoff::{HandoffMessage, HandoffOutcome};
use crate::core::late_answer::{ANSWER_VALID_MS, KNOCK_EVERY_MS};
use crate::core::links::{link_with_code, route, Route};
use crate::core::safety::{safety_code, Fingerprint};
use crate::core::session::{AnswerRejection, InviteLedger, Phase, Role};
use crate::core::settings::{Settings, STORAGE_KEY};
use crate::core::signal::{self, InviteId, Signal, SignalKind};
use crate::web::browser::{
    self, app_base_url, clear_location_hash, random_hex_id, random_invite_id,
};
use crate::web::handoff::{offer_answer_to_other_tab, HandoffChannel};
use crate::web::peer::{Peer, PeerEvent};
use crate::web::site_storage;
use crate::web::timers::sleep_ms;

/// After the inviter applies the answer, how long ICE and DTLS may take before we call it
/// failed. Chromium alone can take far longer to give up on unreachable candidates.
const CONNECT_DEADLINE_MS: i32 = 15_000;

/// How often the connection's path and round trip are read from the browser's stats.
const PATH_CHECK_MS: i32 = 2_000;
/// When the path is first read after the channel opens.
const PATH_FIRST_CHECK_MS: i32 = 250;

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

/// A peer-to-peer chat in this tab, grouped by concern. `Copy`: every field is an arena handle.
/// The methods (here and in the other files of this module) tie the concerns together.
#[derive(Clone, Copy)]
pub struct TinCan {
    /// The connection: its phase on screen and the attempt that owns it.
    pub connection: Connection,
    /// The conversation on screen and the list of stored ones.
    pub chat: Chat,
    /// What the app tells the user right now.
    pub notices: Notices,
    pub settings: RwSignal<Settings>,
    /// Files sent and received in this chat, on their own data channel.
    pub files: FileTransfers,
    /// Conversations in IndexedDB, the passphrase lock, export and import.
    pub storage: Storage,
    /// This browser's certificate, the peers it knows, and the live peer's judged identity.
    pub identity: Identity,
    /// Voice and video calls over this connection.
    pub call: Calls,
    /// The group, when this chat has more than two people.
    pub groups: Groups,
}

/// The connection of this tab, as the screen shows it, and the [`Attempt`] behind it.
#[derive(Clone, Copy)]
pub struct Connection {
    pub phase: RwSignal<Phase>,
    pub safety_code: RwSignal<Option<String>>,
    /// How the live connection runs (direct or relayed, round trip), from the browser's stats.
    pub path: RwSignal<Option<ConnectionPath>>,
    /// Frames from the peer dropped as junk or out of place on this connection.
    pub dropped_frames: RwSignal<u64>,
    /// The current attempt; `None` on the start screen, after a failure or once the peer left.
    attempt: StoredValue<Option<Attempt>, LocalStorage>,
    /// The number of the latest attempt; the next one gets the next number.
    last_attempt: StoredValue<AttemptId>,
    ledger: StoredValue<InviteLedger>,
    /// While this tab holds an invite: where other tabs hand it the answer.
    handoff: StoredValue<Option<HandoffChannel>, LocalStorage>,
    /// "Create invite" was pressed before storage and the identity were settled (a first
    /// visit's start screen shows before they are): the invite is made once they are.
    invite_when_ready: StoredValue<bool>,
}

/// The alert (role="alert") and the notice (role="status"); each action clears them.
#[derive(Clone, Copy)]
pub struct Notices {
    /// The latest problem to show.
    pub alert: RwSignal<Option<String>>,
    /// The latest information to show.
    pub notice: RwSignal<Option<String>>,
}

impl Notices {
    fn alert(&self, message: impl Into<String>) {
        self.notice.set(None);
        self.alert.set(Some(message.into()));
    }

    fn inform(&self, message: impl Into<String>) {
        self.notice.set(Some(message.into()));
    }

    fn clear(&self) {
        self.alert.set(None);
        self.notice.set(None);
    }
}

impl TinCan {
    /// Restores settings and this browser's id, and opens the stored conversations: unless the
    /// page was opened with a link to act on, the most recent one is shown, disconnected, once
    /// storage is open (and unlocked).
    pub fn new() -> Self {
        let settings = site_storage::storage_get(STORAGE_KEY)
            .map(|raw| Settings::from_json(&raw))
            .unwrap_or_default();
        let attempt = StoredValue::new_local(None);
        let groups = Groups::new();
        let this = Self {
            connection: Connection {
                phase: RwSignal::new(Phase::Start),
                safety_code: RwSignal::new(None),
                path: RwSignal::new(None),
                dropped_frames: RwSignal::new(0),
                attempt,
                last_attempt: StoredValue::new(0),
                ledger: StoredValue::new(InviteLedger::default()),
                handoff: StoredValue::new_local(None),
                invite_when_ready: StoredValue::new(false),
            },
            chat: Chat::new(),
            notices: Notices {
                alert: RwSignal::new(None),
                notice: RwSignal::new(None),
            },
            settings: RwSignal::new(settings),
            files: FileTransfers::new(attempt, groups),
            storage: Storage::new(),
            identity: Identity::new(),
            call: Calls::new(),
            groups,
        };
        this.open_storage();
        this.load_identity();
        this
    }

    fn show_alert(&self, message: impl Into<String>) {
        self.notices.alert(message);
    }

    fn clear_messages(&self) {
        self.notices.clear();
    }

    /// Ends the current attempt: its connection closes and its tasks stop, now. Whatever the
    /// screen showed of it goes too.
    fn reset(&self) {
        self.end_group();
        self.store_now();
        self.files.clear();
        self.end_attempt();
        self.connection.handoff.set_value(None);
        self.connection.ledger.update_value(InviteLedger::close);
        self.connection.dropped_frames.set(0);
        self.chat.peer_typing.set(false);
        self.connection.safety_code.set(None);
        self.connection.path.set(None);
    }

    /// Drops the current attempt (closing its connection, cancelling its tasks).
    fn end_attempt(&self) {
        self.forget_peer_identity();
        // Taken out first, dropped after: its Drop must not run while the slot is borrowed.
        let ended = self
            .connection
            .attempt
            .try_update_value(Option::take)
            .flatten();
        drop(ended);
        self.clear_call();
    }

    /// Whether a connection exists (being made, or live).
    pub fn has_peer(&self) -> bool {
        self.connection.attempt.with_value(Option::is_some)
    }

    /// Runs `act` on the current attempt, if there is one.
    fn with_attempt<R>(&self, act: impl FnOnce(&Attempt) -> R) -> Option<R> {
        self.connection
            .attempt
            .try_with_value(|attempt| attempt.as_ref().map(act))
            .flatten()
    }

    fn with_attempt_mut<R>(&self, act: impl FnOnce(&mut Attempt) -> R) -> Option<R> {
        self.connection
            .attempt
            .try_update_value(|attempt| attempt.as_mut().map(act))
            .flatten()
    }

    /// Runs `task` as a task of attempt `id`: it stops when that attempt ends. Not at all when
    /// that attempt has already ended.
    fn spawn_for(&self, id: AttemptId, task: impl Future<Output = ()> + 'static) {
        self.connection.attempt.with_value(|attempt| {
            if let Some(attempt) = attempt.as_ref().filter(|attempt| attempt.id == id) {
                attempt.spawn(task);
            }
        });
    }

    fn is_current(&self, id: AttemptId) -> bool {
        self.with_attempt(|attempt| attempt.id == id)
            .unwrap_or(false)
    }

    fn role(&self) -> Option<Role> {
        self.with_attempt(|attempt| attempt.role)
    }

    /// Back to the start screen; stored conversations stay in the list. A live peer is told at
    /// once, as when the tab closes.
    pub fn start_over(&self) {
        if self.connection.phase.get_untracked() == Phase::Connected {
            self.send_frame(&crate::core::protocol::Frame::Bye);
        }
        self.reset();
        self.clear_messages();
        self.show_conversation(None);
        self.connection.phase.set(Phase::Start);
    }

    pub fn save_settings(&self, settings: Settings) -> Result<(), String> {
        let stored = site_storage::storage_set(STORAGE_KEY, &settings.to_json());
        // Used for this tab either way.
        self.settings.set(settings);
        if stored {
            Ok(())
        } else {
            Err("Saved for this tab only: the browser refused to store settings.".to_owned())
        }
    }

    /// The attempt failed: its connection closes, and the screen says why.
    fn fail(&self, message: impl Into<String>) {
        self.files.detach();
        self.end_attempt();
        self.connection.phase.set(Phase::Failed);
        self.show_alert(message);
    }

    /// "Create invite": a new conversation with whoever opens the link.
    pub fn create_invite(&self) {
        if !self.storage_ready() || !self.identity_ready() {
            // The busy screen until storage and the identity are settled (`continue_start`):
            // a connection must not start with a certificate that may still change.
            self.connection.invite_when_ready.set_value(true);
            self.connection.phase.set(Phase::Preparing);
            return;
        }
        match random_hex_id() {
            Some(id) => self.invite_into(Conversation::new(id, browser::now_ms())),
            None => self.fail(NO_RANDOM),
        }
    }

    /// "Reconnect": a new invite bound to the conversation on screen. When the peer opens it,
    /// both apps recognise the conversation and exchange what the other is missing.
    pub fn reconnect(&self) {
        match self.chat.conversation.get_untracked() {
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
        self.spawn_for(attempt, async move {
            match peer.create_offer().await {
                Ok(sdp) => {
                    this.connection
                        .ledger
                        .update_value(|ledger| ledger.open(invite_id));
                    this.listen_for_handoff();
                    this.connection.phase.set(Phase::WaitingForAnswer {
                        invite_link: link_for(SignalKind::Invite, invite_id, sdp),
                    });
                }
                Err(error) => this.fail(error.to_string()),
            }
        });
    }

    /// A new attempt in `role`: ends the old one, shows `conversation` (the invitee's is known
    /// only from the inviter's hello) and makes the peer connection.
    fn begin(
        &self,
        role: Role,
        conversation: Option<Conversation>,
    ) -> Option<(AttemptId, Rc<Peer>)> {
        self.reset();
        self.clear_messages();
        self.show_conversation(conversation);
        self.connection.phase.set(Phase::Preparing);
        self.connection.last_attempt.update_value(|id| *id += 1);
        let id = self.connection.last_attempt.get_value();
        let this = *self;
        let settings = self.settings.get_untracked();
        let certificate = self.identity.certificate();
        self.renew_identity_if_due();
        match Peer::new(&settings, certificate.as_ref(), move |event| {
            this.on_peer_event(id, event)
        }) {
            Ok(peer) => {
                let attempt = Attempt::new(id, role, peer);
                let peer = attempt.peer.clone();
                self.connection.attempt.set_value(Some(attempt));
                Some((id, peer))
            }
            Err(error) => {
                self.fail(error.to_string());
                None
            }
        }
    }

    /// Reads the URL fragment (on load and on every hash change) and acts on the code in it.
    pub fn open_location(&self) {
        // Until storage is open (and unlocked) and the identity settled, the link waits in the
        // address bar.
        if !self.storage_ready() || !self.identity_ready() {
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
            SignalKind::Invite
                if self.connection.phase.get_untracked() == Phase::Connected && self.in_group() =>
            {
                self.group(GroupCall::AnswerIntoGroup(signal));
            }
            SignalKind::Invite if self.connection.phase.get_untracked() == Phase::Connected => {
                self.show_alert(STILL_IN_CHAT)
            }
            SignalKind::Invite => self.answer_invite(signal),
            SignalKind::Answer if self.adding_invite() == Some(signal.invite_id) => {
                self.use_add_person_answer(code)
            }
            SignalKind::Answer
                if self.connection.ledger.with_value(|l| l.open_invite())
                    == Some(signal.invite_id) =>
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
        // The browser applies the offer while the page renders the new screen.
        let offer = peer.apply_offer(&invite.sdp);
        let this = *self;
        self.spawn_for(attempt, async move {
            match peer.answer_offer(offer).await {
                // The channel may already be open if the inviter was very quick.
                Ok(sdp) if this.connection.phase.get_untracked() == Phase::Preparing => {
                    this.connection.phase.set(Phase::WaitingForInviter {
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
    /// expired. A task of the attempt: a new attempt ends it.
    fn keep_answer_usable(&self, attempt: AttemptId) {
        let this = *self;
        let shown_ms = browser::now_ms();
        self.spawn_for(attempt, async move {
            let mut round = 0u32;
            loop {
                sleep_ms(KNOCK_EVERY_MS).await;
                if !matches!(
                    this.connection.phase.get_untracked(),
                    Phase::WaitingForInviter { .. }
                ) {
                    return;
                }
                if browser::now_ms() - shown_ms >= ANSWER_VALID_MS {
                    this.fail(ANSWER_EXPIRED);
                    return;
                }
                this.with_attempt(|attempt| {
                    if attempt.peer.has_no_path() {
                        round = round.wrapping_add(1);
                        attempt.peer.knock(round);
                    }
                });
            }
        });
    }

    fn hand_answer_to_other_tab(&self, answer: Signal, code: String) {
        self.clear_messages();
        self.notices
            .inform("Looking for the tab that made this invite…");
        let this = *self;
        // Not a task of any attempt: this tab has no connection for this answer.
        spawn_local(async move {
            match offer_answer_to_other_tab(answer.invite_id, &code).await {
                Some(HandoffOutcome::Accepted) => this.notices.inform(HANDED_OVER),
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
            .connection
            .ledger
            .try_update_value(|ledger| ledger.take_answer(&answer))
            .unwrap_or(Err(AnswerRejection::NotWaiting))
        {
            self.show_alert(rejection.to_string());
            return;
        }
        // Handed to the browser before the "Connecting" screen renders, not after.
        let Some((attempt, accepted)) =
            self.with_attempt(|attempt| (attempt.id, attempt.peer.apply_answer(&answer.sdp)))
        else {
            self.show_alert(AnswerRejection::NotWaiting.to_string());
            return;
        };
        self.connection.phase.set(Phase::Connecting);
        let this = *self;
        self.spawn_for(attempt, async move {
            if let Err(error) = accepted.await {
                this.fail(error.to_string());
                return;
            }
            // The deadline starts when the answer is applied, however late that is.
            sleep_ms(CONNECT_DEADLINE_MS).await;
            if this.connection.phase.get_untracked() == Phase::Connecting {
                this.fail(this.no_path_message());
            }
        });
    }

    /// While this tab holds an invite, other tabs may hand it the answer.
    fn listen_for_handoff(&self) {
        let this = *self;
        let channel = HandoffChannel::open(move |message| this.on_handoff_message(message));
        self.connection.handoff.set_value(channel);
    }

    fn on_handoff_message(&self, message: HandoffMessage) {
        let HandoffMessage::Answer { code, .. } = message else {
            return;
        };
        let Ok(answer) = signal::decode(&code) else {
            return;
        };
        let Some(open_invite) = self.connection.ledger.with_value(|l| l.open_invite()) else {
            return;
        };
        if answer.invite_id != open_invite {
            return;
        }
        let reply = match self
            .connection
            .ledger
            .with_value(|l| l.check_answer(&answer))
        {
            Ok(()) => Some(HandoffOutcome::Accepted),
            Err(rejection) => HandoffOutcome::for_rejection(&rejection),
        };
        if let Some(outcome) = reply {
            self.connection.handoff.with_value(|channel| {
                if let Some(channel) = channel {
                    channel.post(&HandoffMessage::reply(open_invite, outcome));
                }
            });
        }
        if reply == Some(HandoffOutcome::Accepted) {
            self.clear_messages();
            self.notices
                .inform("Got the answer from your other tab. Connecting…");
            self.use_answer(answer);
        }
    }

    fn on_peer_event(&self, attempt: AttemptId, event: PeerEvent) {
        // The attempt's Drop removes these handlers; this is the net under that.
        if !self.is_current(attempt) {
            return;
        }
        let phase = self.connection.phase.get_untracked();
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
                self.notices.inform(WAITING_FOR_INVITER)
            }
            PeerEvent::State(RtcPeerConnectionState::Failed) => self.fail(self.no_path_message()),
            PeerEvent::State(RtcPeerConnectionState::Disconnected) if phase == Phase::Connected => {
                self.on_network_trouble(attempt)
            }
            PeerEvent::State(RtcPeerConnectionState::Connected) => {
                // Back after a network blip or an ICE restart while the channel stayed open.
                if phase == Phase::Disconnected {
                    self.connection.phase.set(Phase::Connected);
                    self.notices.notice.set(None);
                    self.on_path_back();
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

    fn on_connected(&self, attempt: AttemptId) {
        let code = self
            .with_attempt_mut(|attempt| {
                let local = Fingerprint::from_sdp(&attempt.peer.local_sdp()?)?;
                let remote = Fingerprint::from_sdp(&attempt.peer.remote_sdp()?)?;
                let code = safety_code(&local, &remote);
                attempt.remote_fingerprint = Some(remote);
                Some(code)
            })
            .flatten();
        self.connection.safety_code.set(code);
        self.with_attempt_mut(|attempt| attempt.outbox.channel_open());
        // The inviter's hello goes first: the peer answers it while this side opens the files
        // channel and builds the chat screen. Unless a changed identity holds it back.
        let inviter = self.role() == Some(Role::Inviter);
        let changed = inviter.then(|| self.changed_before_hello()).flatten();
        if inviter && changed.is_none() {
            self.send_hello();
        }
        self.files.attach();
        self.clear_messages();
        self.connection.phase.set(Phase::Connected);
        if let Some(peer) = changed {
            self.hold(peer);
        }
        self.watch_path(attempt);
    }

    /// Keeps `path` current while this attempt's connection lives: how it runs can change
    /// (an ICE restart, a relay taking over after a network change).
    fn watch_path(&self, attempt: AttemptId) {
        let this = *self;
        self.spawn_for(attempt, async move {
            // Not while the hellos cross and the chat screen is built: the header shows the path
            // a moment later.
            sleep_ms(PATH_FIRST_CHECK_MS).await;
            loop {
                let Some(stats) = this.with_attempt(|attempt| attempt.peer.stats()) else {
                    return;
                };
                let path = stats.await.and_then(|stats| stats.path());
                if path.is_some() && this.connection.path.with_untracked(|known| *known != path) {
                    this.connection.path.set(path);
                }
                sleep_ms(PATH_CHECK_MS).await;
            }
        });
    }

    fn on_peer_gone(&self, why: &str) {
        // In a group, the others may still be connected: the chat goes on with them.
        if self.connection.phase.get_untracked() == Phase::Connected
            && self.in_group()
            && self.group(GroupCall::GoesOnWithoutFirstPeer) == Some(true)
        {
            self.files.detach();
            self.end_attempt();
            self.connection.path.set(None);
            self.connection.safety_code.set(None);
            return;
        }
        if matches!(
            self.connection.phase.get_untracked(),
            Phase::Connected | Phase::Disconnected
        ) {
            // The invite stays "used": its answer cannot start a second chat.
            self.files.detach();
            self.end_attempt();
            self.chat.peer_typing.set(false);
            self.connection.path.set(None);
            self.update_conversation(Conversation::connection_lost);
            self.connection.phase.set(Phase::Disconnected);
            self.notices.inform(why);
            // No burst left to coalesce: store now, so another tab sees the latest state.
            self.store_now();
        }
    }

    /// Tab closing: tell the peer at once instead of letting it time out.
    pub fn say_goodbye(&self) {
        if self.connection.phase.get_untracked() == Phase::Connected {
            self.send_frame(&crate::core::protocol::Frame::Bye);
        }
        self.store_now();
        self.store_known_peers_now();
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
