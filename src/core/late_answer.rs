//! Keeping an answer usable while the inviter takes minutes to open it.
//!
//! Across two NAT routers, the invitee's browser starts its connectivity checks as soon as it has
//! made the answer, but the inviter's router drops them until the inviter applies the answer and
//! sends checks of its own. After about 15 s the invitee's ICE agent stops checking (Chromium
//! reports `disconnected`, measured in the NAT lab at 14.9 s, and never retries by itself); its
//! router then forgets the outgoing flows within 30 s, so the inviter's checks, when they finally
//! come, are dropped too. People send links back in minutes.
//!
//! So while it waits, the invitee *knocks*: it adds the inviter's candidates again under a new
//! foundation. A browser treats a candidate with a new foundation as new and pairs it with its
//! own candidates, which sends a fresh round of checks and keeps its own router open towards the
//! inviter. Once the inviter applies the answer its checks come through that opening, and the
//! connection comes up at once, with the same ICE credentials and DTLS fingerprint the links
//! carried. Measured in the NAT lab with plain pages: an answer applied 120 s late connected in
//! 31 ms (inviter) / 440 ms (invitee) with a knock every 12 s, and never without knocks. The
//! browser prunes the pairs of old knocks, so their number stays small.

/// How long an answer link stays usable; the invitee gives up after this.
pub const ANSWER_VALID_MS: f64 = 30.0 * 60_000.0;

// People send links back in minutes: at least ten of them.
const _: () = assert!(ANSWER_VALID_MS >= 10.0 * 60_000.0);

/// How often the invitee knocks while it has no path. A router forgets an unanswered UDP flow
/// after about 30 s (Linux's conntrack default; home routers are alike or longer), so knocks
/// this often keep the invitee's router open the whole time, and the inviter's checks get in as
/// soon as it applies the answer, well within its own connect deadline.
pub const KNOCK_EVERY_MS: i32 = 8_000;
// The inviter waits 15 s after applying the answer, and a router keeps a flow ~30 s.
const _: () = assert!(KNOCK_EVERY_MS < 15_000);

/// The remote candidates of `remote_sdp`, renamed for knock number `round`: each `a=candidate:`
/// line as a candidate attribute (`candidate:…`) with its foundation suffixed. mDNS host names
/// (`….local`) are left out: they never resolve across networks, and a knock is only needed
/// across networks.
pub fn knock_candidates(remote_sdp: &str, round: u32) -> Vec<String> {
    remote_sdp
        .lines()
        .filter_map(|line| line.trim_end().strip_prefix("a=candidate:"))
        .filter_map(|attribute| {
            let (foundation, rest) = attribute.split_once(' ')?;
            let address = rest.split(' ').nth(3)?;
            if address.ends_with(".local") {
                return None;
            }
            // Foundations are at most 32 ice-chars (RFC 8839); ours stay well within that.
            let base: String = foundation.chars().take(20).collect();
            Some(format!("candidate:{base}k{round} {rest}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REMOTE: &str = "v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n\
        a=candidate:1 1 udp 2122260223 a6989988-6243-4675-8aa6-d757ccd18f0f.local 43894 typ host\r\n\
        a=candidate:2 1 udp 1686052607 203.0.113.11 43894 typ srflx raddr 0.0.0.0 rport 0\r\n\
        a=candidate:3 1 udp 41885439 203.0.113.1 49568 typ relay raddr 203.0.113.11 rport 43894\r\n\
        a=ice-ufrag:OTzY\r\n";

    #[test]
    fn renames_every_routable_candidate() {
        assert_eq!(
            knock_candidates(REMOTE, 7),
            [
                "candidate:2k7 1 udp 1686052607 203.0.113.11 43894 typ srflx raddr 0.0.0.0 rport 0",
                "candidate:3k7 1 udp 41885439 203.0.113.1 49568 typ relay raddr 203.0.113.11 rport 43894",
            ]
        );
    }

    #[test]
    fn each_round_is_new() {
        assert_ne!(knock_candidates(REMOTE, 1), knock_candidates(REMOTE, 2));
    }

    #[test]
    fn long_foundations_stay_valid_and_junk_is_skipped() {
        let sdp = format!(
            "a=candidate:{} 1 udp 1 10.0.0.1 9 typ host\r\na=candidate:\r\na=candidate:x\r\n",
            "f".repeat(32)
        );
        let knocks = knock_candidates(&sdp, 4_000_000_000);
        assert_eq!(knocks.len(), 1);
        let foundation = knocks[0]
            .split(' ')
            .next()
            .unwrap()
            .trim_start_matches("candidate:");
        assert!(foundation.len() <= 32, "{foundation}");
    }
}
