//! ICE restarts negotiated over the data channel itself: after a network change the browsers
//! find a new path without new links, as long as the channel can still carry the offer.

use leptos::prelude::*;

use super::attempt::AttemptId;
use super::TinCan;
use crate::core::protocol::Frame;
use crate::core::safety::Fingerprint;
use crate::core::session::{Phase, Role};
use crate::web::timers::sleep_ms;

/// How long a connection may stay "disconnected" before the inviter restarts ICE. Brief blips
/// heal by themselves; restarting too eagerly would only add churn.
const RESTART_AFTER_MS: i32 = 2_000;

impl TinCan {
    pub(super) fn on_network_trouble(&self, attempt: AttemptId) {
        self.connection.phase.set(Phase::Disconnected);
        self.notices
            .inform("The connection dropped. Trying to find a new path…");
        self.with_attempt_mut(|attempt| attempt.outbox.interrupted());
        // Known to be down: what was not acknowledged may not have arrived.
        self.update_conversation(crate::core::chat::Conversation::connection_lost);
        if self.role() != Some(Role::Inviter) {
            return;
        }
        let this = *self;
        self.spawn_for(attempt, async move {
            sleep_ms(RESTART_AFTER_MS).await;
            if this.connection.phase.get_untracked() == Phase::Disconnected {
                this.with_attempt(|attempt| attempt.peer.restart_ice());
            }
        });
    }

    /// The browser wants a new offer (an ICE restart, or a call's tracks changed). Only once the
    /// chat is up: the initial offer goes through the links.
    pub(super) fn on_negotiation_needed(&self, attempt: AttemptId) {
        if !self.greeted() {
            return;
        }
        let Some(peer) = self.with_attempt(|attempt| attempt.peer.clone()) else {
            return;
        };
        let this = *self;
        // A task of the attempt: if another attempt is current by the time the offer is made,
        // this one was aborted and sends nothing into the new connection.
        self.spawn_for(attempt, async move {
            if let Ok(sdp) = peer.renegotiation_offer().await {
                this.send_frame(&Frame::Renegotiate { offer: true, sdp });
            }
        });
    }

    /// An offer or answer from the peer. Its DTLS fingerprint must be the one the safety code was
    /// made from: a restart may change the path, never who is at the other end.
    pub(super) fn on_renegotiate(&self, offer: bool, sdp: String) {
        let Some((attempt, peer, role)) =
            self.with_attempt(|attempt| (attempt.id, attempt.peer.clone(), attempt.role))
        else {
            return;
        };
        let same_peer = peer
            .remote_sdp()
            .and_then(|known| Fingerprint::from_sdp(&known))
            .is_some_and(|known| Fingerprint::from_sdp(&sdp) == Some(known));
        if !same_peer {
            self.drop_frame();
            return;
        }
        let polite = role == Role::Invitee;
        let this = *self;
        self.spawn_for(attempt, async move {
            if offer {
                let answer = peer
                    .accept_restart_offer(&sdp, polite, || this.attach_call_tracks_before_answer())
                    .await;
                drop(peer);
                if let Ok(answer) = answer {
                    this.send_frame(&Frame::Renegotiate {
                        offer: false,
                        sdp: answer,
                    });
                }
            } else {
                // A refused or stale answer leaves the old path in place; nothing to tell.
                let _ = peer.accept_restart_answer(&sdp).await;
            }
        });
    }
}
