//! Who is on the other end: this browser's stable identity (one certificate for every
//! connection, `web::identity`), the peers it has met (`core::identity::KnownPeers`, stored in
//! the conversations' database, `storage.rs`), and what the app does with a peer's fingerprint
//! at the hello: remember it, show the verified badge, or hold everything back and warn when it
//! changed, until the user accepts the new identity or declines it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::RtcCertificate;

use super::TinCan;
use crate::core::identity::{renewal, Judgement, KnownPeers, Renewal};
use crate::core::protocol::Frame;
use crate::core::safety::Fingerprint;
use crate::core::session::Role;
use crate::web::browser::now_ms;
use crate::web::identity::{self as certificate_store, IdentityError};
use crate::web::timers::sleep_ms;

/// How long after an accepted hello the peer's record is written (see `store_known_peers_soon`);
/// as long as a conversation's first write waits (`conversation.rs`, `STORE_DELAY_MS`).
const KNOWN_PEERS_AFTER_HELLO_MS: i32 = 50;

/// Said (quietly) when the browser will not keep a certificate: chatting works, the code changes
/// on the next visit.
const SESSION_ONLY: &str = "This browser does not let Tin Can keep its identity, so your safety codes will change on your next visit (peers you verified will see a changed identity).";
const DECLINED: &str = "You declined the new identity and disconnected. Nothing was sent to that browser: your messages stay pending. Reconnect when you can compare the safety code.";
const RESET_DONE: &str = "Your identity is new. Peers see a changed identity on your next connection and must compare the safety code again.";

/// The peer of the live connection, as its fingerprint was judged.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerIdentity {
    /// The id the known-peers table has it under: what Accept and Mark as verified act on.
    pub peer_id: String,
    /// What it proved in this connection's handshake.
    pub fingerprint: Fingerprint,
    pub judgement: Judgement,
    /// The hello that waits for the user's decision (`None` when the inviter held back its own
    /// hello, before the peer's came).
    held_hello: Option<HeldHello>,
}

impl PeerIdentity {
    /// Nothing goes out until the user accepts (or declines) this identity.
    pub fn held(&self) -> bool {
        self.judgement.holds_outgoing()
    }
}

/// A peer's hello whose greeting waits for the user's decision.
#[derive(Clone, Debug, PartialEq)]
struct HeldHello {
    peer_id: String,
    name: Option<String>,
    received: u64,
}

/// This browser's certificates, as loaded or made at start.
#[derive(Clone)]
struct Certificates {
    /// For every connection.
    current: RtcCertificate,
    /// Made for the renewal, with its fingerprint: announced to every peer.
    next: Option<(RtcCertificate, Fingerprint)>,
}

/// This browser's identity and the peers it knows. `Copy`: arena handles.
#[derive(Clone, Copy)]
pub struct Identity {
    /// The certificate is settled: connections may start.
    pub ready: RwSignal<bool>,
    /// Why the identity lasts only for this session, when the browser would not keep it.
    pub session_only: RwSignal<Option<String>>,
    /// When this browser's certificate expires (ms since epoch), for Settings.
    pub expires_ms: RwSignal<Option<f64>>,
    /// The peers this browser has met: fingerprints and who is verified.
    pub known: RwSignal<KnownPeers>,
    /// The live connection's peer, once judged; `None` without a connection or before.
    pub peer: RwSignal<Option<PeerIdentity>>,
    /// The outcome of Reset identity.
    pub status: RwSignal<Option<Result<String, String>>>,
    /// Reset identity is under way.
    pub resetting: RwSignal<bool>,
    certificates: StoredValue<Option<Certificates>, LocalStorage>,
    /// A renewal (a new load) is under way.
    renewing: StoredValue<bool>,
    /// A change to `known` waits to be written (`store_known_peers_soon`).
    known_unsaved: StoredValue<bool>,
}

impl Identity {
    pub(super) fn new() -> Self {
        Self {
            ready: RwSignal::new(false),
            session_only: RwSignal::new(None),
            expires_ms: RwSignal::new(None),
            known: RwSignal::new(KnownPeers::new()),
            peer: RwSignal::new(None),
            status: RwSignal::new(None),
            resetting: RwSignal::new(false),
            certificates: StoredValue::new_local(None),
            renewing: StoredValue::new(false),
            known_unsaved: StoredValue::new(false),
        }
    }

    /// The certificate new connections prove, once settled. An expired one (a tab left open past
    /// its renewal) is not used: the browser would refuse the connection; that one connection then
    /// gets a fresh certificate from the browser while the renewal runs.
    pub(super) fn certificate(&self) -> Option<RtcCertificate> {
        self.certificates.with_value(|certificates| {
            certificates
                .as_ref()
                .map(|c| c.current.clone())
                .filter(|current| certificate_store::expires_ms(current) > now_ms())
        })
    }
}

/// The stored identity, or why there is none to keep.
async fn settle(now: f64) -> Result<Certificates, IdentityError> {
    let stored = certificate_store::load_or_create(now).await?;
    let next = match stored.next {
        // Without its fingerprint it cannot be announced; it is still switched to in time.
        Some(next) => certificate_store::fingerprint(&next)
            .await
            .ok()
            .map(|fingerprint| (next, fingerprint)),
        None => None,
    };
    Ok(Certificates {
        current: stored.current,
        next,
    })
}

impl TinCan {
    /// At start: the stored certificate (made and stored the first time). Where the browser will
    /// not keep one, a certificate for this session, and a quiet notice; where it cannot even
    /// make one, the browser's own per connection. Connections wait for this (see
    /// `continue_start`), never longer: chatting is never blocked.
    pub(super) fn load_identity(&self) {
        let this = *self;
        spawn_local(async move {
            this.settle_identity().await;
            this.identity.ready.set(true);
            this.continue_start();
        });
    }

    async fn settle_identity(&self) {
        match settle(now_ms()).await {
            Ok(certificates) => {
                self.identity
                    .expires_ms
                    .set(Some(certificate_store::expires_ms(&certificates.current)));
                self.identity.session_only.set(None);
                self.identity.certificates.set_value(Some(certificates));
            }
            Err(error) => {
                leptos::logging::warn!("identity not kept: {error}");
                let current = certificate_store::generate().await.ok();
                self.identity
                    .expires_ms
                    .set(current.as_ref().map(certificate_store::expires_ms));
                self.identity
                    .certificates
                    .set_value(current.map(|current| Certificates {
                        current,
                        next: None,
                    }));
                self.identity
                    .session_only
                    .set(Some(SESSION_ONLY.to_owned()));
                self.notices.inform(SESSION_ONLY);
            }
        }
    }

    /// Before a connection: a tab kept open for weeks makes the next certificate, or switches
    /// to it, when the schedule says so (`core::identity::renewal`). This connection keeps the
    /// current one, which is still valid for at least a day.
    pub(super) fn renew_identity_if_due(&self) {
        let due = self.identity.certificates.with_value(|certificates| {
            certificates.as_ref().is_some_and(|c| {
                match renewal(certificate_store::expires_ms(&c.current), now_ms()) {
                    Renewal::Keep { .. } => false,
                    Renewal::MakeNext { .. } => c.next.is_none(),
                    Renewal::Switch => true,
                }
            })
        });
        if !due
            || self.identity.session_only.with_untracked(Option::is_some)
            || self.identity.renewing.get_value()
        {
            return;
        }
        self.identity.renewing.set_value(true);
        let this = *self;
        spawn_local(async move {
            this.settle_identity().await;
            this.identity.renewing.set_value(false);
        });
    }

    /// Whether connections may start: the certificate is settled.
    pub fn identity_ready(&self) -> bool {
        self.identity.ready.get_untracked()
    }

    /// Settings' "Reset identity": a new certificate from now on. Every peer sees a changed
    /// identity on the next connection (those who verified this browser, a blocking warning).
    pub fn reset_identity(&self) {
        self.identity.status.set(None);
        self.identity.resetting.set(true);
        let this = *self;
        spawn_local(async move {
            let outcome = match certificate_store::reset().await {
                Ok(()) => {
                    this.settle_identity().await;
                    match this.identity.session_only.get_untracked() {
                        None => Ok(RESET_DONE.to_owned()),
                        Some(why) => Err(why),
                    }
                }
                // Nothing stored to reset: a new certificate for this session.
                Err(_) if this.identity.session_only.with_untracked(Option::is_some) => {
                    this.settle_identity().await;
                    Ok(RESET_DONE.to_owned())
                }
                Err(error) => Err(format!("Your identity was not reset: {error}")),
            };
            this.identity.resetting.set(false);
            this.identity.status.set(Some(outcome));
        });
    }

    /// Delete all data: the identity's database goes too, and a new identity is made.
    pub(super) fn forget_identity(&self) {
        let this = *self;
        spawn_local(async move {
            if let Err(error) = certificate_store::delete_database().await {
                leptos::logging::warn!("identity database not deleted: {error}");
            }
            this.settle_identity().await;
        });
    }

    // ---- The peer's identity at the hello -------------------------------------------------------

    /// The id the conversation on screen is with, if it has met its peer.
    /// The peer this conversation is with, whom a hello must come from. A group's members
    /// take turns on the live connection (any member may bring back one who dropped), so a
    /// group expects nobody in particular: each member is judged by its own identity.
    fn conversation_peer(&self) -> Option<String> {
        self.chat.conversation.with_untracked(|c| {
            c.as_ref()
                .filter(|c| c.group_log().is_none())
                .and_then(|c| c.peer_id.clone())
        })
    }

    fn remote_fingerprint(&self) -> Option<Fingerprint> {
        self.with_attempt(|attempt| attempt.remote_fingerprint.clone())
            .flatten()
    }

    /// Inviter, as the channel opens, before its own hello (which names the conversation): a
    /// reconnect whose peer proves another certificate than the one it is known by must hold
    /// the hello back, so nothing at all reaches that browser before the user decides. The
    /// identity to `hold` for, if so.
    pub(super) fn changed_before_hello(&self) -> Option<PeerIdentity> {
        let (Some(expected), Some(fingerprint)) =
            (self.conversation_peer(), self.remote_fingerprint())
        else {
            return None;
        };
        let judgement = self
            .identity
            .known
            .with_untracked(|known| known.judge(&expected, &fingerprint));
        judgement.holds_outgoing().then_some(PeerIdentity {
            peer_id: expected,
            fingerprint,
            judgement,
            held_hello: None,
        })
    }

    /// At the peer's hello: judges its fingerprint. True when the greeting may go on now; false
    /// when it waits for the user (a changed identity), and the warning is up.
    pub(super) fn judge_hello(&self, peer_id: &str, name: &Option<String>, received: u64) -> bool {
        let Some(fingerprint) = self.remote_fingerprint() else {
            // No fingerprint to judge (never so in a browser that completed DTLS): no badge.
            return true;
        };
        let expected = self.conversation_peer();
        let judgement = self.identity.known.with_untracked(|known| {
            known.judge_in_conversation(expected.as_deref(), peer_id, &fingerprint)
        });
        if judgement.holds_outgoing() {
            self.hold(PeerIdentity {
                peer_id: peer_id.to_owned(),
                fingerprint,
                judgement,
                held_hello: Some(HeldHello {
                    peer_id: peer_id.to_owned(),
                    name: name.clone(),
                    received,
                }),
            });
            return false;
        }
        let mut changed = false;
        self.identity.known.update(|known| {
            let before = known.get(peer_id).cloned();
            // A table full of verified peers keeps them; this peer is then not remembered.
            let _ = known.record(peer_id, &fingerprint, now_ms());
            changed = known.get(peer_id) != before.as_ref();
        });
        if changed {
            self.store_known_peers_soon();
        }
        self.identity.peer.set(Some(PeerIdentity {
            peer_id: peer_id.to_owned(),
            fingerprint,
            judgement,
            held_hello: None,
        }));
        true
    }

    /// Writes the known-peers table [`KNOWN_PEERS_AFTER_HELLO_MS`] from now: a hello's record is
    /// written after the greeting and the chat screen, not in their way (the write costs the page
    /// several milliseconds). Leaving the page writes at once (`store_known_peers_now`).
    fn store_known_peers_soon(&self) {
        if self.identity.known_unsaved.get_value() {
            return;
        }
        self.identity.known_unsaved.set_value(true);
        let this = *self;
        spawn_local(async move {
            sleep_ms(KNOWN_PEERS_AFTER_HELLO_MS).await;
            this.store_known_peers_now();
        });
    }

    /// Writes a record [`Self::store_known_peers_soon`] still holds back, now (the tab is going).
    pub(super) fn store_known_peers_now(&self) {
        if self.identity.known_unsaved.get_value() {
            self.identity.known_unsaved.set_value(false);
            self.store_known_peers();
        }
    }

    /// A changed identity: nothing goes (messages stay pending, files wait) and the warning
    /// shows, until the user accepts it or declines.
    pub(super) fn hold(&self, peer: PeerIdentity) {
        self.with_attempt_mut(|attempt| attempt.outbox.hold());
        self.files.hold();
        self.identity.peer.set(Some(peer));
    }

    /// "Accept new identity": the peer is known by the new fingerprint from now on (not
    /// verified), and what was held goes.
    pub fn accept_identity(&self) {
        let Some(peer) = self
            .identity
            .peer
            .get_untracked()
            .filter(PeerIdentity::held)
        else {
            return;
        };
        let accepted = self
            .identity
            .known
            .try_update(|known| known.accept_change(&peer.peer_id, &peer.fingerprint, now_ms()));
        if let Some(Err(error)) = accepted {
            self.show_alert(format!("The new identity could not be taken: {error}."));
            return;
        }
        self.store_known_peers();
        self.identity.peer.set(Some(PeerIdentity {
            judgement: Judgement::Same { verified: false },
            held_hello: None,
            ..peer.clone()
        }));
        let resend = self
            .with_attempt_mut(|attempt| attempt.outbox.release())
            .flatten();
        self.files.release();
        match peer.held_hello {
            Some(hello) => self.complete_greeting(&hello.peer_id, hello.name, hello.received),
            // The inviter held back its own hello: it goes now; the peer's answer is judged
            // again when it comes.
            None if self.role() == Some(Role::Inviter) => self.send_hello(),
            None => {}
        }
        if let Some(resend) = resend {
            self.resend(resend);
        }
    }

    /// "Decline": disconnect, keeping the conversation. Nothing was sent to that browser; what
    /// was pending stays pending.
    pub fn decline_identity(&self) {
        if !self
            .identity
            .peer
            .with_untracked(|peer| peer.as_ref().is_some_and(PeerIdentity::held))
        {
            return;
        }
        self.on_peer_gone(DECLINED);
    }

    /// "Mark as verified": the user compared the safety code of this connection with the peer.
    pub fn mark_verified(&self) {
        let Some(peer) = self.identity.peer.get_untracked().filter(|p| !p.held()) else {
            return;
        };
        let marked = self
            .identity
            .known
            .try_update(|known| known.mark_verified(&peer.peer_id, &peer.fingerprint));
        match marked {
            Some(Ok(())) => self.store_known_peers(),
            Some(Err(error)) => self.show_alert(format!("Not marked as verified: {error}.")),
            None => {}
        }
    }

    /// "Unmark verified": the badge goes until the code is compared and marked again.
    pub fn unmark_verified(&self) {
        let peer_id = self
            .identity
            .peer
            .with_untracked(|peer| peer.as_ref().map(|p| p.peer_id.clone()))
            .or_else(|| self.conversation_peer());
        let Some(peer_id) = peer_id else {
            return;
        };
        if let Some(Ok(())) = self
            .identity
            .known
            .try_update(|known| known.unmark_verified(&peer_id))
        {
            self.store_known_peers();
        }
    }

    /// Whether the conversation on screen shows the verified badge: its peer is verified under
    /// the fingerprint it proves now (live), or under the one it is known by (not connected). A
    /// live connection not judged yet, or held, shows none. Tracked: for the view.
    pub fn peer_verified(&self) -> bool {
        let live = self.identity.peer.with(|peer| {
            peer.as_ref()
                .map(|p| (p.peer_id.clone(), Some(p.fingerprint.clone()), p.held()))
        });
        let connected = self
            .connection
            .phase
            .with(|phase| *phase == crate::core::session::Phase::Connected);
        let (peer_id, fingerprint) = match live {
            Some((_, _, true)) => return false,
            Some((peer_id, fingerprint, false)) => (peer_id, fingerprint),
            None if connected => return false,
            None => match self
                .chat
                .conversation
                .with(|c| c.as_ref().and_then(|c| c.peer_id.clone()))
            {
                Some(peer_id) => (peer_id, None),
                None => return false,
            },
        };
        self.identity.known.with(|known| {
            known.get(&peer_id).is_some_and(|known| {
                known.verified
                    && fingerprint
                        .as_ref()
                        .is_none_or(|fp| *fp == known.fingerprint)
            })
        })
    }

    /// After the greeting: the next certificate's fingerprint, when a renewal is under way, so
    /// the peer takes the switch quietly.
    pub(super) fn announce_next_identity(&self) {
        let next = self.identity.certificates.with_value(|certificates| {
            certificates
                .as_ref()
                .and_then(|c| c.next.as_ref().map(|(_, fp)| fp.to_sdp_value()))
        });
        if let Some(fp) = next {
            self.send_frame(&Frame::NextIdentity { fp });
        }
    }

    /// The peer announced its next certificate over this connection: taken when this connection
    /// proves the identity the peer is known by (never over a held or changed one).
    pub(super) fn on_next_identity(&self, fp: &str) {
        let Some(peer) = self.identity.peer.get_untracked().filter(|p| !p.held()) else {
            self.drop_frame();
            return;
        };
        let Some(next) = Fingerprint::from_sdp_value(fp) else {
            self.drop_frame();
            return;
        };
        let taken = self.identity.known.try_update(|known| {
            let before = known.get(&peer.peer_id).and_then(|k| k.next.clone());
            known
                .announce_next(&peer.peer_id, &peer.fingerprint, next.clone())
                .map(|()| before.as_ref() != Some(&next))
        });
        match taken {
            Some(Ok(true)) => self.store_known_peers(),
            Some(Ok(false)) => {}
            _ => self.drop_frame(),
        }
    }

    /// The connection ended: what its peer proved no longer applies (the badge falls back to
    /// what the conversation's peer is known by).
    pub(super) fn forget_peer_identity(&self) {
        if self.identity.peer.with_untracked(Option::is_some) {
            self.identity.peer.set(None);
        }
    }
}
