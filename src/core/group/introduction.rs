//! Introductions: a member who is connected to two others that are not connected to each other
//! relays their offer and answer over its own channels, so they get a direct connection of
//! their own without a link or a server.
//!
//! One machine per browser holds both roles: for each other member, where *our* direct
//! connection with it stands (we are an endpoint), and for each pair we introduce, how far the
//! relay got (we are the introducer). The offerer of a pair is the member with the lower browser
//! id: both ends and the introducer know it without asking, so two offers never cross (no
//! glare). There is no clock inside: the caller passes `now_ms` and calls [`Introductions::tick`]
//! now and then; a pair that has not connected within [`INTRODUCTION_TIMEOUT_MS`] has failed and
//! its messages go forwarded through a member both reach (see `mesh`).
//!
//! Trying again: the introducer introduces a pair again [`RETRY_FIRST_MS`] after its direct
//! connection broke, and twice as long after each further failure in a row, up to
//! [`RETRY_MAX_MS`]; after an introduction that ran out, at least as long as it ran
//! ([`wait_after_failure`]). A connection that held [`CONNECTION_HELD_MS`] starts the count
//! again. So a pair that lost its connection is direct again within seconds, and two
//! members who cannot connect at all are not introduced in a loop. The introducer learns that a
//! pair connected or broke from the links lists both ends announce (`mesh` calls
//! [`Introductions::pair_connected`] and [`Introductions::pair_broke`]); the ends forget the pair
//! when their connection closes ([`Introductions::disconnected`]), so they take the new
//! introduction.
//!
//! Everything out of place is refused and changes nothing: an introduction from someone who is
//! not a member, of a pair with a non-member or one over the limit, of a pair already being
//! introduced or connected; an offer from the answerer, an answer without an offer, a second
//! offer, a signal from anyone but the pair's introducer or for a pair nobody introduced.

use super::roster::Roster;
use super::wire::GroupFrame;
use super::{Envelope, MAX_SDP_BYTES};
use crate::core::sorted_vec::{SortedMap, SortedSet};

/// How long an introduced pair has to connect: the offer and answer each gather candidates
/// (a few seconds, up to the gathering deadline) and travel two hops, then ICE checks run.
pub const INTRODUCTION_TIMEOUT_MS: f64 = 30_000.0;

/// A pair whose direct connection broke, or whose introduction ran out, is introduced again
/// this long after. Not at once: the app checks every 2 s, so the new introduction goes within
/// 2-4 s, and a burst of closes (a member's network changing) settles first.
pub const RETRY_FIRST_MS: f64 = 2_000.0;

/// Each failure in a row doubles the wait before the pair's next introduction, up to this: a
/// pair that cannot connect directly (symmetric NATs, no relay) stays forwarded instead of
/// being retried in a loop.
pub const RETRY_MAX_MS: f64 = 120_000.0;

/// A direct connection that lasted this long worked: when it breaks, the waits start again
/// from [`RETRY_FIRST_MS`]. One that breaks sooner counts as a failure, so a connection that
/// keeps dropping right after it opens backs off too.
pub const CONNECTION_HELD_MS: f64 = 120_000.0;

/// The wait before introducing a pair again after `failures` failures in a row (at least one).
pub fn retry_delay(failures: u32) -> f64 {
    let doublings = failures.saturating_sub(1).min(16);
    (RETRY_FIRST_MS * f64::from(1u32 << doublings)).min(RETRY_MAX_MS)
}

/// The wait after an introduction that ran out (`failures` in a row, this one included): as
/// [`retry_delay`], and never shorter than the introduction ran. Two members who could not
/// connect spend at most half the time being introduced (their browsers gathering candidates,
/// their lists saying "Connecting…"), and the rest shown as reached through another member.
pub fn wait_after_failure(failures: u32) -> f64 {
    retry_delay(failures).max(INTRODUCTION_TIMEOUT_MS)
}

/// The pair `a`, `b` in canonical order: the first one makes the offer.
pub fn pair_of(a: &str, b: &str) -> (String, String) {
    if a < b {
        (a.to_owned(), b.to_owned())
    } else {
        (b.to_owned(), a.to_owned())
    }
}

/// Whether `me` makes the offer to `other` (the lower browser id does).
pub fn offers(me: &str, other: &str) -> bool {
    me < other
}

/// Where our direct connection with one other member stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PairState {
    /// `by` introduced us; the offerer is making its offer.
    Introduced { by: String },
    /// Our offer went to `by` for relaying; waiting for the answer.
    OfferSent { by: String },
    /// `by` relayed the other's offer; we are making the answer.
    OfferReceived { by: String },
    /// Our answer went to `by`; the connection is being made.
    AnswerSent { by: String },
    /// `by` relayed the answer to our offer; the connection is being made.
    AnswerReceived { by: String },
    /// The direct connection is open (introduced, or made with a link).
    Connected,
    /// It did not connect in time: messages go forwarded through a member both reach.
    Failed,
}

impl PairState {
    /// The member relaying for this pair, while the introduction runs.
    pub fn introducer(&self) -> Option<&str> {
        match self {
            PairState::Introduced { by }
            | PairState::OfferSent { by }
            | PairState::OfferReceived { by }
            | PairState::AnswerSent { by }
            | PairState::AnswerReceived { by } => Some(by),
            PairState::Connected | PairState::Failed => None,
        }
    }
}

/// How far a pair we introduce got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelayState {
    /// Both were told; waiting for the offerer's offer.
    Introduced,
    /// The offer went to the answerer; waiting for the answer.
    OfferRelayed,
    /// The answer went to the offerer: our part is done.
    AnswerRelayed,
}

/// What the app must do with the browser, besides sending frames.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Connect {
    /// Make a connection to `other` and its offer (with every candidate), then call
    /// [`Introductions::offer_made`].
    MakeOffer { other: String },
    /// Make a connection to `other` from its offer and an answer, then call
    /// [`Introductions::answer_made`].
    TakeOffer { other: String, sdp: String },
    /// Apply `other`'s answer to the connection our offer made.
    TakeAnswer { other: String, sdp: String },
    /// The introduction with `other` failed: close that connection attempt.
    GiveUp { other: String },
}

/// What an introduction step asks of the app.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IntroStep {
    pub send: Vec<Envelope>,
    pub connect: Vec<Connect>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IntroRefusal {
    #[error("only members introduce, and only members are introduced")]
    NotAMember,
    #[error("an introduction must name the receiver and someone else")]
    NotOurPair,
    #[error("the pair is already being introduced or connected")]
    Duplicate,
    #[error("nobody is introducing that pair through this member")]
    UnknownPair,
    #[error("that signal is not the one the introduction waits for")]
    OutOfTurn,
    #[error("only the pair's introducer relays its signals")]
    NotTheIntroducer,
    #[error("the introducer is connected to both members directly")]
    NotConnected,
    #[error("the session description is empty or too large")]
    BadSdp,
    #[error("not an introduction frame")]
    NotAnIntroduction,
}

/// A pair we introduce: the introduction we relay while it runs, and how the latest ones went.
/// (One map for both: each B-tree map type costs the wasm a few KB.)
#[derive(Clone, Debug, Default, PartialEq)]
struct Relay {
    /// The running introduction: how far it got, and since when.
    running: Option<(RelayState, f64)>,
    /// Introductions in a row that ended without a connection that held: ran out, or broke
    /// within [`CONNECTION_HELD_MS`].
    failures: u32,
    /// Not introduced again before this.
    not_before_ms: f64,
    /// Since when the pair is connected (as both of its members last said), while it is.
    connected_since_ms: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
struct Pair {
    state: PairState,
    since_ms: f64,
}

/// The introductions of one browser in one group.
#[derive(Clone, Debug, PartialEq)]
pub struct Introductions {
    me: String,
    pairs: SortedMap<String, Pair>,
    /// Pairs we introduce: while an introduction runs, or while they keep failing.
    relays: SortedMap<(String, String), Relay>,
}

impl Introductions {
    pub fn new(me: &str) -> Self {
        Self {
            me: me.to_owned(),
            pairs: SortedMap::new(),
            relays: SortedMap::new(),
        }
    }

    /// Where our connection with `other` stands (`None`: never introduced, or gone since).
    pub fn state(&self, other: &str) -> Option<&PairState> {
        self.pairs.get(other).map(|pair| &pair.state)
    }

    /// How far the pair `a`, `b` we introduce got.
    pub fn relay(&self, a: &str, b: &str) -> Option<RelayState> {
        self.relays
            .get(&pair_of(a, b))
            .and_then(|relay| relay.running)
            .map(|(state, _)| state)
    }

    /// We introduce `a` and `b` to each other: both must be members, directly connected to us
    /// (`neighbors`), and not being introduced by us already.
    pub fn introduce(
        &mut self,
        a: &str,
        b: &str,
        roster: &Roster,
        neighbors: &SortedSet<String>,
        now_ms: f64,
    ) -> Result<Vec<Envelope>, IntroRefusal> {
        if a == b || a == self.me || b == self.me {
            return Err(IntroRefusal::NotOurPair);
        }
        if ![&self.me, a, b].iter().all(|id| roster.is_member(id)) {
            return Err(IntroRefusal::NotAMember);
        }
        if !neighbors.contains(a) || !neighbors.contains(b) {
            return Err(IntroRefusal::NotConnected);
        }
        let pair = pair_of(a, b);
        // Running, or failed lately (see `retry_delay`).
        if now_ms < self.next_try_ms(&pair) {
            return Err(IntroRefusal::Duplicate);
        }
        // One that ran out and was not ticked away yet still counts as a failure.
        self.end_relay(&pair);
        self.relays.entry(pair.clone()).or_default().running =
            Some((RelayState::Introduced, now_ms));
        Ok([&pair.0, &pair.1]
            .into_iter()
            .map(|to| Envelope {
                to: to.clone(),
                frame: GroupFrame::Introduce { pair: pair.clone() },
            })
            .collect())
    }

    /// Of `candidates` (pairs the mesh wants introduced), those we may introduce now: not
    /// running, and not failed lately (see [`retry_delay`]).
    pub fn due(&self, candidates: Vec<(String, String)>, now_ms: f64) -> Vec<(String, String)> {
        candidates
            .into_iter()
            .filter(|(a, b)| now_ms >= self.next_try_ms(&pair_of(a, b)))
            .collect()
    }

    /// When we may introduce `pair` (again). A running introduction that ran out would be one
    /// more failure: the wait after it counts from its deadline, whenever `tick` notices.
    fn next_try_ms(&self, pair: &(String, String)) -> f64 {
        let Some(relay) = self.relays.get(pair) else {
            return f64::NEG_INFINITY;
        };
        match relay.running {
            Some((_, since_ms)) => {
                since_ms
                    + INTRODUCTION_TIMEOUT_MS
                    + wait_after_failure(relay.failures.saturating_add(1))
            }
            None => relay.not_before_ms,
        }
    }

    /// The introduction of `pair` we relayed ran out without the pair connecting: a failure.
    fn end_relay(&mut self, pair: &(String, String)) {
        let Some(relay) = self.relays.get_mut(pair) else {
            return;
        };
        let Some((_, since_ms)) = relay.running.take() else {
            return;
        };
        relay.failures = relay.failures.saturating_add(1);
        relay.not_before_ms =
            since_ms + INTRODUCTION_TIMEOUT_MS + wait_after_failure(relay.failures);
    }

    /// Both `a` and `b` (other members) now say they are connected to each other: an
    /// introduction of theirs we relayed is done.
    pub fn pair_connected(&mut self, a: &str, b: &str, now_ms: f64) {
        let pair = pair_of(a, b);
        let Some(relay) = self.relays.get_mut(&pair) else {
            return;
        };
        relay.running = None;
        if relay.failures == 0 {
            self.relays.remove(&pair);
        } else {
            relay.connected_since_ms.get_or_insert(now_ms);
        }
    }

    /// `a` or `b` (other members) says their direct connection is gone: should we be the one
    /// to introduce them, we do so again after [`retry_delay`].
    pub fn pair_broke(&mut self, a: &str, b: &str, now_ms: f64) {
        let relay = self.relays.entry(pair_of(a, b)).or_default();
        let held = relay
            .connected_since_ms
            .take()
            .is_some_and(|since| now_ms - since >= CONNECTION_HELD_MS);
        if held {
            relay.failures = 0;
        }
        relay.failures = relay.failures.saturating_add(1);
        relay.not_before_ms = now_ms + retry_delay(relay.failures);
    }

    /// An introduction frame from the neighbour `from`.
    pub fn receive(
        &mut self,
        from: &str,
        frame: &GroupFrame,
        roster: &Roster,
        neighbors: &SortedSet<String>,
        now_ms: f64,
    ) -> Result<IntroStep, IntroRefusal> {
        if !neighbors.contains(from) {
            return Err(IntroRefusal::NotConnected);
        }
        if !roster.is_member(from) || !roster.is_member(&self.me) {
            return Err(IntroRefusal::NotAMember);
        }
        match frame {
            GroupFrame::Introduce { pair } => self.introduced(from, pair, roster, now_ms),
            GroupFrame::Signal { pair, offer, sdp } => {
                if sdp.is_empty() || sdp.len() > MAX_SDP_BYTES {
                    return Err(IntroRefusal::BadSdp);
                }
                if pair.0 == self.me || pair.1 == self.me {
                    self.signal_for_us(from, pair, *offer, sdp)
                } else {
                    self.relay_signal(from, pair, *offer, sdp, roster, neighbors, now_ms)
                }
            }
            _ => Err(IntroRefusal::NotAnIntroduction),
        }
    }

    /// `by` introduces us to the other member of `pair`.
    fn introduced(
        &mut self,
        by: &str,
        pair: &(String, String),
        roster: &Roster,
        now_ms: f64,
    ) -> Result<IntroStep, IntroRefusal> {
        let other = match (pair.0 == self.me, pair.1 == self.me) {
            (true, false) => pair.1.clone(),
            (false, true) => pair.0.clone(),
            _ => return Err(IntroRefusal::NotOurPair),
        };
        if other == by || pair.0 >= pair.1 {
            return Err(IntroRefusal::NotOurPair);
        }
        if !roster.is_member(&other) {
            return Err(IntroRefusal::NotAMember);
        }
        // Refused while connected, or while another member's introduction runs. The same
        // introducer may start its introduction again: it knows the first one died (one of the
        // pair dropped while it ran, see `disconnected`), and nobody else can end it sooner.
        if let Some(running) = self.pairs.get(&other) {
            let restart = running.state.introducer() == Some(by);
            if running.state != PairState::Failed && !restart {
                return Err(IntroRefusal::Duplicate);
            }
        }
        self.pairs.insert(
            other.clone(),
            Pair {
                state: PairState::Introduced { by: by.to_owned() },
                since_ms: now_ms,
            },
        );
        let mut step = IntroStep::default();
        if offers(&self.me, &other) {
            step.connect.push(Connect::MakeOffer { other });
        }
        Ok(step)
    }

    /// A relayed offer or answer for our connection with the other member of `pair`.
    fn signal_for_us(
        &mut self,
        from: &str,
        pair: &(String, String),
        offer: bool,
        sdp: &str,
    ) -> Result<IntroStep, IntroRefusal> {
        let other = if pair.0 == self.me { &pair.1 } else { &pair.0 };
        let Some(current) = self.pairs.get_mut(other) else {
            return Err(IntroRefusal::UnknownPair);
        };
        if current.state.introducer() != Some(from) {
            return Err(IntroRefusal::NotTheIntroducer);
        }
        let by = from.to_owned();
        let we_offer = offers(&self.me, other);
        let (state, connect) = match (&current.state, offer, we_offer) {
            (PairState::Introduced { .. }, true, false) => (
                PairState::OfferReceived { by },
                Connect::TakeOffer {
                    other: other.clone(),
                    sdp: sdp.to_owned(),
                },
            ),
            (PairState::OfferSent { .. }, false, true) => (
                PairState::AnswerReceived { by },
                Connect::TakeAnswer {
                    other: other.clone(),
                    sdp: sdp.to_owned(),
                },
            ),
            _ => return Err(IntroRefusal::OutOfTurn),
        };
        current.state = state;
        Ok(IntroStep {
            send: Vec::new(),
            connect: vec![connect],
        })
    }

    /// A signal from one member of a pair we introduce, for the other one.
    #[allow(clippy::too_many_arguments)]
    fn relay_signal(
        &mut self,
        from: &str,
        pair: &(String, String),
        offer: bool,
        sdp: &str,
        roster: &Roster,
        neighbors: &SortedSet<String>,
        now_ms: f64,
    ) -> Result<IntroStep, IntroRefusal> {
        let Some(relay) = self.relays.get_mut(pair) else {
            return Err(IntroRefusal::UnknownPair);
        };
        let Some((state, since_ms)) = relay.running else {
            return Err(IntroRefusal::UnknownPair);
        };
        if now_ms >= since_ms + INTRODUCTION_TIMEOUT_MS {
            return Err(IntroRefusal::UnknownPair);
        }
        let (to, next) = match (state, offer) {
            (RelayState::Introduced, true) if from == pair.0 => (&pair.1, RelayState::OfferRelayed),
            (RelayState::OfferRelayed, false) if from == pair.1 => {
                (&pair.0, RelayState::AnswerRelayed)
            }
            _ => return Err(IntroRefusal::OutOfTurn),
        };
        if !roster.is_member(to) {
            return Err(IntroRefusal::NotAMember);
        }
        if !neighbors.contains(to) {
            return Err(IntroRefusal::NotConnected);
        }
        relay.running = Some((next, since_ms));
        Ok(IntroStep {
            send: vec![Envelope {
                to: to.clone(),
                frame: GroupFrame::Signal {
                    pair: pair.clone(),
                    offer,
                    sdp: sdp.to_owned(),
                },
            }],
            connect: Vec::new(),
        })
    }

    /// Our offer for `other` is ready: it goes to the introducer.
    pub fn offer_made(&mut self, other: &str, sdp: String) -> Result<Envelope, IntroRefusal> {
        self.made(other, sdp, true)
    }

    /// Our answer for `other` is ready: it goes to the introducer.
    pub fn answer_made(&mut self, other: &str, sdp: String) -> Result<Envelope, IntroRefusal> {
        self.made(other, sdp, false)
    }

    fn made(&mut self, other: &str, sdp: String, offer: bool) -> Result<Envelope, IntroRefusal> {
        if sdp.is_empty() || sdp.len() > MAX_SDP_BYTES {
            return Err(IntroRefusal::BadSdp);
        }
        let me = self.me.clone();
        let Some(current) = self.pairs.get_mut(other) else {
            return Err(IntroRefusal::UnknownPair);
        };
        let next = match (&current.state, offer) {
            (PairState::Introduced { by }, true) if offers(&me, other) => {
                PairState::OfferSent { by: by.clone() }
            }
            (PairState::OfferReceived { by }, false) => PairState::AnswerSent { by: by.clone() },
            _ => return Err(IntroRefusal::OutOfTurn),
        };
        let to = next.introducer().unwrap_or_default().to_owned();
        current.state = next;
        Ok(Envelope {
            to,
            frame: GroupFrame::Signal {
                pair: pair_of(&me, other),
                offer,
                sdp,
            },
        })
    }

    /// The direct connection with `other` is open and its hello accepted (introduced, or made
    /// with a link: a newcomer and whoever invited it).
    pub fn connected(&mut self, other: &str, now_ms: f64) {
        if other != self.me {
            self.pairs.insert(
                other.to_owned(),
                Pair {
                    state: PairState::Connected,
                    since_ms: now_ms,
                },
            );
        }
    }

    /// The direct connection with `other` is gone: it may be introduced again. Introductions
    /// we relay for it cannot finish now (its signals have no way to us): they are forgotten,
    /// and so are its failures, so that once it is back (maybe on another network) its pairs
    /// are introduced again at once, not after a wait.
    pub fn disconnected(&mut self, other: &str) {
        self.pairs.remove(other);
        self.relays.retain(|(a, b), _| a != other && b != other);
    }

    /// Introductions that ran out of time: ours have failed (the app closes those connection
    /// attempts), the ones we relay are forgotten (a late signal for them is refused) and
    /// count as failures of their pairs.
    pub fn tick(&mut self, now_ms: f64) -> Vec<Connect> {
        let mut give_up = Vec::new();
        for (other, pair) in &mut self.pairs {
            if pair.state.introducer().is_some()
                && now_ms >= pair.since_ms + INTRODUCTION_TIMEOUT_MS
            {
                pair.state = PairState::Failed;
                pair.since_ms = now_ms;
                give_up.push(Connect::GiveUp {
                    other: other.clone(),
                });
            }
        }
        let ran_out: Vec<(String, String)> = self
            .relays
            .iter()
            .filter(|(_, relay)| {
                relay
                    .running
                    .is_some_and(|(_, since_ms)| now_ms >= since_ms + INTRODUCTION_TIMEOUT_MS)
            })
            .map(|(pair, _)| pair.clone())
            .collect();
        for pair in ran_out {
            self.end_relay(&pair);
        }
        give_up
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ann` added `bob` and `cid`: all three are members.
    fn roster() -> Roster {
        let mut roster = Roster::default();
        roster.joined("ann", "ann", None, 1, 0.0);
        roster.joined("ann", "bob", None, 1, 1.0);
        roster.joined("ann", "cid", None, 1, 2.0);
        roster
    }

    fn neighbors(ids: &[&str]) -> SortedSet<String> {
        ids.iter().map(|id| id.to_string()).collect()
    }

    fn frame_to(sends: &[Envelope], to: &str) -> GroupFrame {
        sends
            .iter()
            .find(|send| send.to == to)
            .map(|send| send.frame.clone())
            .unwrap_or(GroupFrame::Unknown)
    }

    /// Ann introduces Bob and Cid; Bob (the lower id) offers.
    #[test]
    fn an_introduction_relays_one_offer_and_one_answer() {
        let roster = roster();
        let (mut ann, mut bob, mut cid) = (
            Introductions::new("ann"),
            Introductions::new("bob"),
            Introductions::new("cid"),
        );
        let sends = ann
            .introduce("cid", "bob", &roster, &neighbors(&["bob", "cid"]), 0.0)
            .unwrap();
        let to_bob = frame_to(&sends, "bob");
        assert_eq!(to_bob, frame_to(&sends, "cid"));
        assert_eq!(ann.relay("bob", "cid"), Some(RelayState::Introduced));

        let via_ann = neighbors(&["ann"]);
        let step = bob.receive("ann", &to_bob, &roster, &via_ann, 1.0).unwrap();
        assert_eq!(
            step.connect,
            [Connect::MakeOffer {
                other: "cid".into()
            }]
        );
        let step = cid.receive("ann", &to_bob, &roster, &via_ann, 1.0).unwrap();
        assert!(step.connect.is_empty(), "the higher id waits for the offer");

        let offer = bob.offer_made("cid", "OFFER".into()).unwrap();
        assert_eq!(offer.to, "ann");
        let both = neighbors(&["bob", "cid"]);
        let relayed = ann
            .receive("bob", &offer.frame, &roster, &both, 2.0)
            .unwrap();
        assert_eq!(relayed.send[0].to, "cid");
        let step = cid
            .receive("ann", &relayed.send[0].frame, &roster, &via_ann, 3.0)
            .unwrap();
        assert_eq!(
            step.connect,
            [Connect::TakeOffer {
                other: "bob".into(),
                sdp: "OFFER".into()
            }]
        );
        let answer = cid.answer_made("bob", "ANSWER".into()).unwrap();
        let relayed = ann
            .receive("cid", &answer.frame, &roster, &both, 4.0)
            .unwrap();
        assert_eq!(relayed.send[0].to, "bob");
        assert_eq!(ann.relay("bob", "cid"), Some(RelayState::AnswerRelayed));
        let step = bob
            .receive("ann", &relayed.send[0].frame, &roster, &via_ann, 5.0)
            .unwrap();
        assert_eq!(
            step.connect,
            [Connect::TakeAnswer {
                other: "cid".into(),
                sdp: "ANSWER".into()
            }]
        );
        bob.connected("cid", 6.0);
        cid.connected("bob", 6.0);
        assert_eq!(bob.state("cid"), Some(&PairState::Connected));
        // Connected pairs do not time out.
        assert!(bob.tick(1e9).is_empty());
        // A late copy of the answer changes nothing.
        assert_eq!(
            bob.receive("ann", &relayed.send[0].frame, &roster, &via_ann, 7.0),
            Err(IntroRefusal::NotTheIntroducer)
        );
        assert_eq!(
            ann.receive("cid", &answer.frame, &roster, &both, 8.0),
            Err(IntroRefusal::OutOfTurn)
        );
    }

    #[test]
    fn forged_introductions_are_refused_and_change_nothing() {
        let roster = roster();
        let mut bob = Introductions::new("bob");
        let pair = |a: &str, b: &str| GroupFrame::Introduce {
            pair: pair_of(a, b),
        };
        let all = neighbors(&["ann", "cid", "eve"]);
        // From someone who is not a member.
        assert_eq!(
            bob.receive("eve", &pair("bob", "cid"), &roster, &all, 0.0),
            Err(IntroRefusal::NotAMember)
        );
        // Of a non-member.
        assert_eq!(
            bob.receive("ann", &pair("bob", "eve"), &roster, &all, 0.0),
            Err(IntroRefusal::NotAMember)
        );
        // Of a pair we are not in, or with the introducer itself.
        assert_eq!(
            bob.receive("ann", &pair("ann", "cid"), &roster, &all, 0.0),
            Err(IntroRefusal::NotOurPair)
        );
        assert_eq!(
            bob.receive("ann", &pair("ann", "bob"), &roster, &all, 0.0),
            Err(IntroRefusal::NotOurPair)
        );
        // From a member we have no channel with.
        assert_eq!(
            bob.receive(
                "ann",
                &pair("bob", "cid"),
                &roster,
                &neighbors(&["cid"]),
                0.0
            ),
            Err(IntroRefusal::NotConnected)
        );
        // Signals for a pair nobody introduced, and answers without an offer.
        let answer = GroupFrame::Signal {
            pair: pair_of("bob", "cid"),
            offer: false,
            sdp: "ANSWER".into(),
        };
        assert_eq!(
            bob.receive("ann", &answer, &roster, &all, 0.0),
            Err(IntroRefusal::UnknownPair)
        );
        assert_eq!(bob, Introductions::new("bob"), "nothing changed");

        bob.receive("ann", &pair("bob", "cid"), &roster, &all, 0.0)
            .unwrap();
        let before = bob.clone();
        // A second introduction by another member (here the pair's other end). The same
        // introducer may start its own again (see the test of a drop cutting one short).
        assert!(bob
            .receive("cid", &pair("bob", "cid"), &roster, &all, 1.0)
            .is_err());
        // An answer before our offer went; the offer comes from us (the lower id), never to us.
        assert_eq!(
            bob.receive("ann", &answer, &roster, &all, 1.0),
            Err(IntroRefusal::OutOfTurn)
        );
        let offer = GroupFrame::Signal {
            pair: pair_of("bob", "cid"),
            offer: true,
            sdp: "OFFER".into(),
        };
        assert_eq!(
            bob.receive("ann", &offer, &roster, &all, 1.0),
            Err(IntroRefusal::OutOfTurn)
        );
        // Only the introducer relays.
        assert_eq!(
            bob.receive("cid", &answer, &roster, &all, 1.0),
            Err(IntroRefusal::NotTheIntroducer)
        );
        assert_eq!(
            bob.answer_made("cid", "x".into()),
            Err(IntroRefusal::OutOfTurn)
        );
        assert_eq!(bob, before, "nothing changed");
        // Oversized descriptions never go out.
        assert_eq!(
            bob.offer_made("cid", "a".repeat(MAX_SDP_BYTES + 1)),
            Err(IntroRefusal::BadSdp)
        );
    }

    #[test]
    fn an_introduction_cut_short_by_a_drop_is_made_again_when_the_member_is_back() {
        let roster = roster();
        let both = neighbors(&["bob", "cid"]);
        let mut ann = Introductions::new("ann");
        let mut bob = Introductions::new("bob");
        let introduce = GroupFrame::Introduce {
            pair: pair_of("bob", "cid"),
        };
        ann.introduce("bob", "cid", &roster, &both, 0.0).unwrap();
        bob.receive("ann", &introduce, &roster, &neighbors(&["ann"]), 0.0)
            .unwrap();
        bob.offer_made("cid", "OFFER".into()).unwrap();
        // Cid drops (a reload) before the offer reached it: Ann forgets the relay, so the pair
        // is due again as soon as Cid is back, not two minutes later.
        ann.disconnected("cid");
        assert_eq!(ann.relay("bob", "cid"), None);
        assert_eq!(
            ann.due(vec![pair_of("bob", "cid")], 1_000.0),
            vec![pair_of("bob", "cid")]
        );
        ann.introduce("bob", "cid", &roster, &both, 1_000.0)
            .unwrap();
        // Bob, still waiting for an answer, takes the same introducer's new start...
        let step = bob
            .receive("ann", &introduce, &roster, &neighbors(&["ann"]), 1_000.0)
            .unwrap();
        assert_eq!(
            step.connect,
            vec![Connect::MakeOffer {
                other: "cid".into()
            }]
        );
        // ...but not another member's while it runs.
        let mut with_dan = roster.clone();
        with_dan.joined("ann", "dan", None, 1, 3.0);
        assert_eq!(
            bob.receive(
                "dan",
                &introduce,
                &with_dan,
                &neighbors(&["ann", "dan"]),
                1_001.0
            ),
            Err(IntroRefusal::Duplicate)
        );
    }

    #[test]
    fn the_introducer_relays_only_in_turn_and_only_its_pairs() {
        let roster = roster();
        let mut ann = Introductions::new("ann");
        let both = neighbors(&["bob", "cid"]);
        let signal = |offer: bool| GroupFrame::Signal {
            pair: pair_of("bob", "cid"),
            offer,
            sdp: "SDP".into(),
        };
        assert_eq!(
            ann.receive("bob", &signal(true), &roster, &both, 0.0),
            Err(IntroRefusal::UnknownPair)
        );
        ann.introduce("bob", "cid", &roster, &both, 0.0).unwrap();
        assert_eq!(
            ann.introduce("bob", "cid", &roster, &both, 1.0),
            Err(IntroRefusal::Duplicate)
        );
        // The answerer may not offer; nobody may answer before the offer.
        assert_eq!(
            ann.receive("cid", &signal(true), &roster, &both, 1.0),
            Err(IntroRefusal::OutOfTurn)
        );
        assert_eq!(
            ann.receive("cid", &signal(false), &roster, &both, 1.0),
            Err(IntroRefusal::OutOfTurn)
        );
        ann.receive("bob", &signal(true), &roster, &both, 1.0)
            .unwrap();
        // A second offer is refused; so is an answer from the offerer.
        assert_eq!(
            ann.receive("bob", &signal(true), &roster, &both, 2.0),
            Err(IntroRefusal::OutOfTurn)
        );
        assert_eq!(
            ann.receive("bob", &signal(false), &roster, &both, 2.0),
            Err(IntroRefusal::OutOfTurn)
        );
        // Too late: the relay is over.
        assert_eq!(
            ann.receive(
                "cid",
                &signal(false),
                &roster,
                &both,
                INTRODUCTION_TIMEOUT_MS + 1.0
            ),
            Err(IntroRefusal::UnknownPair)
        );
        // Introducing needs both members on our own channels, and members only.
        assert_eq!(
            ann.introduce("bob", "eve", &roster, &neighbors(&["bob", "eve"]), 0.0),
            Err(IntroRefusal::NotAMember)
        );
        assert_eq!(
            Introductions::new("ann").introduce("bob", "cid", &roster, &neighbors(&["bob"]), 0.0),
            Err(IntroRefusal::NotConnected)
        );
        assert_eq!(
            Introductions::new("eve").introduce("bob", "cid", &roster, &both, 0.0),
            Err(IntroRefusal::NotAMember)
        );
    }

    #[test]
    fn a_newcomer_over_the_limit_is_not_introduced() {
        let mut roster = roster();
        for n in 0..5 {
            roster.joined("ann", &format!("m{n}"), None, 1, 3.0 + f64::from(n));
        }
        roster.joined("bob", "zed", None, 1, 100.0); // the ninth: waits outside
        assert!(!roster.is_member("zed"));
        let mut cid = Introductions::new("cid");
        assert_eq!(
            cid.receive(
                "bob",
                &GroupFrame::Introduce {
                    pair: pair_of("cid", "zed")
                },
                &roster,
                &neighbors(&["bob"]),
                0.0
            ),
            Err(IntroRefusal::NotAMember)
        );
        assert_eq!(
            Introductions::new("bob").introduce(
                "cid",
                "zed",
                &roster,
                &neighbors(&["cid", "zed"]),
                0.0
            ),
            Err(IntroRefusal::NotAMember)
        );
    }

    #[test]
    fn a_pair_that_does_not_connect_in_time_fails_and_may_be_introduced_again() {
        let roster = roster();
        let mut cid = Introductions::new("cid");
        let intro = GroupFrame::Introduce {
            pair: pair_of("bob", "cid"),
        };
        let all = neighbors(&["ann", "bob"]);
        cid.receive("ann", &intro, &roster, &all, 0.0).unwrap();
        assert!(cid.tick(INTRODUCTION_TIMEOUT_MS - 1.0).is_empty());
        assert_eq!(
            cid.tick(INTRODUCTION_TIMEOUT_MS),
            [Connect::GiveUp {
                other: "bob".into()
            }]
        );
        assert_eq!(cid.state("bob"), Some(&PairState::Failed));
        // Later, through another member: a fresh attempt.
        let mut by_bob_roster = roster.clone();
        by_bob_roster.joined("ann", "dee", None, 1, 3.0);
        let step = cid
            .receive("dee", &intro, &by_bob_roster, &neighbors(&["dee"]), 1e6)
            .unwrap();
        assert!(step.connect.is_empty());
        assert_eq!(
            cid.state("bob"),
            Some(&PairState::Introduced { by: "dee".into() })
        );
        // The introducer waits before trying the same pair again (see the backoff tests).
        let mut ann = Introductions::new("ann");
        let both = neighbors(&["bob", "cid"]);
        let wanted = vec![pair_of("bob", "cid")];
        ann.introduce("bob", "cid", &roster, &both, 0.0).unwrap();
        let retry_at = 2.0 * INTRODUCTION_TIMEOUT_MS;
        assert!(ann.due(wanted.clone(), retry_at - 1.0).is_empty());
        assert_eq!(ann.due(wanted.clone(), retry_at), wanted);
        ann.tick(retry_at);
        assert!(ann
            .introduce("bob", "cid", &roster, &both, retry_at)
            .is_ok());
    }

    #[test]
    fn the_wait_doubles_from_a_few_seconds_up_to_two_minutes() {
        let waits: Vec<f64> = (1..=8).map(retry_delay).collect();
        assert_eq!(
            waits,
            [2_000.0, 4_000.0, 8_000.0, 16_000.0, 32_000.0, 64_000.0, 120_000.0, 120_000.0]
        );
        assert_eq!(retry_delay(0), RETRY_FIRST_MS);
        assert_eq!(retry_delay(u32::MAX), RETRY_MAX_MS);
        // After one that ran out, at least as long as it ran.
        let waits: Vec<f64> = (1..=8).map(wait_after_failure).collect();
        assert_eq!(
            waits,
            [30_000.0, 30_000.0, 30_000.0, 30_000.0, 32_000.0, 64_000.0, 120_000.0, 120_000.0]
        );
    }

    #[test]
    fn a_broken_pair_waits_only_the_first_delay_even_right_after_its_introduction() {
        let roster = roster();
        let both = neighbors(&["bob", "cid"]);
        let wanted = vec![pair_of("bob", "cid")];
        let mut ann = Introductions::new("ann");
        ann.introduce("bob", "cid", &roster, &both, 0.0).unwrap();
        // Running: never introduced twice.
        assert!(ann.due(wanted.clone(), 5_000.0).is_empty());
        assert_eq!(
            ann.introduce("bob", "cid", &roster, &both, 5_000.0),
            Err(IntroRefusal::Duplicate)
        );
        ann.pair_connected("bob", "cid", 6_000.0);
        assert_eq!(ann.relay("bob", "cid"), None, "done");
        ann.pair_broke("bob", "cid", 10_000.0);
        assert!(ann
            .due(wanted.clone(), 10_000.0 + RETRY_FIRST_MS - 1.0)
            .is_empty());
        assert_eq!(ann.due(wanted.clone(), 10_000.0 + RETRY_FIRST_MS), wanted);
        // It breaks again soon after the new introduction connects: twice the wait.
        let again = 10_000.0 + RETRY_FIRST_MS;
        ann.introduce("bob", "cid", &roster, &both, again).unwrap();
        ann.pair_connected("bob", "cid", again + 1_000.0);
        ann.pair_broke("bob", "cid", again + 2_000.0);
        assert!(ann
            .due(wanted.clone(), again + 2_000.0 + 2.0 * RETRY_FIRST_MS - 1.0)
            .is_empty());
        assert_eq!(
            ann.due(wanted.clone(), again + 2_000.0 + 2.0 * RETRY_FIRST_MS),
            wanted
        );
    }

    #[test]
    fn a_running_introduction_that_ran_out_counts_without_a_tick() {
        let roster = roster();
        let both = neighbors(&["bob", "cid"]);
        let wanted = vec![pair_of("bob", "cid")];
        let mut ann = Introductions::new("ann");
        ann.introduce("bob", "cid", &roster, &both, 0.0).unwrap();
        // Never ticked: the wait still counts from the deadline, and the failure is counted
        // when the pair is introduced again.
        let first_retry = 2.0 * INTRODUCTION_TIMEOUT_MS;
        assert!(ann.due(wanted.clone(), first_retry - 1.0).is_empty());
        ann.introduce("bob", "cid", &roster, &both, first_retry)
            .unwrap();
        let second_retry = first_retry + 2.0 * INTRODUCTION_TIMEOUT_MS;
        assert!(ann.due(wanted.clone(), second_retry - 1.0).is_empty());
        assert_eq!(ann.due(wanted.clone(), second_retry), wanted);
        // A tick at any time after gives the same.
        ann.tick(second_retry - 1_000.0);
        assert!(ann.due(wanted.clone(), second_retry - 1.0).is_empty());
        assert_eq!(ann.due(wanted.clone(), second_retry), wanted);
    }

    #[test]
    fn the_introducer_that_forgot_a_member_may_start_again_whatever_failed_before() {
        let roster = roster();
        let both = neighbors(&["bob", "cid"]);
        let wanted = vec![pair_of("bob", "cid")];
        let introduce = GroupFrame::Introduce {
            pair: pair_of("bob", "cid"),
        };
        let via_ann = neighbors(&["ann"]);
        let mut ann = Introductions::new("ann");
        let mut bob = Introductions::new("bob");
        // Two failures: the third try would wait 30 s after the second ran out.
        ann.introduce("bob", "cid", &roster, &both, 0.0).unwrap();
        ann.tick(INTRODUCTION_TIMEOUT_MS);
        let second = 2.0 * INTRODUCTION_TIMEOUT_MS;
        ann.introduce("bob", "cid", &roster, &both, second).unwrap();
        bob.receive("ann", &introduce, &roster, &via_ann, second)
            .unwrap();
        bob.offer_made("cid", "OFFER".into()).unwrap();
        // Cid drops while it runs: Ann forgets the relay and the failures.
        ann.disconnected("cid");
        assert_eq!(ann.due(wanted.clone(), second + 1_000.0), wanted);
        ann.introduce("bob", "cid", &roster, &both, second + 1_000.0)
            .unwrap();
        // Bob, still waiting for Cid's answer in Ann's earlier introduction, takes the new one.
        let step = bob
            .receive("ann", &introduce, &roster, &via_ann, second + 1_000.0)
            .unwrap();
        assert_eq!(
            step.connect,
            [Connect::MakeOffer {
                other: "cid".into()
            }]
        );
        // Another member's is still refused while Ann's runs.
        let mut with_dan = roster.clone();
        with_dan.joined("ann", "dan", None, 1, 3.0);
        assert_eq!(
            bob.receive(
                "dan",
                &introduce,
                &with_dan,
                &neighbors(&["ann", "dan"]),
                second + 1_001.0
            ),
            Err(IntroRefusal::Duplicate)
        );
    }
}
