//! Stable identities: the peers this browser has met, by the fingerprint of the certificate each
//! one proved in the DTLS handshake, and what to make of the fingerprint a peer comes back with.
//!
//! Each browser keeps one certificate for months (`web::identity`), so the safety code of a pair
//! of browsers stays the same across reconnects: people compare it once and may mark the peer
//! verified. A peer is known by its stable browser id, the `peer` of its hello. When it comes
//! back with another fingerprint, that is either a renewal it announced over a connection the old
//! certificate authenticated (taken quietly), or a changed identity: a new browser profile, a
//! reset, or a man in the middle. Then nothing is sent until the user has looked at the new code
//! and accepted it; for a verified peer that is a blocking warning, otherwise a clear notice.
//!
//! The table is stored as one JSON record ([`KnownPeers::to_json`]), read back strictly: anything
//! but exactly the shape written here is refused whole ([`KnownPeersError::Damaged`]).

use serde::{Deserialize, Serialize};

use crate::core::safety::Fingerprint;
use crate::core::sorted_vec::SortedMap;
use crate::core::store::id_ok;

pub const DAY_MS: f64 = 86_400_000.0;
/// What a new certificate asks the browser for. Chromium caps it at 365 days anyway; the real
/// expiry is read back from the certificate, never assumed.
pub const CERTIFICATE_LIFETIME_MS: f64 = 365.0 * DAY_MS;
/// The next certificate is made this long before the current one expires, and announced on every
/// connection from then on: a peer met at least once a month learns it before the switch.
pub const RENEW_WITHIN_MS: f64 = 30.0 * DAY_MS;
/// The switch to the next certificate happens this long before the current one expires: a
/// browser refuses to open a connection with an expired certificate.
pub const SWITCH_WITHIN_MS: f64 = DAY_MS;

/// Most peers the table keeps; a new one beyond this replaces the unverified one seen longest ago.
pub const MAX_KNOWN_PEERS: usize = 10_000;
/// Largest stored record read (10,000 peers with two SHA-512 fingerprints each fit).
pub const MAX_RECORD_BYTES: usize = 5 * 1024 * 1024;
/// Latest time a record may hold: the largest JS `Date`.
const MAX_TIME_MS: f64 = 8.64e15;
/// Version of the stored record.
const RECORD_VERSION: u32 = 1;

/// What this browser knows of one peer.
#[derive(Clone, Debug, PartialEq)]
pub struct KnownPeer {
    /// The fingerprint the peer is known by.
    pub fingerprint: Fingerprint,
    /// When this identity was first seen (ms since epoch): the first connection, or the user's
    /// acceptance of a changed one. A renewal keeps it: the new certificate continues the old.
    pub first_seen_ms: f64,
    /// The user compared the safety code and marked the peer verified.
    pub verified: bool,
    /// The fingerprint the peer announced it will switch to, over a connection authenticated by
    /// `fingerprint`.
    pub next: Option<Fingerprint>,
}

/// What a fingerprint a peer connects with means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// Never met: remember it, nothing to warn about.
    New,
    /// The identity it is known by.
    Same { verified: bool },
    /// The identity it announced over an authenticated connection: it takes the old one's place,
    /// verified if that was.
    Renewed { verified: bool },
    /// Another identity than the one it is known by, unannounced: a new profile, a reset, or a
    /// man in the middle. Nothing goes out until the user accepts the new code (or disconnects).
    Changed { was_verified: bool },
}

/// How loudly the app must speak of a judgement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alert {
    /// Nothing to say.
    Quiet,
    /// A clear notice: the identity of a peer not verified changed.
    Notice,
    /// A blocking warning: the identity of a verified peer changed.
    Blocking,
}

impl Judgement {
    /// Pending messages stay pending and files wait: only the user's acceptance releases them.
    pub fn holds_outgoing(self) -> bool {
        matches!(self, Judgement::Changed { .. })
    }

    pub fn alert(self) -> Alert {
        match self {
            Judgement::Changed { was_verified: true } => Alert::Blocking,
            Judgement::Changed {
                was_verified: false,
            } => Alert::Notice,
            Judgement::New | Judgement::Same { .. } | Judgement::Renewed { .. } => Alert::Quiet,
        }
    }

    /// Whether the conversation shows the verified badge on this connection.
    pub fn verified(self) -> bool {
        matches!(
            self,
            Judgement::Same { verified: true } | Judgement::Renewed { verified: true }
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KnownPeersError {
    #[error("the stored list of known peers is damaged")]
    Damaged,
    #[error("not a valid peer id")]
    InvalidPeerId,
    #[error("this peer is not known")]
    Unknown,
    #[error("this peer is known by another fingerprint now")]
    NotCurrent,
    #[error("the list of known peers is full of verified peers")]
    Full,
}

/// The known-peers table: peer id to what this browser knows of it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KnownPeers {
    peers: SortedMap<String, KnownPeer>,
}

impl KnownPeers {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, peer_id: &str) -> Option<&KnownPeer> {
        self.peers.get(peer_id)
    }

    pub fn len(&self) -> usize {
        self.peers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }

    /// Every known peer, by id.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &KnownPeer)> {
        self.peers.iter().map(|(id, peer)| (id.as_str(), peer))
    }

    /// What `fingerprint`, proved by `peer_id` in this connection's handshake, means. Changes
    /// nothing (see [`KnownPeers::record`]).
    pub fn judge(&self, peer_id: &str, fingerprint: &Fingerprint) -> Judgement {
        match self.peers.get(peer_id) {
            None => Judgement::New,
            Some(known) if known.fingerprint == *fingerprint => Judgement::Same {
                verified: known.verified,
            },
            Some(known) if known.next.as_ref() == Some(fingerprint) => Judgement::Renewed {
                verified: known.verified,
            },
            Some(known) => Judgement::Changed {
                was_verified: known.verified,
            },
        }
    }

    /// What `fingerprint` means on a connection to a conversation that is with `expected` (the
    /// peer id stored with it; `None` for a new conversation) when the peer's hello says it is
    /// `peer_id`. Another id with a certificate other than the one `expected` is known by is a
    /// changed identity of the conversation's peer: a man in the middle need not know the id,
    /// and must not pass as a new peer for it. Otherwise, what [`KnownPeers::judge`] says of
    /// `peer_id`. Changes nothing.
    pub fn judge_in_conversation(
        &self,
        expected: Option<&str>,
        peer_id: &str,
        fingerprint: &Fingerprint,
    ) -> Judgement {
        if let Some(expected) = expected.filter(|expected| *expected != peer_id) {
            if let changed @ Judgement::Changed { .. } = self.judge(expected, fingerprint) {
                return changed;
            }
        }
        self.judge(peer_id, fingerprint)
    }

    /// Judges a connection's fingerprint and takes what needs no decision: a new peer is
    /// remembered (not verified), a renewal replaces the old fingerprint. A changed identity
    /// changes nothing here: the user decides ([`KnownPeers::accept_change`]).
    pub fn record(
        &mut self,
        peer_id: &str,
        fingerprint: &Fingerprint,
        now_ms: f64,
    ) -> Result<Judgement, KnownPeersError> {
        check_id(peer_id)?;
        let judgement = self.judge(peer_id, fingerprint);
        match judgement {
            Judgement::New => self.insert(peer_id, fingerprint, now_ms)?,
            Judgement::Renewed { .. } => {
                if let Some(known) = self.peers.get_mut(peer_id) {
                    known.fingerprint = fingerprint.clone();
                    known.next = None;
                }
            }
            Judgement::Same { .. } | Judgement::Changed { .. } => {}
        }
        Ok(judgement)
    }

    /// The user looked at the new safety code and accepted the peer's new identity: it is known
    /// by `fingerprint` from now on, not verified (they may verify it again).
    pub fn accept_change(
        &mut self,
        peer_id: &str,
        fingerprint: &Fingerprint,
        now_ms: f64,
    ) -> Result<(), KnownPeersError> {
        check_id(peer_id)?;
        if matches!(self.judge(peer_id, fingerprint), Judgement::Same { .. }) {
            return Ok(());
        }
        self.peers.remove(peer_id);
        self.insert(peer_id, fingerprint, now_ms)
    }

    /// The user compared the safety code made from `fingerprint` and marked the peer verified.
    /// Refused when the peer is known by another fingerprint by now: the code they compared is
    /// not the one that counts.
    pub fn mark_verified(
        &mut self,
        peer_id: &str,
        fingerprint: &Fingerprint,
    ) -> Result<(), KnownPeersError> {
        let known = self
            .peers
            .get_mut(peer_id)
            .ok_or(KnownPeersError::Unknown)?;
        if known.fingerprint != *fingerprint {
            return Err(KnownPeersError::NotCurrent);
        }
        known.verified = true;
        Ok(())
    }

    /// The user takes the verification back.
    pub fn unmark_verified(&mut self, peer_id: &str) -> Result<(), KnownPeersError> {
        let known = self
            .peers
            .get_mut(peer_id)
            .ok_or(KnownPeersError::Unknown)?;
        known.verified = false;
        Ok(())
    }

    /// The peer announced its next fingerprint over a connection whose handshake proved
    /// `current`. Taken only when `current` is the fingerprint the peer is known by: a connection
    /// with an unaccepted changed identity cannot announce anything. A later announcement
    /// replaces an earlier one.
    pub fn announce_next(
        &mut self,
        peer_id: &str,
        current: &Fingerprint,
        next: Fingerprint,
    ) -> Result<(), KnownPeersError> {
        let known = self
            .peers
            .get_mut(peer_id)
            .ok_or(KnownPeersError::Unknown)?;
        if known.fingerprint != *current {
            return Err(KnownPeersError::NotCurrent);
        }
        known.next = (next != known.fingerprint).then_some(next);
        Ok(())
    }

    /// Forgets a peer (its next connection is [`Judgement::New`]). Whether it was known.
    pub fn forget(&mut self, peer_id: &str) -> bool {
        self.peers.remove(peer_id).is_some()
    }

    fn insert(
        &mut self,
        peer_id: &str,
        fingerprint: &Fingerprint,
        now_ms: f64,
    ) -> Result<(), KnownPeersError> {
        if self.peers.len() >= MAX_KNOWN_PEERS && !self.peers.contains_key(peer_id) {
            // Room is made from the unverified peer seen longest ago; verified ones stay.
            let oldest = self
                .peers
                .iter()
                .filter(|(_, known)| !known.verified)
                .min_by(|a, b| a.1.first_seen_ms.total_cmp(&b.1.first_seen_ms))
                .map(|(id, _)| id.clone())
                .ok_or(KnownPeersError::Full)?;
            self.peers.remove(&oldest);
        }
        self.peers.insert(
            peer_id.to_owned(),
            KnownPeer {
                fingerprint: fingerprint.clone(),
                first_seen_ms: clamp_time(now_ms),
                verified: false,
                next: None,
            },
        );
        Ok(())
    }

    /// The stored form: `{"v":1,"peers":[{"id":…,"fp":"sha-256 AB:…","seen":…,"verified":…,
    /// "next":…}]}`, peers by id, `next` only when there is one.
    pub fn to_json(&self) -> String {
        let record = TableRecord {
            v: RECORD_VERSION,
            peers: self
                .peers
                .iter()
                .map(|(id, known)| PeerRecord {
                    id: id.clone(),
                    fp: known.fingerprint.to_sdp_value(),
                    seen: known.first_seen_ms,
                    verified: known.verified,
                    next: known.next.as_ref().map(Fingerprint::to_sdp_value),
                })
                .collect(),
        };
        // Serialising plain strings, numbers and booleans cannot fail.
        serde_json::to_string(&record).unwrap_or_default()
    }

    /// Reads a stored table. Strict: an unknown version or field, a missing or mistyped one, a
    /// bad or repeated id, a fingerprint not in the form written, an impossible time, too many
    /// peers or too many bytes: all refused, nothing partly taken.
    pub fn from_json(raw: &str) -> Result<Self, KnownPeersError> {
        if raw.len() > MAX_RECORD_BYTES {
            return Err(KnownPeersError::Damaged);
        }
        let record: TableRecord =
            serde_json::from_str(raw).map_err(|_| KnownPeersError::Damaged)?;
        if record.v != RECORD_VERSION || record.peers.len() > MAX_KNOWN_PEERS {
            return Err(KnownPeersError::Damaged);
        }
        let mut peers = SortedMap::new();
        for peer in record.peers {
            let fingerprint = canonical_fingerprint(&peer.fp)?;
            let next = peer
                .next
                .as_deref()
                .map(canonical_fingerprint)
                .transpose()?;
            let time_ok = peer.seen.is_finite() && (0.0..=MAX_TIME_MS).contains(&peer.seen);
            if !id_ok(&peer.id) || !time_ok || next.as_ref() == Some(&fingerprint) {
                return Err(KnownPeersError::Damaged);
            }
            let known = KnownPeer {
                fingerprint,
                first_seen_ms: peer.seen,
                verified: peer.verified,
                next,
            };
            if peers.insert(peer.id, known).is_some() {
                return Err(KnownPeersError::Damaged);
            }
        }
        Ok(Self { peers })
    }
}

fn check_id(peer_id: &str) -> Result<(), KnownPeersError> {
    if id_ok(peer_id) {
        Ok(())
    } else {
        Err(KnownPeersError::InvalidPeerId)
    }
}

/// A time as a record may hold it (a broken clock must not make the table unreadable).
fn clamp_time(ms: f64) -> f64 {
    if ms.is_finite() {
        ms.clamp(0.0, MAX_TIME_MS)
    } else {
        0.0
    }
}

/// A stored fingerprint, exactly as [`Fingerprint::to_sdp_value`] writes it.
fn canonical_fingerprint(value: &str) -> Result<Fingerprint, KnownPeersError> {
    Fingerprint::from_sdp_value(value)
        .filter(|fingerprint| fingerprint.to_sdp_value() == value)
        .ok_or(KnownPeersError::Damaged)
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableRecord {
    v: u32,
    peers: Vec<PeerRecord>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PeerRecord {
    id: String,
    fp: String,
    seen: f64,
    verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

/// What to do about this browser's certificate, from its expiry (`RTCCertificate.expires`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Renewal {
    /// Use it; nothing to do before `make_next_at_ms`.
    Keep { make_next_at_ms: f64 },
    /// Keep using it, but have the next certificate (make it now if there is none) and announce
    /// its fingerprint on every connection, until `switch_at_ms`.
    MakeNext { switch_at_ms: f64 },
    /// Use the next certificate from now on (make one if there is none): this one expires within
    /// [`SWITCH_WITHIN_MS`], or has, or its expiry is unreadable.
    Switch,
}

/// The renewal schedule of a certificate expiring at `expires_ms`, at `now_ms` (both ms since
/// epoch).
pub fn renewal(expires_ms: f64, now_ms: f64) -> Renewal {
    if !expires_ms.is_finite() {
        return Renewal::Switch;
    }
    let make_next_at_ms = expires_ms - RENEW_WITHIN_MS;
    let switch_at_ms = expires_ms - SWITCH_WITHIN_MS;
    // A clock that reads nothing sensible must not throw an identity away.
    if !now_ms.is_finite() || now_ms < make_next_at_ms {
        Renewal::Keep { make_next_at_ms }
    } else if now_ms < switch_at_ms {
        Renewal::MakeNext { switch_at_ms }
    } else {
        Renewal::Switch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(byte: u8) -> Fingerprint {
        Fingerprint::new("sha-256", &vec![format!("{byte:02X}"); 32].join(":")).unwrap()
    }

    const NOW: f64 = 1.75e12;

    #[test]
    fn a_new_peer_is_remembered_unverified_and_then_the_same() {
        let mut known = KnownPeers::new();
        assert_eq!(known.judge("peer-1", &fp(1)), Judgement::New);
        assert_eq!(known.record("peer-1", &fp(1), NOW), Ok(Judgement::New));
        let peer = known.get("peer-1").unwrap();
        assert_eq!(peer.fingerprint, fp(1));
        assert_eq!(peer.first_seen_ms, NOW);
        assert!(!peer.verified);
        assert_eq!(
            known.record("peer-1", &fp(1), NOW + 5.0),
            Ok(Judgement::Same { verified: false })
        );
        assert_eq!(known.get("peer-1").unwrap().first_seen_ms, NOW);
        assert_eq!(known.len(), 1);
    }

    #[test]
    fn verified_survives_reconnects_and_shows() {
        let mut known = KnownPeers::new();
        known.record("peer-1", &fp(1), NOW).unwrap();
        known.mark_verified("peer-1", &fp(1)).unwrap();
        let judgement = known.record("peer-1", &fp(1), NOW).unwrap();
        assert_eq!(judgement, Judgement::Same { verified: true });
        assert!(judgement.verified());
        assert_eq!(judgement.alert(), Alert::Quiet);
        assert!(!judgement.holds_outgoing());
        known.unmark_verified("peer-1").unwrap();
        assert!(!known.judge("peer-1", &fp(1)).verified());
    }

    #[test]
    fn verifying_needs_the_current_fingerprint() {
        let mut known = KnownPeers::new();
        assert_eq!(
            known.mark_verified("peer-1", &fp(1)),
            Err(KnownPeersError::Unknown)
        );
        known.record("peer-1", &fp(1), NOW).unwrap();
        // The code on screen was made from another fingerprint than the one the peer is known by.
        assert_eq!(
            known.mark_verified("peer-1", &fp(2)),
            Err(KnownPeersError::NotCurrent)
        );
        assert!(!known.get("peer-1").unwrap().verified);
    }

    #[test]
    fn a_changed_identity_holds_everything_until_accepted() {
        let mut known = KnownPeers::new();
        known.record("peer-1", &fp(1), NOW).unwrap();
        let judgement = known.record("peer-1", &fp(2), NOW + 1.0).unwrap();
        assert_eq!(
            judgement,
            Judgement::Changed {
                was_verified: false
            }
        );
        assert!(judgement.holds_outgoing());
        assert_eq!(judgement.alert(), Alert::Notice);
        assert!(!judgement.verified());
        // Recording it did not take it: the next connection with it is still a change.
        assert_eq!(known.get("peer-1").unwrap().fingerprint, fp(1));
        assert_eq!(
            known.judge("peer-1", &fp(2)),
            Judgement::Changed {
                was_verified: false
            }
        );
        known.accept_change("peer-1", &fp(2), NOW + 2.0).unwrap();
        let peer = known.get("peer-1").unwrap();
        assert_eq!(peer.fingerprint, fp(2));
        assert_eq!(peer.first_seen_ms, NOW + 2.0);
        assert_eq!(
            known.judge("peer-1", &fp(2)),
            Judgement::Same { verified: false }
        );
    }

    #[test]
    fn a_verified_peer_that_changes_is_a_blocking_warning_and_loses_the_badge() {
        let mut known = KnownPeers::new();
        known.record("peer-1", &fp(1), NOW).unwrap();
        known.mark_verified("peer-1", &fp(1)).unwrap();
        let judgement = known.record("peer-1", &fp(3), NOW).unwrap();
        assert_eq!(judgement, Judgement::Changed { was_verified: true });
        assert_eq!(judgement.alert(), Alert::Blocking);
        assert!(judgement.holds_outgoing());
        // Declining (disconnecting) keeps the verified old identity.
        assert_eq!(
            known.judge("peer-1", &fp(1)),
            Judgement::Same { verified: true }
        );
        known.accept_change("peer-1", &fp(3), NOW).unwrap();
        assert_eq!(
            known.judge("peer-1", &fp(3)),
            Judgement::Same { verified: false }
        );
        // The old identity is now a change in turn.
        assert_eq!(
            known.judge("peer-1", &fp(1)),
            Judgement::Changed {
                was_verified: false
            }
        );
    }

    #[test]
    fn a_conversation_answered_under_another_id_is_judged_for_its_own_peer() {
        let mut known = KnownPeers::new();
        known.record("peer-1", &fp(1), NOW).unwrap();
        known.mark_verified("peer-1", &fp(1)).unwrap();
        // A relay with its own certificate and its own id, on a reconnect of peer-1's chat.
        let judgement = known.judge_in_conversation(Some("peer-1"), "mallory", &fp(9));
        assert_eq!(judgement, Judgement::Changed { was_verified: true });
        assert_eq!(judgement.alert(), Alert::Blocking);
        // The same with peer-1's id spoofed.
        assert_eq!(
            known.judge_in_conversation(Some("peer-1"), "peer-1", &fp(9)),
            Judgement::Changed { was_verified: true }
        );
        // The real peer, and a new conversation.
        assert_eq!(
            known.judge_in_conversation(Some("peer-1"), "peer-1", &fp(1)),
            Judgement::Same { verified: true }
        );
        assert_eq!(
            known.judge_in_conversation(None, "peer-2", &fp(2)),
            Judgement::New
        );
        // Its own certificate under a new id (its browser id was cleared): judged by the new id.
        assert_eq!(
            known.judge_in_conversation(Some("peer-1"), "peer-1b", &fp(1)),
            Judgement::New
        );
        // An announced renewal under the old id passes; a peer the table does not know of (a
        // conversation from before identities) is judged by the hello's id.
        known.announce_next("peer-1", &fp(1), fp(2)).unwrap();
        assert_eq!(
            known.judge_in_conversation(Some("peer-1"), "peer-1", &fp(2)),
            Judgement::Renewed { verified: true }
        );
        assert_eq!(
            known.judge_in_conversation(Some("old-peer"), "peer-3", &fp(3)),
            Judgement::New
        );
        // Once the user accepted the relay's certificate for peer-1, its own id is a new peer.
        known.accept_change("peer-1", &fp(9), NOW).unwrap();
        assert_eq!(
            known.judge_in_conversation(Some("peer-1"), "mallory", &fp(9)),
            Judgement::New
        );
    }

    #[test]
    fn accepting_the_current_identity_changes_nothing() {
        let mut known = KnownPeers::new();
        known.record("peer-1", &fp(1), NOW).unwrap();
        known.accept_change("peer-1", &fp(1), NOW + 9.0).unwrap();
        assert_eq!(known.get("peer-1").unwrap().first_seen_ms, NOW);
        known.mark_verified("peer-1", &fp(1)).unwrap();
        known.accept_change("peer-1", &fp(1), NOW + 9.0).unwrap();
        assert!(known.get("peer-1").unwrap().verified);
        // Accepting an unknown peer remembers it.
        known.accept_change("peer-2", &fp(2), NOW).unwrap();
        assert_eq!(
            known.judge("peer-2", &fp(2)),
            Judgement::Same { verified: false }
        );
    }

    #[test]
    fn an_announced_renewal_is_taken_quietly_and_keeps_verified() {
        let mut known = KnownPeers::new();
        known.record("peer-1", &fp(1), NOW).unwrap();
        known.mark_verified("peer-1", &fp(1)).unwrap();
        known.announce_next("peer-1", &fp(1), fp(2)).unwrap();
        // Until it switches, the peer still connects with the old one.
        assert_eq!(
            known.record("peer-1", &fp(1), NOW).unwrap(),
            Judgement::Same { verified: true }
        );
        let judgement = known.record("peer-1", &fp(2), NOW + 1.0).unwrap();
        assert_eq!(judgement, Judgement::Renewed { verified: true });
        assert_eq!(judgement.alert(), Alert::Quiet);
        assert!(!judgement.holds_outgoing());
        assert!(judgement.verified());
        let peer = known.get("peer-1").unwrap();
        assert_eq!(peer.fingerprint, fp(2));
        assert_eq!(peer.next, None);
        assert_eq!(peer.first_seen_ms, NOW, "a renewal continues the identity");
        // The old certificate is no longer accepted quietly.
        assert_eq!(
            known.judge("peer-1", &fp(1)),
            Judgement::Changed { was_verified: true }
        );
    }

    #[test]
    fn an_announcement_counts_only_over_the_known_identity() {
        let mut known = KnownPeers::new();
        assert_eq!(
            known.announce_next("peer-1", &fp(1), fp(2)),
            Err(KnownPeersError::Unknown)
        );
        known.record("peer-1", &fp(1), NOW).unwrap();
        // A man in the middle (not accepted) announcing his own next certificate.
        assert_eq!(
            known.announce_next("peer-1", &fp(7), fp(8)),
            Err(KnownPeersError::NotCurrent)
        );
        assert_eq!(
            known.judge("peer-1", &fp(8)),
            Judgement::Changed {
                was_verified: false
            }
        );
        // A second announcement replaces the first; announcing the current one clears it.
        known.announce_next("peer-1", &fp(1), fp(2)).unwrap();
        known.announce_next("peer-1", &fp(1), fp(3)).unwrap();
        assert_eq!(
            known.judge("peer-1", &fp(2)),
            Judgement::Changed {
                was_verified: false
            }
        );
        assert_eq!(
            known.judge("peer-1", &fp(3)),
            Judgement::Renewed { verified: false }
        );
        known.announce_next("peer-1", &fp(1), fp(1)).unwrap();
        assert_eq!(known.get("peer-1").unwrap().next, None);
    }

    #[test]
    fn bad_ids_are_refused_and_forget_forgets() {
        let mut known = KnownPeers::new();
        for id in ["", "<script>", &"a".repeat(65), "a b"] {
            assert_eq!(
                known.record(id, &fp(1), NOW),
                Err(KnownPeersError::InvalidPeerId)
            );
            assert_eq!(
                known.accept_change(id, &fp(1), NOW),
                Err(KnownPeersError::InvalidPeerId)
            );
        }
        assert!(known.is_empty());
        known.record("peer-1", &fp(1), NOW).unwrap();
        assert!(known.forget("peer-1"));
        assert!(!known.forget("peer-1"));
        assert_eq!(known.judge("peer-1", &fp(1)), Judgement::New);
    }

    #[test]
    fn a_full_table_makes_room_from_the_oldest_unverified() {
        let mut known = KnownPeers::new();
        for i in 0..MAX_KNOWN_PEERS {
            known
                .record(&format!("p{i}"), &fp(1), NOW + i as f64)
                .unwrap();
        }
        known.mark_verified("p0", &fp(1)).unwrap();
        assert_eq!(known.record("new", &fp(2), NOW), Ok(Judgement::New));
        assert_eq!(known.len(), MAX_KNOWN_PEERS);
        assert!(known.get("p0").is_some(), "verified peers stay");
        assert!(known.get("p1").is_none(), "the oldest unverified one went");
        assert!(known.get("new").is_some());
        // Full of verified peers: a new one is refused rather than one of them forgotten.
        let ids: Vec<String> = known.iter().map(|(id, _)| id.to_owned()).collect();
        for id in &ids {
            let current = known.get(id).unwrap().fingerprint.clone();
            known.mark_verified(id, &current).unwrap();
        }
        assert_eq!(
            known.record("another", &fp(3), NOW),
            Err(KnownPeersError::Full)
        );
        assert_eq!(known.len(), MAX_KNOWN_PEERS);
        // A known peer still reconnects.
        assert_eq!(
            known.record("p0", &fp(1), NOW),
            Ok(Judgement::Same { verified: true })
        );
    }

    #[test]
    fn the_record_round_trips() {
        let mut known = KnownPeers::new();
        known.record("peer-1", &fp(1), NOW).unwrap();
        known.record("peer-2", &fp(2), NOW + 1.0).unwrap();
        known.mark_verified("peer-2", &fp(2)).unwrap();
        known.announce_next("peer-2", &fp(2), fp(4)).unwrap();
        let json = known.to_json();
        assert_eq!(KnownPeers::from_json(&json), Ok(known.clone()));
        assert!(json.starts_with(r#"{"v":1,"peers":[{"id":"peer-1","fp":"sha-256 01:01:"#));
        assert_eq!(
            json.matches(r#""next""#).count(),
            1,
            "only where there is one"
        );
        assert_eq!(
            KnownPeers::from_json(&KnownPeers::new().to_json()),
            Ok(KnownPeers::new())
        );
    }

    /// A valid record with one peer, its fields given as JSON text.
    fn record_with(id: &str, fp: &str, seen: &str, verified: &str, extra: &str) -> String {
        format!(
            r#"{{"v":1,"peers":[{{"id":{id},"fp":{fp},"seen":{seen},"verified":{verified}{extra}}}]}}"#
        )
    }

    #[test]
    fn hostile_or_damaged_records_are_refused_whole() {
        let good_fp = format!("\"{}\"", fp(1).to_sdp_value());
        let good = record_with("\"peer-1\"", &good_fp, "1", "true", "");
        assert!(KnownPeers::from_json(&good).is_ok());
        let lower_fp = format!("\"{}\"", fp(10).to_sdp_value().to_ascii_lowercase());
        let next_same = format!(",\"next\":{good_fp}");
        let long_fp = format!("\"sha-512 {}\"", vec!["AB"; 65].join(":"));
        for raw in [
            String::new(),
            "null".into(),
            "[]".into(),
            "{}".into(),
            r#"{"v":2,"peers":[]}"#.into(),
            r#"{"v":1,"peers":[],"extra":1}"#.into(),
            r#"{"v":1,"peers":{}}"#.into(),
            r#"{"v":1,"v":1,"peers":[]}"#.into(),
            record_with("\"<b>\"", &good_fp, "1", "true", ""),
            record_with("\"\"", &good_fp, "1", "true", ""),
            record_with("7", &good_fp, "1", "true", ""),
            record_with("\"peer-1\"", "\"sha-256\"", "1", "true", ""),
            record_with("\"peer-1\"", "\"sha-256 ZZ:01\"", "1", "true", ""),
            record_with("\"peer-1\"", &lower_fp, "1", "true", ""),
            record_with("\"peer-1\"", &long_fp, "1", "true", ""),
            record_with("\"peer-1\"", &good_fp, "-1", "true", ""),
            record_with("\"peer-1\"", &good_fp, "1e300", "true", ""),
            record_with("\"peer-1\"", &good_fp, "\"1\"", "true", ""),
            record_with("\"peer-1\"", &good_fp, "1", "1", ""),
            record_with(
                "\"peer-1\"",
                &good_fp,
                "1",
                "true",
                ",\"next\":null,\"x\":0",
            ),
            record_with("\"peer-1\"", &good_fp, "1", "true", ",\"next\":\"junk\""),
            record_with("\"peer-1\"", &good_fp, "1", "true", &next_same),
            record_with("\"peer-1\"", &good_fp, "1", "true", ",\"verified\":false"),
            format!(
                r#"{{"v":1,"peers":[{{"id":"a","fp":{good_fp},"seen":1,"verified":true}},{{"id":"a","fp":{good_fp},"seen":2,"verified":false}}]}}"#
            ),
            format!("{good}x"),
            "x".repeat(MAX_RECORD_BYTES + 1),
            "\u{0}".into(),
        ] {
            let shown: String = raw.chars().take(120).collect();
            assert_eq!(
                KnownPeers::from_json(&raw),
                Err(KnownPeersError::Damaged),
                "{shown}"
            );
        }
    }

    #[test]
    fn too_many_peers_are_refused() {
        let peer = format!(
            r#"{{"id":"p","fp":"{}","seen":1,"verified":false}}"#,
            fp(1).to_sdp_value()
        );
        let peers: Vec<String> = (0..=MAX_KNOWN_PEERS)
            .map(|i| peer.replace(r#""p""#, &format!(r#""p{i}""#)))
            .collect();
        let raw = format!(r#"{{"v":1,"peers":[{}]}}"#, peers.join(","));
        assert!(raw.len() < MAX_RECORD_BYTES);
        assert_eq!(KnownPeers::from_json(&raw), Err(KnownPeersError::Damaged));
    }

    #[test]
    fn broken_clocks_do_not_break_the_record() {
        let mut known = KnownPeers::new();
        known.record("peer-1", &fp(1), f64::NAN).unwrap();
        known.record("peer-2", &fp(2), f64::INFINITY).unwrap();
        known.record("peer-3", &fp(3), -5.0).unwrap();
        assert_eq!(KnownPeers::from_json(&known.to_json()), Ok(known));
    }

    #[test]
    fn renewal_schedule() {
        let expires = NOW + CERTIFICATE_LIFETIME_MS;
        assert_eq!(
            renewal(expires, NOW),
            Renewal::Keep {
                make_next_at_ms: expires - RENEW_WITHIN_MS
            }
        );
        assert_eq!(
            renewal(expires, expires - RENEW_WITHIN_MS - 1.0),
            Renewal::Keep {
                make_next_at_ms: expires - RENEW_WITHIN_MS
            }
        );
        for now in [expires - RENEW_WITHIN_MS, expires - 2.0 * DAY_MS] {
            assert_eq!(
                renewal(expires, now),
                Renewal::MakeNext {
                    switch_at_ms: expires - SWITCH_WITHIN_MS
                }
            );
        }
        for now in [
            expires - SWITCH_WITHIN_MS,
            expires,
            expires + 400.0 * DAY_MS,
        ] {
            assert_eq!(renewal(expires, now), Renewal::Switch);
        }
        // An unreadable expiry: make a new certificate. An unreadable clock: keep this one.
        assert_eq!(renewal(f64::NAN, NOW), Renewal::Switch);
        assert_eq!(renewal(f64::INFINITY, NOW), Renewal::Switch);
        assert!(matches!(renewal(expires, f64::NAN), Renewal::Keep { .. }));
        // A certificate the browser capped shorter than asked still gets its renewal window.
        let capped = NOW + 30.0 * DAY_MS;
        assert!(matches!(renewal(capped, NOW), Renewal::MakeNext { .. }));
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn fp(byte: u8) -> Fingerprint {
        Fingerprint {
            algorithm: "sha-256".into(),
            hex: vec![format!("{byte:02X}"); 32].join(":"),
        }
    }

    /// A table after some history of connections and user decisions.
    fn table(ops: &[(u8, u8, u8)]) -> KnownPeers {
        let mut known = KnownPeers::new();
        for (step, &(op, peer, byte)) in ops.iter().enumerate() {
            let id = format!("peer-{peer}");
            let now = 1.7e12 + step as f64;
            // Refusals are part of the history: they must leave the table as it was.
            let _ = match op {
                0 => known.record(&id, &fp(byte), now).map(|_| ()),
                1 => known.accept_change(&id, &fp(byte), now),
                2 => known.mark_verified(&id, &fp(byte)),
                3 => known.announce_next(&id, &fp(byte), fp(byte.wrapping_add(1))),
                4 => known.unmark_verified(&id),
                _ => {
                    known.forget(&id);
                    Ok(())
                }
            };
        }
        known
    }

    proptest! {
        #[test]
        fn any_history_is_stored_and_read_back(
            ops in prop::collection::vec((0u8..6, 0u8..4, 0u8..4), 0..60)
        ) {
            let known = table(&ops);
            prop_assert_eq!(KnownPeers::from_json(&known.to_json()), Ok(known));
        }

        #[test]
        fn arbitrary_text_is_refused_without_panic(raw in "\\PC{0,300}") {
            prop_assert!(KnownPeers::from_json(&raw).is_err());
        }

        #[test]
        fn a_damaged_record_is_refused_or_read_as_written(
            ops in prop::collection::vec((0u8..6, 0u8..4, 0u8..4), 1..20),
            at in any::<prop::sample::Index>(),
            replacement in prop::sample::select(b"\"{}[]:,0123456789.-eE tfnulxA\\".to_vec()),
        ) {
            let mut raw = table(&ops).to_json().into_bytes();
            let position = at.index(raw.len());
            raw[position] = replacement;
            let raw = String::from_utf8_lossy(&raw);
            // Whatever it reads, it must be able to write back exactly as read.
            if let Ok(read) = KnownPeers::from_json(&raw) {
                prop_assert_eq!(KnownPeers::from_json(&read.to_json()), Ok(read));
            }
        }
    }
}
