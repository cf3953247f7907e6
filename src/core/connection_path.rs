//! How a live connection runs, from the browser's `getStats()`: directly between the two devices,
//! or through a TURN relay, and the round-trip time of that path.
//!
//! The browser glue copies the few fields needed out of the stats report; choosing the pair in
//! use and wording it is decided here.

use crate::core::ice_servers::IceServerUrl;

/// One ICE candidate pair as `getStats()` reports it (`type: "candidate-pair"`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PairStats {
    pub id: String,
    pub local_candidate_id: String,
    pub remote_candidate_id: String,
    pub nominated: bool,
    pub succeeded: bool,
    /// `currentRoundTripTime`, in seconds.
    pub round_trip_s: Option<f64>,
}

/// One ICE candidate (`type: "local-candidate"` or `"remote-candidate"`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CandidateStats {
    pub id: String,
    /// `candidateType`: host, srflx, prflx or relay.
    pub candidate_type: String,
    pub address: Option<String>,
    /// `url`: for a local relay candidate, the TURN server it came from.
    pub url: Option<String>,
}

/// What `getStats()` said, reduced to what the path needs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatsSnapshot {
    /// `selectedCandidatePairId` of the transport, where the browser reports it (Chromium).
    pub selected_pair_id: Option<String>,
    pub pairs: Vec<PairStats>,
    pub candidates: Vec<CandidateStats>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// Straight between the two devices (host, server-reflexive or peer-reflexive candidates).
    Direct,
    /// Through a TURN relay, named by host.
    Relay { server: String },
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConnectionPath {
    pub route: Route,
    pub round_trip_ms: Option<f64>,
}

impl ConnectionPath {
    /// "Direct · round trip 12 ms" or "Through a relay: turn.example.org · round trip 40 ms".
    pub fn label(&self) -> String {
        let route = match &self.route {
            Route::Direct => "Direct".to_owned(),
            Route::Relay { server } => format!("Through a relay: {server}"),
        };
        match self.round_trip_ms {
            Some(ms) if ms.is_finite() && ms >= 0.0 => {
                // Rounded to an integer first: float formatting costs the wasm kilobytes.
                let whole_ms = ms.max(1.0).round() as u64;
                format!("{route} · round trip {whole_ms} ms")
            }
            _ => route,
        }
    }

    pub fn is_relayed(&self) -> bool {
        matches!(self.route, Route::Relay { .. })
    }
}

impl StatsSnapshot {
    /// The pair in use: the transport's selected pair, else (Firefox) a nominated pair that
    /// succeeded. `None` before ICE has chosen.
    fn selected_pair(&self) -> Option<&PairStats> {
        let by_id = self
            .selected_pair_id
            .as_ref()
            .and_then(|id| self.pairs.iter().find(|pair| &pair.id == id));
        by_id.or_else(|| {
            self.pairs
                .iter()
                .find(|pair| pair.nominated && pair.succeeded)
        })
    }

    fn candidate(&self, id: &str) -> Option<&CandidateStats> {
        self.candidates.iter().find(|candidate| candidate.id == id)
    }

    pub fn path(&self) -> Option<ConnectionPath> {
        let pair = self.selected_pair()?;
        let local = self.candidate(&pair.local_candidate_id)?;
        let remote = self.candidate(&pair.remote_candidate_id)?;
        let route = if local.candidate_type == "relay" {
            // Our own relay: name the server as configured; the relayed address otherwise.
            let server = local
                .url
                .as_deref()
                .and_then(|url| IceServerUrl::parse(url).ok())
                .map(|url| url.host)
                .or_else(|| local.address.clone())
                .unwrap_or_else(|| "unknown".to_owned());
            Route::Relay { server }
        } else if remote.candidate_type == "relay" {
            // Only the other side relays: its relay's address is all we know of it.
            Route::Relay {
                server: remote
                    .address
                    .clone()
                    .unwrap_or_else(|| "unknown".to_owned()),
            }
        } else {
            Route::Direct
        };
        Some(ConnectionPath {
            route,
            round_trip_ms: pair.round_trip_s.map(|s| s * 1000.0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: &str, kind: &str, address: &str, url: Option<&str>) -> CandidateStats {
        CandidateStats {
            id: id.to_owned(),
            candidate_type: kind.to_owned(),
            address: Some(address.to_owned()),
            url: url.map(str::to_owned),
        }
    }

    fn pair(id: &str, local: &str, remote: &str, rtt: Option<f64>) -> PairStats {
        PairStats {
            id: id.to_owned(),
            local_candidate_id: local.to_owned(),
            remote_candidate_id: remote.to_owned(),
            nominated: true,
            succeeded: true,
            round_trip_s: rtt,
        }
    }

    fn snapshot(selected: Option<&str>) -> StatsSnapshot {
        StatsSnapshot {
            selected_pair_id: selected.map(str::to_owned),
            pairs: vec![
                pair("P1", "L1", "R1", Some(0.0123)),
                pair("P2", "L2", "R1", Some(0.0402)),
                pair("P3", "L1", "R2", None),
            ],
            candidates: vec![
                candidate("L1", "srflx", "203.0.113.11", Some("stun:203.0.113.1:3478")),
                candidate(
                    "L2",
                    "relay",
                    "203.0.113.1",
                    Some("turn:turn.example.org:3478?transport=udp"),
                ),
                candidate("R1", "srflx", "203.0.113.12", None),
                candidate("R2", "relay", "198.51.100.7", None),
            ],
        }
    }

    #[test]
    fn direct_path_with_round_trip() {
        let path = snapshot(Some("P1")).path().unwrap();
        assert_eq!(path.route, Route::Direct);
        assert_eq!(path.label(), "Direct · round trip 12 ms");
        assert!(!path.is_relayed());
    }

    #[test]
    fn own_relay_is_named_by_its_configured_host() {
        let path = snapshot(Some("P2")).path().unwrap();
        assert_eq!(
            path.label(),
            "Through a relay: turn.example.org · round trip 40 ms"
        );
    }

    #[test]
    fn the_peers_relay_is_named_by_its_address() {
        assert_eq!(
            snapshot(Some("P3")).path().unwrap().label(),
            "Through a relay: 198.51.100.7"
        );
    }

    #[test]
    fn without_a_selected_id_a_nominated_succeeded_pair_counts() {
        let mut stats = snapshot(None);
        stats.pairs[0].nominated = false;
        assert_eq!(
            stats.path().unwrap().route,
            Route::Relay {
                server: "turn.example.org".to_owned()
            }
        );
        stats.pairs.iter_mut().for_each(|p| p.succeeded = false);
        assert_eq!(stats.path(), None);
    }

    #[test]
    fn unknown_ids_give_no_path() {
        assert_eq!(
            snapshot(Some("nope")).path().map(|p| p.route),
            Some(Route::Direct)
        );
        let mut stats = snapshot(Some("P1"));
        stats.candidates.clear();
        assert_eq!(stats.path(), None);
    }
}
