//! When to stop waiting for ICE candidates.
//!
//! No trickle channel exists: every candidate must be inside the link, so the link waits for
//! gathering. But a STUN server that never answers keeps Chromium gathering for ~40 s. Host
//! candidates arrive within milliseconds and a reachable STUN server answers within a few hundred,
//! so after a short grace period we take what we have.

/// Decision after looking at the gathering progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GatheringVerdict {
    KeepWaiting,
    /// Use the candidates in the local description now.
    Ready,
    /// Nothing usable came, and waiting longer will not help.
    NoCandidates,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GatheringPolicy {
    /// After this, any candidate at all is good enough.
    pub grace_ms: f64,
    /// After this, give up waiting even for the first candidate.
    pub give_up_ms: f64,
    /// Before this, "complete" without candidates is not believed: right after an ICE restart the
    /// browser still reports the previous round's state for a moment.
    pub settle_ms: f64,
}

impl Default for GatheringPolicy {
    fn default() -> Self {
        // 900 ms: reachable public STUN servers answer well within it; the user still sees a link in
        // about a second when one does not answer.
        Self {
            grace_ms: 900.0,
            give_up_ms: 10_000.0,
            settle_ms: 300.0,
        }
    }
}

impl GatheringPolicy {
    pub fn verdict(&self, elapsed_ms: f64, candidates: usize, complete: bool) -> GatheringVerdict {
        match (complete, candidates) {
            (true, 0) if elapsed_ms < self.settle_ms => GatheringVerdict::KeepWaiting,
            (true, 0) => GatheringVerdict::NoCandidates,
            (true, _) => GatheringVerdict::Ready,
            (false, 0) if elapsed_ms >= self.give_up_ms => GatheringVerdict::NoCandidates,
            (false, n) if n > 0 && elapsed_ms >= self.grace_ms => GatheringVerdict::Ready,
            _ => GatheringVerdict::KeepWaiting,
        }
    }
}

/// Counts `a=candidate:` lines: what a link made from this SDP would carry.
pub fn count_candidates(sdp: &str) -> usize {
    sdp.lines()
        .filter(|line| line.trim_start().starts_with("a=candidate:"))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use GatheringVerdict::*;

    #[test]
    fn complete_gathering_is_ready_at_once() {
        let policy = GatheringPolicy::default();
        assert_eq!(policy.verdict(5.0, 2, true), Ready);
        assert_eq!(policy.verdict(400.0, 0, true), NoCandidates);
    }

    #[test]
    fn a_stale_complete_state_is_not_believed_at_once() {
        let policy = GatheringPolicy::default();
        assert_eq!(policy.verdict(5.0, 0, true), KeepWaiting);
    }

    #[test]
    fn a_silent_stun_server_costs_only_the_grace_period() {
        let policy = GatheringPolicy::default();
        assert_eq!(policy.verdict(100.0, 2, false), KeepWaiting);
        assert_eq!(policy.verdict(899.0, 2, false), KeepWaiting);
        assert_eq!(policy.verdict(900.0, 2, false), Ready);
    }

    #[test]
    fn without_any_candidate_it_waits_then_gives_up() {
        let policy = GatheringPolicy::default();
        assert_eq!(policy.verdict(5_000.0, 0, false), KeepWaiting);
        assert_eq!(policy.verdict(10_000.0, 0, false), NoCandidates);
    }

    #[test]
    fn counts_candidate_lines() {
        let sdp = "v=0\r\na=candidate:1 1 udp 1 a.local 1 typ host\r\na=candidate:2 1 udp 1 b.local 2 typ host\r\na=mid:0\r\n";
        assert_eq!(count_candidates(sdp), 2);
        assert_eq!(count_candidates(""), 0);
    }
}
