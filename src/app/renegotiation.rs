//! ICE restarts negotiated over the data channel itself: after a network change the browsers
//! find a new path without new links, as long as the channel can still carry the offer.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::TinCan;
use crate::core::protocol::Frame;
use crate::core::safety::Fingerprint;
use crate::core::session::{Phase, Role};
use crate::web::browser::sleep_ms;

/// How long a connection may stay "disconnected" before the inviter restarts ICE. Brief blips
/// heal by themselves; restarting too eagerly would only add churn.
const RESTART_AFTER_MS: i32 = 2_000;

impl TinCan {
    pub(super) fn on_network_trouble(&self, attempt: u64) {
        self.phase.set(Phase::Disconnected);
        self.notice.set(Some(
            "The connection dropped. Trying to find a new path…".to_owned(),
        ));
        // Known to be down: what was not acknowledged may not have arrived.
        self.update_conversation(crate::core::chat::Conversation::connection_lost);
        if self.role.get_value() != Some(Role::Inviter) {
            return;
        }
        let this = *self;
        spawn_local(async move {
            sleep_ms(RESTART_AFTER_MS).await;
            if this.is_current(attempt) && this.phase.get_untracked() == Phase::Disconnected {
                this.peer.with_value(|peer| {
                    if let Some(peer) = peer {
                        peer.restart_ice();
                    }
                });
            }
        });
    }

    /// The browser wants a new offer (an ICE restart). Only once the chat is up: the initial
    /// offer goes through the links.
    pub(super) fn on_negotiation_needed(&self, attempt: u64) {
        if !self.gate.with_value(|g| g.greeted()) {
            return;
        }
        let Some(peer) = self.peer.get_value() else {
            return;
        };
        let this = *self;
        spawn_local(async move {
            let offer = peer.restart_offer().await;
            drop(peer);
            // Only into the connection it was made for: after the await another may be current.
            if let (Ok(sdp), true) = (offer, this.is_current(attempt)) {
                this.send_frame(&Frame::Renegotiate { offer: true, sdp });
            }
        });
    }

    /// An offer or answer from the peer. Its DTLS fingerprint must be the one the safety code was
    /// made from: a restart may change the path, never who is at the other end.
    pub(super) fn on_renegotiate(&self, offer: bool, sdp: String) {
        let Some(peer) = self.peer.get_value() else {
            return;
        };
        let same_peer = peer
            .remote_sdp()
            .and_then(|known| Fingerprint::from_sdp(&known))
            .is_some_and(|known| Fingerprint::from_sdp(&sdp) == Some(known));
        if !same_peer {
            self.gate.update_value(|g| g.drop_one());
            return;
        }
        let polite = self.role.get_value() == Some(Role::Invitee);
        let attempt = self.attempt.get_value();
        let this = *self;
        spawn_local(async move {
            if offer {
                let answer = peer.accept_restart_offer(&sdp, polite).await;
                drop(peer);
                if let (Ok(answer), true) = (answer, this.is_current(attempt)) {
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
