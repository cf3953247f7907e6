//! Calls inside the chat's connection: who rings, who answers, who makes the media offer, and
//! how two people pressing Call in the same moment end up in one call.
//!
//! Call signals travel as chat frames ([`CallSignal`]); the media itself is negotiated with
//! offers and answers over the same channel (the renegotiate frame), "perfect negotiation":
//! the invitee is the polite side, which yields on any collision, because both sides know who
//! invited whom without asking. Here is only the decision; `app::call` and `web::media` act on
//! the [`CallEffect`]s.

/// What a peer's hello lists when its app can take calls.
pub const CALL_CAPABILITY: &str = "call";

/// How long an outgoing call rings before it counts as unanswered.
pub const RING_TIMEOUT_MS: i32 = 45_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    Voice,
    Video,
}

impl CallKind {
    pub fn has_video(self) -> bool {
        self == CallKind::Video
    }
}

/// What the other side's microphone and camera are doing, as it told us.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RemoteMedia {
    pub muted: bool,
    pub camera_off: bool,
    pub sharing_screen: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallState {
    Idle,
    /// We rang; the other side has not answered yet.
    Outgoing {
        id: u32,
        kind: CallKind,
    },
    /// The other side rings us.
    Incoming {
        id: u32,
        kind: CallKind,
    },
    /// Both agreed. `offerer`: this side makes the media offer (the one that accepted).
    Active {
        id: u32,
        kind: CallKind,
        offerer: bool,
        remote: RemoteMedia,
    },
}

/// A call frame on the chat channel. `id` names the call, chosen by the side that rang, so a
/// late answer to an earlier call never touches the current one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallSignal {
    Ring { id: u32, video: bool },
    Accept { id: u32 },
    Decline { id: u32 },
    End { id: u32 },
    Media { id: u32, state: RemoteMedia },
}

/// Why a call ended, for the screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallEnding {
    /// We hung up, declined, or cancelled our ringing call.
    ByUs,
    /// The other side declined our call.
    Declined,
    /// The other side hung up (or stopped ringing).
    ByPeer,
    NoAnswer,
    /// The connection ended.
    ConnectionGone,
}

/// What the glue must do, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallEffect {
    Send(CallSignal),
    /// Make the open devices match the call: the microphone, and the camera for a video call
    /// (in a glare, the devices opened for our own ring may need the camera added or closed).
    OpenDevices(CallKind),
    /// Put the local tracks on the connection now: the offerer's addTrack starts the
    /// negotiation. The other side puts its tracks on when the offer arrives, so that the one
    /// answer carries both directions and no second offer crosses the first.
    AttachTracks,
    /// Stop every local track and take them off the connection.
    Release,
    Ended(CallEnding),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallRefusal {
    #[error("The other side's app cannot take calls: it needs an update.")]
    PeerCannotCall,
    #[error("Not connected: a call needs a live chat.")]
    NotConnected,
    #[error("A call is already going on.")]
    Busy,
}

/// The call of one connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallMachine {
    state: CallState,
    /// The invitee: yields on a collision (both rang, both offered).
    polite: bool,
    /// What the peer's hello announced; `None` before the hello.
    peer_can_call: Option<bool>,
    last_id: u32,
}

impl CallMachine {
    pub fn new(polite: bool) -> Self {
        Self {
            state: CallState::Idle,
            polite,
            peer_can_call: None,
            last_id: 0,
        }
    }

    pub fn state(&self) -> CallState {
        self.state
    }

    pub fn polite(&self) -> bool {
        self.polite
    }

    /// The peer's hello came with these capabilities.
    pub fn peer_hello(&mut self, caps: &[String]) {
        self.peer_can_call = Some(caps.iter().any(|cap| cap == CALL_CAPABILITY));
    }

    /// Whether the peer's app said it takes calls (`None`: no hello yet).
    pub fn peer_can_call(&self) -> Option<bool> {
        self.peer_can_call
    }

    /// Our ids are odd for the inviter and even for the invitee: the two sides never pick the
    /// same one, so a glare's two calls are told apart.
    fn next_id(&mut self) -> u32 {
        self.last_id = self.last_id.wrapping_add(1);
        self.last_id
            .wrapping_mul(2)
            .wrapping_add(u32::from(!self.polite))
    }

    /// "Call" or "Video call".
    pub fn place(&mut self, kind: CallKind) -> Result<Vec<CallEffect>, CallRefusal> {
        match self.peer_can_call {
            None => return Err(CallRefusal::NotConnected),
            Some(false) => return Err(CallRefusal::PeerCannotCall),
            Some(true) => {}
        }
        if self.state != CallState::Idle {
            return Err(CallRefusal::Busy);
        }
        let id = self.next_id();
        self.state = CallState::Outgoing { id, kind };
        Ok(vec![
            CallEffect::OpenDevices(kind),
            CallEffect::Send(CallSignal::Ring {
                id,
                video: kind.has_video(),
            }),
        ])
    }

    /// "Accept" on an incoming call: this side opens its devices and makes the media offer.
    pub fn accept(&mut self) -> Vec<CallEffect> {
        let CallState::Incoming { id, kind } = self.state else {
            return Vec::new();
        };
        self.become_active(id, kind, true)
    }

    fn become_active(&mut self, id: u32, kind: CallKind, offerer: bool) -> Vec<CallEffect> {
        self.state = CallState::Active {
            id,
            kind,
            offerer,
            remote: RemoteMedia::default(),
        };
        let mut effects = Vec::new();
        if offerer {
            effects.push(CallEffect::OpenDevices(kind));
            effects.push(CallEffect::Send(CallSignal::Accept { id }));
            effects.push(CallEffect::AttachTracks);
        }
        effects
    }

    /// "Decline" on an incoming call.
    pub fn decline(&mut self) -> Vec<CallEffect> {
        let CallState::Incoming { id, .. } = self.state else {
            return Vec::new();
        };
        self.state = CallState::Idle;
        vec![
            CallEffect::Send(CallSignal::Decline { id }),
            CallEffect::Ended(CallEnding::ByUs),
        ]
    }

    /// "Hang up" in a call, or while our call rings.
    pub fn hang_up(&mut self) -> Vec<CallEffect> {
        match self.state {
            CallState::Outgoing { id, .. } | CallState::Active { id, .. } => {
                self.state = CallState::Idle;
                vec![
                    CallEffect::Send(CallSignal::End { id }),
                    CallEffect::Release,
                    CallEffect::Ended(CallEnding::ByUs),
                ]
            }
            CallState::Incoming { .. } => self.decline(),
            CallState::Idle => Vec::new(),
        }
    }

    /// Our call `id` rang for [`RING_TIMEOUT_MS`].
    pub fn ring_timed_out(&mut self, id: u32) -> Vec<CallEffect> {
        match self.state {
            CallState::Outgoing { id: ringing, .. } if ringing == id => {
                self.state = CallState::Idle;
                vec![
                    CallEffect::Send(CallSignal::End { id }),
                    CallEffect::Release,
                    CallEffect::Ended(CallEnding::NoAnswer),
                ]
            }
            _ => Vec::new(),
        }
    }

    /// The connection is gone (or this attempt ended): the call ends with it, quietly.
    pub fn connection_ended(&mut self) -> Vec<CallEffect> {
        if self.state == CallState::Idle {
            return Vec::new();
        }
        self.state = CallState::Idle;
        vec![
            CallEffect::Release,
            CallEffect::Ended(CallEnding::ConnectionGone),
        ]
    }

    /// Our microphone, camera or screen changed during a call: the other side is told.
    pub fn local_media_changed(&self, state: RemoteMedia) -> Vec<CallEffect> {
        match self.state {
            CallState::Active { id, .. } => vec![CallEffect::Send(CallSignal::Media { id, state })],
            _ => Vec::new(),
        }
    }

    /// A call frame from the peer. Anything out of place (a stale id, an answer to a call we
    /// did not make) changes nothing.
    pub fn receive(&mut self, signal: CallSignal) -> Vec<CallEffect> {
        if self.peer_can_call != Some(true) {
            // A peer that did not announce calls does not get to ring.
            return Vec::new();
        }
        match (self.state, signal) {
            (CallState::Idle, CallSignal::Ring { id, video }) => {
                let kind = if video {
                    CallKind::Video
                } else {
                    CallKind::Voice
                };
                self.state = CallState::Incoming { id, kind };
                Vec::new()
            }
            // Glare: both rang at once. The impolite side's call is the one call: the polite
            // side takes it as if it pressed Accept (it wanted a call too), the impolite side
            // ignores the polite one's ring and waits for the acceptance.
            (CallState::Outgoing { .. }, CallSignal::Ring { id, video }) => {
                if !self.polite {
                    return Vec::new();
                }
                let kind = if video {
                    CallKind::Video
                } else {
                    CallKind::Voice
                };
                // Our devices are open for our own kind: OpenDevices makes them match the
                // winning call's.
                self.become_active(id, kind, true)
            }
            (CallState::Outgoing { id: ours, kind }, CallSignal::Accept { id }) if id == ours => {
                self.become_active(id, kind, false)
            }
            (CallState::Outgoing { id: ours, .. }, CallSignal::Decline { id }) if id == ours => {
                self.state = CallState::Idle;
                vec![CallEffect::Release, CallEffect::Ended(CallEnding::Declined)]
            }
            (CallState::Incoming { id: ringing, .. }, CallSignal::End { id }) if id == ringing => {
                self.state = CallState::Idle;
                vec![CallEffect::Ended(CallEnding::ByPeer)]
            }
            (CallState::Active { id: ours, .. }, CallSignal::End { id }) if id == ours => {
                self.state = CallState::Idle;
                vec![CallEffect::Release, CallEffect::Ended(CallEnding::ByPeer)]
            }
            (
                CallState::Active {
                    id: ours,
                    kind,
                    offerer,
                    ..
                },
                CallSignal::Media { id, state },
            ) if id == ours => {
                self.state = CallState::Active {
                    id,
                    kind,
                    offerer,
                    remote: state,
                };
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// A media offer arrived: the side that did not offer puts its tracks on before answering.
    pub fn attaches_on_offer(&self) -> bool {
        matches!(self.state, CallState::Active { offerer: false, .. })
    }

    pub fn in_call(&self) -> bool {
        matches!(self.state, CallState::Active { .. })
    }
}

/// What perfect negotiation does with an offer that arrives while this side has one out (or is
/// making one): the polite side takes the peer's (rolling its own back), the impolite side
/// ignores it and waits for the answer to its own.
pub fn take_colliding_offer(polite: bool, collision: bool) -> bool {
    polite || !collision
}

/// Whether an offer from the peer collides with ours: we are making one, or have one out whose
/// answer is not being applied yet. An offer that arrives while our answer is being applied
/// follows that answer (the browser applies descriptions in order): no collision, no rollback.
pub fn offer_collides(making_offer: bool, stable: bool, applying_answer: bool) -> bool {
    making_offer || !(stable || applying_answer)
}

/// Whether `offer` restarts ICE against the session described by `previous` (its ICE
/// credentials change): then the answer must wait for new candidates, which travel in it.
/// A call's media offer keeps them, and its answer can go at once.
pub fn is_ice_restart(previous: &str, offer: &str) -> bool {
    fn ufrag(sdp: &str) -> Option<&str> {
        sdp.lines()
            .find_map(|line| line.trim_end().strip_prefix("a=ice-ufrag:"))
    }
    ufrag(previous) != ufrag(offer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps() -> Vec<String> {
        vec!["receipts".into(), CALL_CAPABILITY.into()]
    }

    /// Inviter (impolite) and invitee (polite), past the hello.
    fn pair() -> (CallMachine, CallMachine) {
        let mut inviter = CallMachine::new(false);
        let mut invitee = CallMachine::new(true);
        inviter.peer_hello(&caps());
        invitee.peer_hello(&caps());
        (inviter, invitee)
    }

    fn sent(effects: &[CallEffect]) -> Vec<CallSignal> {
        effects
            .iter()
            .filter_map(|effect| match effect {
                CallEffect::Send(signal) => Some(*signal),
                _ => None,
            })
            .collect()
    }

    /// Delivers every signal in `effects` to `to`, returning what `to` did.
    fn deliver(effects: &[CallEffect], to: &mut CallMachine) -> Vec<CallEffect> {
        sent(effects)
            .into_iter()
            .flat_map(|signal| to.receive(signal))
            .collect()
    }

    fn offerers(a: &CallMachine, b: &CallMachine) -> (bool, bool) {
        let offerer =
            |m: &CallMachine| matches!(m.state(), CallState::Active { offerer: true, .. });
        (offerer(a), offerer(b))
    }

    #[test]
    fn a_call_rings_and_the_one_who_accepts_offers() {
        let (mut a, mut b) = pair();
        let ring = a.place(CallKind::Video).unwrap();
        assert_eq!(ring[0], CallEffect::OpenDevices(CallKind::Video));
        assert!(deliver(&ring, &mut b).is_empty());
        assert!(matches!(
            b.state(),
            CallState::Incoming {
                kind: CallKind::Video,
                ..
            }
        ));
        let accepted = b.accept();
        assert!(accepted.contains(&CallEffect::OpenDevices(CallKind::Video)));
        assert!(accepted.contains(&CallEffect::AttachTracks));
        let back = deliver(&accepted, &mut a);
        assert!(back.is_empty(), "the caller waits for the offer: {back:?}");
        assert!(a.in_call() && b.in_call());
        assert_eq!(offerers(&a, &b), (false, true));
        assert!(a.attaches_on_offer() && !b.attaches_on_offer());
    }

    #[test]
    fn either_side_may_ring() {
        for caller_polite in [false, true] {
            let (mut inviter, mut invitee) = pair();
            let (caller, callee) = if caller_polite {
                (&mut invitee, &mut inviter)
            } else {
                (&mut inviter, &mut invitee)
            };
            let ring = caller.place(CallKind::Voice).unwrap();
            deliver(&ring, callee);
            let accepted = callee.accept();
            deliver(&accepted, caller);
            assert!(caller.in_call() && callee.in_call());
        }
    }

    #[test]
    fn glare_ends_in_one_call_whichever_ring_lands_first() {
        for inviter_hears_first in [true, false] {
            let (mut inviter, mut invitee) = pair();
            let ring_a = inviter.place(CallKind::Video).unwrap();
            let ring_b = invitee.place(CallKind::Voice).unwrap();
            let (from_inviter, from_invitee) = if inviter_hears_first {
                let from_inviter = deliver(&ring_b, &mut inviter);
                (from_inviter, deliver(&ring_a, &mut invitee))
            } else {
                let from_invitee = deliver(&ring_a, &mut invitee);
                (deliver(&ring_b, &mut inviter), from_invitee)
            };
            assert!(
                from_inviter.is_empty(),
                "the impolite side ignores the other ring"
            );
            // The polite side accepted the impolite side's call.
            let accept = sent(&from_invitee);
            let CallState::Outgoing {
                id: inviter_call, ..
            } = inviter.state()
            else {
                panic!("inviter still rings: {:?}", inviter.state());
            };
            assert_eq!(accept, vec![CallSignal::Accept { id: inviter_call }]);
            assert!(from_invitee.contains(&CallEffect::OpenDevices(CallKind::Video)));
            deliver(&from_invitee, &mut inviter);
            assert!(inviter.in_call() && invitee.in_call());
            assert_eq!(
                offerers(&inviter, &invitee),
                (false, true),
                "exactly one offers"
            );
            let (
                CallState::Active {
                    id: a, kind: ka, ..
                },
                CallState::Active {
                    id: b, kind: kb, ..
                },
            ) = (inviter.state(), invitee.state())
            else {
                panic!()
            };
            assert_eq!((a, ka), (b, kb), "one call, the inviter's video call");
            assert_eq!(ka, CallKind::Video);
        }
    }

    #[test]
    fn call_ids_never_collide_between_the_sides() {
        let (mut inviter, mut invitee) = pair();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..50 {
            for machine in [&mut inviter, &mut invitee] {
                let ring = machine.place(CallKind::Voice).unwrap();
                let [CallSignal::Ring { id, .. }] = sent(&ring)[..] else {
                    panic!()
                };
                assert!(seen.insert(id));
                machine.hang_up();
            }
        }
    }

    #[test]
    fn decline_ends_the_ringing_on_both_sides() {
        let (mut a, mut b) = pair();
        let ring = a.place(CallKind::Video).unwrap();
        deliver(&ring, &mut b);
        let declined = b.decline();
        assert!(declined.contains(&CallEffect::Ended(CallEnding::ByUs)));
        let back = deliver(&declined, &mut a);
        assert_eq!(
            back,
            vec![CallEffect::Release, CallEffect::Ended(CallEnding::Declined)]
        );
        assert_eq!((a.state(), b.state()), (CallState::Idle, CallState::Idle));
        // Free for the next call.
        assert!(a.place(CallKind::Voice).is_ok());
    }

    #[test]
    fn hanging_up_releases_on_both_sides() {
        let (mut a, mut b) = pair();
        let ring = a.place(CallKind::Video).unwrap();
        deliver(&ring, &mut b);
        deliver(&b.accept(), &mut a);
        let hung = a.hang_up();
        assert!(hung.contains(&CallEffect::Release));
        let back = deliver(&hung, &mut b);
        assert_eq!(
            back,
            vec![CallEffect::Release, CallEffect::Ended(CallEnding::ByPeer)]
        );
        assert!(!a.in_call() && !b.in_call());
    }

    #[test]
    fn the_caller_may_cancel_while_it_rings() {
        let (mut a, mut b) = pair();
        let ring = a.place(CallKind::Voice).unwrap();
        deliver(&ring, &mut b);
        let back = deliver(&a.hang_up(), &mut b);
        assert_eq!(back, vec![CallEffect::Ended(CallEnding::ByPeer)]);
        assert_eq!(b.state(), CallState::Idle);
        // A late Accept of the cancelled call (it crossed the End) changes nothing.
        let CallSignal::Ring { id, .. } = sent(&ring)[0] else {
            panic!()
        };
        assert!(a.receive(CallSignal::Accept { id }).is_empty());
        assert_eq!(a.state(), CallState::Idle);
    }

    #[test]
    fn stale_ids_change_nothing() {
        let (mut a, mut b) = pair();
        let first = a.place(CallKind::Voice).unwrap();
        a.hang_up();
        let second = a.place(CallKind::Voice).unwrap();
        let (CallSignal::Ring { id: old, .. }, CallSignal::Ring { id: new, .. }) =
            (sent(&first)[0], sent(&second)[0])
        else {
            panic!()
        };
        assert!(a.receive(CallSignal::Accept { id: old }).is_empty());
        assert!(a.receive(CallSignal::Decline { id: old }).is_empty());
        assert!(matches!(a.state(), CallState::Outgoing { id, .. } if id == new));
        deliver(&second, &mut b);
        deliver(&b.accept(), &mut a);
        assert!(a.receive(CallSignal::End { id: old }).is_empty());
        assert!(a.in_call());
        assert!(b
            .receive(CallSignal::Media {
                id: old,
                state: RemoteMedia {
                    muted: true,
                    ..Default::default()
                }
            })
            .is_empty());
        let CallState::Active { remote, .. } = b.state() else {
            panic!()
        };
        assert!(!remote.muted);
    }

    #[test]
    fn remote_mute_and_camera_are_shown() {
        let (mut a, mut b) = pair();
        deliver(&a.place(CallKind::Video).unwrap(), &mut b);
        deliver(&b.accept(), &mut a);
        let told = a.local_media_changed(RemoteMedia {
            muted: true,
            camera_off: true,
            sharing_screen: false,
        });
        deliver(&told, &mut b);
        let CallState::Active { remote, .. } = b.state() else {
            panic!()
        };
        assert!(remote.muted && remote.camera_off);
        // Outside a call nothing is said.
        assert!(CallMachine::new(true)
            .local_media_changed(remote)
            .is_empty());
    }

    #[test]
    fn a_peer_without_the_capability_cannot_be_called_nor_ring() {
        let mut old = CallMachine::new(false);
        assert_eq!(old.place(CallKind::Voice), Err(CallRefusal::NotConnected));
        old.peer_hello(&["receipts".into(), "typing".into()]);
        assert_eq!(old.peer_can_call(), Some(false));
        assert_eq!(old.place(CallKind::Video), Err(CallRefusal::PeerCannotCall));
        assert!(old
            .receive(CallSignal::Ring { id: 2, video: true })
            .is_empty());
        assert_eq!(old.state(), CallState::Idle);
    }

    #[test]
    fn busy_and_out_of_place() {
        let (mut a, mut b) = pair();
        deliver(&a.place(CallKind::Voice).unwrap(), &mut b);
        assert_eq!(a.place(CallKind::Voice), Err(CallRefusal::Busy));
        assert_eq!(b.place(CallKind::Voice), Err(CallRefusal::Busy));
        // Answers to nothing.
        let mut idle = pair().0;
        for signal in [
            CallSignal::Accept { id: 1 },
            CallSignal::Decline { id: 1 },
            CallSignal::End { id: 1 },
            CallSignal::Media {
                id: 1,
                state: RemoteMedia::default(),
            },
        ] {
            assert!(idle.receive(signal).is_empty());
            assert_eq!(idle.state(), CallState::Idle);
        }
        // Accept/decline with nothing ringing do nothing.
        assert!(idle.accept().is_empty() && idle.decline().is_empty() && idle.hang_up().is_empty());
        // A second ring while one rings, or in a call, is ignored.
        deliver(&b.accept(), &mut a);
        assert!(b
            .receive(CallSignal::Ring {
                id: 99,
                video: true
            })
            .is_empty());
        assert!(b.in_call());
    }

    #[test]
    fn no_answer_and_connection_loss() {
        let (mut a, mut b) = pair();
        let ring = a.place(CallKind::Voice).unwrap();
        let CallSignal::Ring { id, .. } = sent(&ring)[0] else {
            panic!()
        };
        assert!(a.ring_timed_out(id + 2).is_empty());
        let timed_out = a.ring_timed_out(id);
        assert!(timed_out.contains(&CallEffect::Ended(CallEnding::NoAnswer)));
        deliver(&ring, &mut b);
        deliver(&timed_out, &mut b);
        assert_eq!(b.state(), CallState::Idle, "the End stops the ringing");

        deliver(&a.place(CallKind::Video).unwrap(), &mut b);
        deliver(&b.accept(), &mut a);
        assert_eq!(
            a.connection_ended(),
            vec![
                CallEffect::Release,
                CallEffect::Ended(CallEnding::ConnectionGone)
            ]
        );
        assert!(a.connection_ended().is_empty());
        // A timeout of a call that was answered does nothing.
        assert!(b.ring_timed_out(id).is_empty());
    }

    #[test]
    fn an_ice_restart_is_told_by_its_new_credentials() {
        let before = "v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=ice-ufrag:abcd\r\na=ice-pwd:x\r\n";
        let media = format!("{before}m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:abcd\r\n");
        let restart = before.replace("abcd", "wxyz");
        assert!(!is_ice_restart(before, &media));
        assert!(is_ice_restart(before, &restart));
    }

    #[test]
    fn an_offer_right_behind_the_answer_to_ours_is_no_collision() {
        assert!(!offer_collides(false, true, false), "stable: no collision");
        assert!(offer_collides(true, true, false), "we are making an offer");
        assert!(offer_collides(false, false, false), "our offer is out");
        assert!(
            !offer_collides(false, false, true),
            "its answer is being applied"
        );
        assert!(offer_collides(true, false, true));
    }

    #[test]
    fn offers_collide_politely() {
        assert!(take_colliding_offer(true, true));
        assert!(!take_colliding_offer(false, true));
        assert!(take_colliding_offer(false, false));
        assert!(take_colliding_offer(true, false));
    }
}
