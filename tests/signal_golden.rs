// proptest needs getrandom, which has no wasm32-unknown-unknown backend: these run on the host.
#![cfg(not(target_arch = "wasm32"))]

//! Golden and property tests of the invite/answer code (`tincan::core::signal`), on real browser
//! SDPs (tests/fixtures/sdp, captured from Chromium 156 and Firefox ESR 153, on loopback and in the
//! NAT lab) and hand-written ones.

use proptest::prelude::*;
use tincan::core::signal::sdp::SessionFacts;
use tincan::core::signal::{decode, encode, CodeError, InviteId, Signal, SignalKind};

const FIXTURES: [(&str, &str); 21] = [
    (
        "chromium-offer",
        include_str!("fixtures/sdp/chromium-offer.sdp"),
    ),
    (
        "chromium2-offer",
        include_str!("fixtures/sdp/chromium2-offer.sdp"),
    ),
    (
        "chromium-answer-to-chromium2",
        include_str!("fixtures/sdp/chromium-answer-to-chromium2.sdp"),
    ),
    (
        "chromium-answer-to-firefox",
        include_str!("fixtures/sdp/chromium-answer-to-firefox.sdp"),
    ),
    (
        "firefox-offer",
        include_str!("fixtures/sdp/firefox-offer.sdp"),
    ),
    (
        "firefox-answer-to-chromium",
        include_str!("fixtures/sdp/firefox-answer-to-chromium.sdp"),
    ),
    // Real networks: the default candidate's port on m= and its address on c=.
    (
        "natlab-chromium-stun-cone-offer",
        include_str!("fixtures/sdp/natlab-chromium-stun-cone-offer.sdp"),
    ),
    (
        "natlab-chromium-stun-cone-answer",
        include_str!("fixtures/sdp/natlab-chromium-stun-cone-answer.sdp"),
    ),
    (
        "natlab-chromium-turn-symmetric-offer",
        include_str!("fixtures/sdp/natlab-chromium-turn-symmetric-offer.sdp"),
    ),
    (
        "natlab-chromium-turn-symmetric-answer",
        include_str!("fixtures/sdp/natlab-chromium-turn-symmetric-answer.sdp"),
    ),
    (
        "natlab-chromium-relay-only-offer",
        include_str!("fixtures/sdp/natlab-chromium-relay-only-offer.sdp"),
    ),
    (
        "natlab-chromium-relay-only-answer",
        include_str!("fixtures/sdp/natlab-chromium-relay-only-answer.sdp"),
    ),
    // The same three networks with Firefox ESR, and Chromium's answers to it (this branch's
    // captures; Firefox names a relay itself as its related address).
    (
        "natlab-firefox-stun-cone-offer",
        include_str!("fixtures/sdp/natlab-firefox-stun-cone-offer.sdp"),
    ),
    (
        "natlab-firefox-stun-cone-answer",
        include_str!("fixtures/sdp/natlab-firefox-stun-cone-answer.sdp"),
    ),
    (
        "natlab-chromium-stun-cone-answer-to-firefox",
        include_str!("fixtures/sdp/natlab-chromium-stun-cone-answer-to-firefox.sdp"),
    ),
    (
        "natlab-firefox-turn-symmetric-offer",
        include_str!("fixtures/sdp/natlab-firefox-turn-symmetric-offer.sdp"),
    ),
    (
        "natlab-firefox-turn-symmetric-answer",
        include_str!("fixtures/sdp/natlab-firefox-turn-symmetric-answer.sdp"),
    ),
    (
        "natlab-chromium-turn-symmetric-answer-to-firefox",
        include_str!("fixtures/sdp/natlab-chromium-turn-symmetric-answer-to-firefox.sdp"),
    ),
    (
        "natlab-firefox-relay-only-offer",
        include_str!("fixtures/sdp/natlab-firefox-relay-only-offer.sdp"),
    ),
    (
        "natlab-firefox-relay-only-answer",
        include_str!("fixtures/sdp/natlab-firefox-relay-only-answer.sdp"),
    ),
    (
        "natlab-chromium-relay-only-answer-to-firefox",
        include_str!("fixtures/sdp/natlab-chromium-relay-only-answer-to-firefox.sdp"),
    ),
];

/// The tag of the compact form `encode` writes.
const COMPACT: char = 'D';

const INVITE_ID: InviteId = InviteId([0x8e, 0x13, 0x5a, 0x02, 0xc4, 0x77, 0x19, 0xd0]);

fn signal_for(name: &str, sdp: &str) -> Signal {
    let kind = if name.contains("answer") {
        SignalKind::Answer
    } else {
        SignalKind::Invite
    };
    Signal {
        kind,
        invite_id: INVITE_ID,
        sdp: sdp.to_owned(),
    }
}

fn lz_len(sdp: &str) -> usize {
    lz_str::compress_to_encoded_uri_component(sdp).len()
}

/// The facts a data channel needs, read with plain string splitting — independent of the codec's
/// own parser, so a shared parser bug cannot hide a lost fact.
#[derive(Debug, PartialEq, Eq)]
struct PlainFacts {
    ufrag: String,
    pwd: String,
    fingerprint: String,
    setup: String,
    /// (lowercase transport, address, port, type, raddr/rport, tcptype), sorted.
    candidates: Vec<(String, String, String, String, String, String)>,
}

fn plain_facts(sdp: &str) -> PlainFacts {
    let value = |prefix: &str| {
        let mut found = sdp
            .lines()
            .filter_map(|line| line.trim_end().strip_prefix(prefix));
        let first = found
            .next()
            .unwrap_or_else(|| panic!("no {prefix} in {sdp}"))
            .to_owned();
        assert!(found.next().is_none(), "two {prefix} lines");
        first
    };
    let mut candidates: Vec<_> = sdp
        .lines()
        .filter_map(|line| line.trim_end().strip_prefix("a=candidate:"))
        .map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let after = |name: &str| {
                fields
                    .iter()
                    .skip(6)
                    .position(|f| *f == name)
                    .map_or(String::new(), |i| fields[6 + i + 1].to_owned())
            };
            (
                fields[2].to_ascii_lowercase(),
                fields[4].to_owned(),
                fields[5].to_owned(),
                after("typ"),
                format!("{}/{}", after("raddr"), after("rport")),
                after("tcptype"),
            )
        })
        .collect();
    candidates.sort();
    PlainFacts {
        ufrag: value("a=ice-ufrag:"),
        pwd: value("a=ice-pwd:"),
        fingerprint: value("a=fingerprint:").to_ascii_uppercase(),
        setup: value("a=setup:"),
        candidates,
    }
}

/// `plain_facts` of what the compact form keeps of `sdp`: all of it, except that in a relay-only
/// SDP related addresses that name no relay are hidden
/// (`SessionFacts::hide_related_addresses_when_relay_only`).
fn kept_facts(sdp: &str) -> PlainFacts {
    let mut facts = plain_facts(sdp);
    let relay_only =
        !facts.candidates.is_empty() && facts.candidates.iter().all(|c| c.3 == "relay");
    if relay_only {
        let relays: Vec<String> = facts.candidates.iter().map(|c| c.1.clone()).collect();
        for candidate in &mut facts.candidates {
            let names_a_relay = candidate
                .4
                .split_once('/')
                .is_some_and(|(address, _)| relays.iter().any(|relay| relay == address));
            if !names_a_relay && !["/", "0.0.0.0/0", "::/0"].contains(&candidate.4.as_str()) {
                let ipv6 = candidate.1.parse::<std::net::Ipv6Addr>().is_ok();
                candidate.4 = if ipv6 { "::/0" } else { "0.0.0.0/0" }.to_owned();
            }
        }
        facts.candidates.sort();
    }
    facts
}

fn assert_error_kind_is_plausible(result: &Result<Signal, CodeError>, input: &str) {
    match result {
        Ok(_) | Err(CodeError::Damaged | CodeError::Truncated | CodeError::UnknownVersion) => {}
        Err(CodeError::Empty) if input.trim().is_empty() => {}
        Err(other) => panic!("{input:?} gave {other:?}"),
    }
}

#[test]
fn fixtures_are_compact_and_keep_their_facts() {
    for (name, sdp) in FIXTURES {
        let signal = signal_for(name, sdp);
        let code = encode(&signal);
        assert!(code.starts_with(COMPACT), "{name} fell back: {code}");
        let decoded = decode(&code).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(decoded.kind, signal.kind);
        assert_eq!(decoded.invite_id, signal.invite_id);
        assert_eq!(plain_facts(&decoded.sdp), plain_facts(sdp), "{name}");
        assert_eq!(
            SessionFacts::parse(&decoded.sdp),
            SessionFacts::parse(sdp),
            "{name}"
        );
        // Re-encoding the rebuilt SDP gives the same code: the rebuild is a fixed point.
        assert_eq!(encode(&decoded), code, "{name}");
    }
}

#[test]
fn fixture_codes_meet_the_size_target() {
    for (name, sdp) in FIXTURES {
        let code = encode(&signal_for(name, sdp));
        let lz = lz_len(sdp);
        assert!(code.len() * 5 <= lz, "{name}: {} > 0.2 × {lz}", code.len());
        // Issue #14's limits for real networks: one host + one srflx, + a relay, relay only.
        let limit = match name {
            n if n.starts_with("chromium") => 159,
            n if n.contains("stun-cone") => 160,
            n if n.contains("turn-symmetric") => 200,
            n if n.contains("relay-only") => 110,
            _ => continue,
        };
        assert!(
            code.len() <= limit,
            "{name}: {} > {limit} chars",
            code.len()
        );
    }
}

/// Codes the first compact version (`C`) wrote, for SDPs it could carry: links people already
/// sent must keep opening. Made with the version before `D`, for `INVITE_ID`.
const LANDED_C_CODES: [(&str, &str); 3] = [
    (
        "chromium-offer",
        "CZKj_PUcJrQFiO4zoAHFQIxQGYzeL1UdtzX8kjeo5n_rzEtlkz3OWN8X2MwdzpZa6J93WwIlhe1mAkqMa2bvDWSr54Ah04AyDfmWjhS6V9o8Rbs57I8hOvzAdMSPaN9ah8FtWx5YcEvA",
    ),
    (
        "firefox-answer-to-chromium",
        "CZialDscJrQFiO4zoNKT-04nTixtnESv-u1NnpOeoemASMLjWBNSffuT3MdNU0bhG5dlh4InMGqw5FIlKKplr21syaEtsh4k2fPvb_j-RbG_F2VsdaGwAJ2VTLltE2OaJJYopjHkQXAcDAA",
    ),
    (
        "hand-written",
        "CmQF0a-jHCa0BYjuM6EABv78mmu2_HPXfnrTbjrz8EMUcks09FIACJEZoiqzO8RM1V3mbvd_gAiRGaIqszvETNVd5m73f4IsCoARTUMcGhssPUAAAAAAAAAAAAAAA1ZYA4hInEM2WAOIP3JEGoYzhAAhtx__4AAAAAAAAAAAAP3JNgAAAAAAAAAAAAAAAAAAAAAAAF2MZsgGGy0PuSAA",
    ),
];

/// The hand-written SDP of `LANDED_C_CODES`: srflx with a real and with a hidden IPv6 related
/// address, a relay related to the srflx, prflx, TCP active on an mDNS name.
fn landed_hand_written() -> String {
    hand_written(&[
        "1 1 udp 2122260223 192.168.1.20 54321 typ host",
        "2 1 udp 1686052607 203.0.113.7 61000 typ srflx raddr 192.168.1.20 rport 54321",
        "3 1 udp 1686052606 2001:db8:ffff::7 61001 typ srflx raddr :: rport 0",
        "4 1 udp 41885439 198.51.100.3 3478 typ relay raddr 203.0.113.7 rport 61000",
        "5 1 udp 1845501695 203.0.113.9 5000 typ prflx raddr 0.0.0.0 rport 0",
        "6 1 tcp 1518280447 a1b2c3d4-0000-4000-8000-000000000000.local 9 typ host tcptype active",
    ])
}

#[test]
fn links_of_the_first_compact_version_still_open() {
    for (name, code) in LANDED_C_CODES {
        let sdp = match name {
            "hand-written" => landed_hand_written(),
            _ => FIXTURES
                .iter()
                .find(|(fixture, _)| *fixture == name)
                .map(|(_, sdp)| (*sdp).to_owned())
                .unwrap_or_else(|| panic!("no fixture {name}")),
        };
        let decoded = decode(code).unwrap_or_else(|e| panic!("{name}: {e}"));
        let kind = if name.contains("offer") {
            SignalKind::Invite
        } else {
            SignalKind::Answer
        };
        assert_eq!(
            (decoded.kind, decoded.invite_id),
            (kind, INVITE_ID),
            "{name}"
        );
        assert_eq!(plain_facts(&decoded.sdp), plain_facts(&sdp), "{name}");
        // Today's code for the same signal is `D`, and rebuilds the very same SDP.
        let today = encode(&signal_for(name, &sdp));
        assert!(
            today.starts_with(COMPACT) && today.len() <= code.len(),
            "{name}: {today}"
        );
        assert_eq!(decode(&today).map(|s| s.sdp), Ok(decoded.sdp), "{name}");
        // Cut or changed, an old code says so as before.
        assert_eq!(decode(&code[..code.len() - 1]), Err(CodeError::Truncated));
        let changed = format!(
            "{}{}",
            &code[..20],
            if &code[20..21] == "A" { "B" } else { "A" }
        );
        assert_eq!(
            decode(&format!("{changed}{}", &code[21..])),
            Err(CodeError::Damaged)
        );
    }
}

/// Every IPv4 and IPv6 address written in `sdp`, in any line.
fn addresses_in(sdp: &str) -> Vec<String> {
    sdp.split([' ', '\r', '\n'])
        .filter(|token| {
            token.parse::<std::net::Ipv4Addr>().is_ok()
                || token.parse::<std::net::Ipv6Addr>().is_ok()
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn relay_only_links_reveal_no_host_or_nat_address() {
    // The NAT lab's relay-only SDPs (Chromium: raddr 0.0.0.0; Firefox: the relay itself), and a
    // relay-only SDP of a browser that names its NAT's and its own address as related addresses.
    let named = hand_written(&[
        "1 1 udp 41885439 198.51.100.3 50000 typ relay raddr 203.0.113.7 rport 61000",
        "2 1 udp 25108223 198.51.100.3 50001 typ relay raddr 192.168.1.20 rport 54321",
        "3 1 udp 8331263 2001:db8:100::3 50002 typ relay raddr 2001:db8::20 rport 54322",
    ])
    .replace("m=application 9 ", "m=application 50000 ")
    .replace("c=IN IP4 0.0.0.0", "c=IN IP4 198.51.100.3");
    let lab_relay = vec!["203.0.113.1".to_owned()];
    let mut relay_only: Vec<(String, Vec<String>)> = FIXTURES
        .iter()
        .filter(|(name, _)| name.contains("relay-only"))
        .map(|(_, sdp)| ((*sdp).to_owned(), lab_relay.clone()))
        .collect();
    assert_eq!(relay_only.len(), 5);
    relay_only.push((
        named,
        vec!["198.51.100.3".to_owned(), "2001:db8:100::3".to_owned()],
    ));
    for (sdp, relays) in relay_only {
        let code = encode(&signal_for("answer", &sdp));
        assert!(code.starts_with(COMPACT), "{sdp}");
        let rebuilt = decode(&format!("https://someone.github.io/tincan/#{code}"))
            .expect("decodes")
            .sdp;
        assert!(!rebuilt.contains(".local"), "{rebuilt}");
        assert!(!rebuilt.contains("typ host") && !rebuilt.contains("typ srflx"));
        for address in addresses_in(&rebuilt) {
            // The relays, and the rebuild's own placeholders: o= and c=, and hidden raddrs.
            let allowed = relays.contains(&address)
                || ["127.0.0.1", "0.0.0.0", "::"].contains(&address.as_str());
            assert!(allowed, "{address} is in the link:\n{rebuilt}");
        }
        for relay in &relays {
            assert!(rebuilt.contains(&format!(" {relay} ")), "{relay} lost");
        }
    }
}

#[test]
fn rebuilt_sdp_has_the_canonical_shape() {
    let code = encode(&signal_for("firefox-offer", FIXTURES[4].1));
    let sdp = decode(&code).expect("decodes").sdp;
    let expected_prefix = "v=0\r\no=- 5118812672937921768 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n\
                           a=msid-semantic: WMS\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n";
    assert!(sdp.starts_with(expected_prefix), "{sdp}");
    assert!(sdp.ends_with(
        "a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:1073741823\r\n"
    ));
    assert!(sdp.contains("\r\na=end-of-candidates\r\n"));
    assert!(sdp.contains(" 9 typ host tcptype active\r\n"));
    assert_eq!(sdp.matches("a=candidate:").count(), 4);
}

#[test]
fn every_proper_prefix_is_cut_off() {
    for (name, sdp) in FIXTURES {
        let code = encode(&signal_for(name, sdp));
        for cut in 1..code.len() {
            assert_eq!(
                decode(&code[..cut]),
                Err(CodeError::Truncated),
                "{name} cut at {cut}"
            );
        }
        let link = format!("https://example.github.io/tincan/#{code}");
        for cut in 1..link.len() {
            assert!(decode(&link[..cut]).is_err(), "{name} link cut at {cut}");
        }
    }
}

#[test]
fn every_single_character_change_is_caught() {
    let alphabet: Vec<char> = ('A'..='Z')
        .chain('a'..='z')
        .chain('0'..='9')
        .chain("-_+$%. é#".chars())
        .collect();
    let mut decoded_ok = 0;
    for (name, sdp) in FIXTURES {
        let code = encode(&signal_for(name, sdp));
        let chars: Vec<char> = code.chars().collect();
        for position in 0..chars.len() {
            for &replacement in &alphabet {
                if replacement == chars[position] {
                    continue;
                }
                let mut changed = chars.clone();
                changed[position] = replacement;
                let changed: String = changed.into_iter().collect();
                let result = decode(&changed);
                assert_error_kind_is_plausible(&result, &changed);
                decoded_ok += usize::from(result.is_ok());
            }
        }
    }
    // A 24-bit check lets about 1 in 16 million changes through; none of these ~60 000 may pass.
    assert_eq!(decoded_ok, 0);
}

#[test]
fn errors_say_what_happened() {
    let code = encode(&signal_for("chromium-offer", FIXTURES[0].1));
    let cut = decode(&code[..code.len() - 3]).expect_err("cut");
    assert!(cut.to_string().contains("cut off"));
    let mut damaged: Vec<char> = code.chars().collect();
    damaged[40] = if damaged[40] == 'x' { 'y' } else { 'x' };
    let damaged = decode(&damaged.into_iter().collect::<String>()).expect_err("damaged");
    assert!(damaged.to_string().contains("damaged"));
    let newer = decode(&format!("E{}", &code[1..])).expect_err("newer");
    assert!(newer.to_string().contains("newer version"));
}

const HAND_WRITTEN_HEAD: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\na=msid-semantic: WMS\r\n\
                                 m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n";
const HAND_WRITTEN_TAIL: &str = "a=ice-ufrag:Ab+/\r\na=ice-pwd:0123456789abcdefghijklmnop\r\na=ice-options:trickle\r\n\
                                 a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n\
                                 a=setup:passive\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";

fn hand_written(candidates: &[&str]) -> String {
    let lines: String = candidates
        .iter()
        .map(|c| format!("a=candidate:{c}\r\n"))
        .collect();
    format!("{HAND_WRITTEN_HEAD}{lines}{HAND_WRITTEN_TAIL}")
}

#[test]
fn hand_written_candidates_stay_compact_and_exact() {
    let cases: &[&[&str]] = &[
        // srflx with raddr/rport, the mDNS-privacy raddr, relay, prflx.
        &[
            "1 1 udp 2122260223 192.168.1.20 54321 typ host",
            "2 1 udp 1686052607 203.0.113.7 61000 typ srflx raddr 192.168.1.20 rport 54321",
            "3 1 udp 1686052606 203.0.113.7 61001 typ srflx raddr 0.0.0.0 rport 0",
            "4 1 udp 41885439 198.51.100.3 3478 typ relay raddr 203.0.113.7 rport 61000",
            "5 1 udp 1845501695 203.0.113.9 5000 typ prflx raddr 10.0.0.2 rport 7",
        ],
        // IPv6, including the unspecified related address.
        &[
            "1 1 udp 2122262783 2001:db8::1 50000 typ host",
            "2 1 udp 1686055167 2001:db8:ffff::7 50001 typ srflx raddr :: rport 0",
            "3 1 udp 1686055166 2001:db8:ffff::8 50002 typ srflx raddr 2001:db8::1 rport 50000",
        ],
        // TCP in every RFC 6544 role, plus a TCP candidate with no tcptype.
        &[
            "1 1 tcp 1518280447 192.168.1.20 9 typ host tcptype active",
            "2 1 tcp 1518280446 192.168.1.20 50100 typ host tcptype passive",
            "3 1 tcp 1518280445 192.168.1.20 50101 typ host tcptype so",
            "4 1 TCP 1518280444 192.168.1.21 50102 typ host",
            "5 1 tcp 1518280443 192.168.1.21 9 typ host tcptype passive",
        ],
        // Hostnames, a non-v4 mDNS UUID, an upper-case UUID (kept as a name), component 2,
        // and Chromium's per-candidate extensions.
        &[
            "1 1 udp 2122260223 peer.example 40000 typ host generation 0 network-id 1 network-cost 10",
            "2 2 udp 2122260222 peer.example 40001 typ host",
            "3 1 udp 2122260221 01234567-89ab-1def-0123-456789abcdef.local 40002 typ host ufrag Ab+/",
            "4 1 udp 2122260220 01234567-89AB-4DEF-8123-456789ABCDEF.local 40003 typ host",
        ],
        // No candidates at all.
        &[],
    ];
    for candidates in cases {
        let sdp = hand_written(candidates);
        let signal = Signal {
            kind: SignalKind::Answer,
            invite_id: INVITE_ID,
            sdp: sdp.clone(),
        };
        let code = encode(&signal);
        assert!(code.starts_with(COMPACT), "fell back for {candidates:?}");
        let decoded = decode(&code).expect("decodes");
        assert_eq!(
            plain_facts(&decoded.sdp),
            plain_facts(&sdp),
            "{candidates:?}"
        );
        // Short IPv4 SDPs compress better with lz-string than the browsers' mDNS ones; the 0.2x
        // target is for those (see the fixture test), here half is plenty.
        assert!(
            code.len() * 2 <= lz_len(&sdp),
            "{} vs lz {}",
            code.len(),
            lz_len(&sdp)
        );
    }
}

#[test]
fn non_default_session_values_survive() {
    let sdp = hand_written(&["1 1 udp 2122260223 10.1.2.3 1 typ host"])
        .replace("a=sctp-port:5000", "a=sctp-port:5001")
        .replace("a=max-message-size:262144\r\n", "")
        .replace("a=ice-pwd:0123456789abcdefghijklmnop", "a=ice-pwd:0123456789abcdef0123456789abcdef0123456789abcdef")
        .replace("a=setup:passive", "a=setup:active")
        .replace(
            "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
            "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33",
        );
    let code = encode(&Signal {
        kind: SignalKind::Invite,
        invite_id: INVITE_ID,
        sdp: sdp.clone(),
    });
    assert!(code.starts_with(COMPACT));
    let rebuilt = decode(&code).expect("decodes").sdp;
    assert!(rebuilt.contains("a=sctp-port:5001\r\n"));
    assert!(!rebuilt.contains("max-message-size"));
    assert!(rebuilt.contains(
        "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33\r\n"
    ));
    assert_eq!(SessionFacts::parse(&rebuilt), SessionFacts::parse(&sdp));
}

#[test]
fn unrepresentable_sdps_fall_back_and_stay_byte_exact() {
    let chromium = FIXTURES[0].1;
    let cases = [
        format!("{chromium}m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=rtpmap:111 opus/48000/2\r\n"),
        chromium.replace("sha-256", "sha-224"),
        chromium.replace("a=mid:0", "a=mid:data").replace("BUNDLE 0", "BUNDLE data"),
        chromium.replace("a=setup:actpass\r\n", "a=setup:actpass\r\na=ice-lite\r\n"),
        chromium.replace("network-cost 999", "network-cost 999 some-new-extension 1"),
        chromium.replace("\r\n", "\n").replace("a=mid:0\n", "a=mid:0\n\n"),
        chromium.replace("typ host", "typ host tcptype passive"),
        "not an SDP at all ✓".to_owned(),
        String::new(),
    ];
    let mut too_many = chromium.to_owned();
    for index in 0..40 {
        too_many = too_many.replace(
            "a=ice-ufrag",
            &format!("a=candidate:{index} 1 udp 1 10.0.0.{index} 1 typ host\r\na=ice-ufrag"),
        );
    }
    for sdp in cases.iter().chain([&too_many]) {
        for kind in [SignalKind::Invite, SignalKind::Answer] {
            let signal = Signal {
                kind,
                invite_id: INVITE_ID,
                sdp: sdp.clone(),
            };
            let code = encode(&signal);
            assert!(code.starts_with('L'), "should fall back: {sdp}");
            assert_eq!(decode(&code), Ok(signal.clone()));
            for cut in 1..code.len() {
                assert_eq!(
                    decode(&code[..cut]),
                    Err(CodeError::Truncated),
                    "cut at {cut}"
                );
            }
        }
    }
}

#[test]
fn fallback_single_character_changes_are_caught() {
    let sdp = FIXTURES[0].1.replace("sha-256", "sha-224");
    let code = encode(&Signal {
        kind: SignalKind::Invite,
        invite_id: INVITE_ID,
        sdp,
    });
    assert!(code.starts_with('L'));
    let alphabet: Vec<char> = ('A'..='Z')
        .chain('a'..='z')
        .chain('0'..='9')
        .chain("+-$_".chars())
        .collect();
    for (position, original) in code.char_indices() {
        for &replacement in alphabet.iter().step_by(3) {
            if replacement == original {
                continue;
            }
            let changed = format!(
                "{}{}{}",
                &code[..position],
                replacement,
                &code[position + 1..]
            );
            let result = decode(&changed);
            assert_error_kind_is_plausible(&result, &changed);
            assert!(result.is_err(), "{changed}");
        }
    }
}

// ---- properties ----

fn ice_string(min: usize, max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::string::string_regex(&format!("[A-Za-z0-9+/]{{{min},{max}}}")).expect("regex"),
        proptest::string::string_regex(&format!("[0-9a-f]{{{min},{max}}}")).expect("regex"),
    ]
}

fn address() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|o| std::net::Ipv4Addr::from(o).to_string()),
        any::<[u8; 16]>().prop_map(|o| std::net::Ipv6Addr::from(o).to_string()),
        any::<u128>().prop_map(|v| {
            let hex = format!("{v:032x}");
            format!(
                "{}-{}-{}-{}-{}.local",
                &hex[..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..]
            )
        }),
        "[a-z][a-z0-9.-]{0,30}",
        Just("a1b2c3d4-0000-4000-8000-000000000000.local".to_owned()),
        Just("10.0.0.1".to_owned()),
    ]
}

fn candidate_line() -> impl Strategy<Value = String> {
    (
        "[A-Za-z0-9+/]{1,32}",
        1u8..=2,
        prop_oneof![Just("udp"), Just("UDP"), Just("tcp"), Just("TCP")],
        any::<u32>(),
        address(),
        any::<u16>(),
        0usize..4,
        proptest::option::of((address(), any::<u16>())),
        0usize..4,
    )
        .prop_map(
            |(
                foundation,
                component,
                transport,
                priority,
                address,
                port,
                kind,
                related,
                tcp_type,
            )| {
                let kind = ["host", "srflx", "prflx", "relay"][kind];
                let mut line = format!(
                    "{foundation} {component} {transport} {priority} {address} {port} typ {kind}"
                );
                if let (Some((raddr, rport)), false) = (related, kind == "host") {
                    line.push_str(&format!(" raddr {raddr} rport {rport}"));
                }
                if transport.eq_ignore_ascii_case("tcp") && tcp_type < 3 {
                    line.push_str(&format!(
                        " tcptype {}",
                        ["active", "passive", "so"][tcp_type]
                    ));
                }
                line
            },
        )
}

prop_compose! {
    fn session_sdp()(
        ufrag in ice_string(4, 40),
        pwd in ice_string(22, 60),
        algorithm in 0usize..4,
        digest in proptest::collection::vec(any::<u8>(), 64),
        setup in 0usize..3,
        candidates in proptest::collection::vec(candidate_line(), 0..8),
        end_of_candidates in any::<bool>(),
        sctp_port in prop_oneof![Just(5000u16), 1u16..],
        max_message_size in proptest::option::of(prop_oneof![Just(262_144u32), Just(1_073_741_823), any::<u32>()]),
        firefox_order in any::<bool>(),
        default_port in prop_oneof![Just(9u16), 1u16..],
        connection in prop_oneof![Just("IP4 0.0.0.0".to_owned()), address().prop_map(|a| format!("IP{} {a}", if a.contains(':') { 6 } else { 4 }))],
        tcp_proto in any::<bool>(),
    ) -> String {
        let (name, len) = [("sha-256", 32), ("sha-1", 20), ("sha-384", 48), ("sha-512", 64)][algorithm];
        let fingerprint = digest[..len].iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":");
        let mut sdp = String::from("v=0\r\no=- 7 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
        if firefox_order {
            sdp.push_str(&format!("a=sendrecv\r\na=fingerprint:{name} {fingerprint}\r\na=group:BUNDLE 0\r\na=ice-options:trickle\r\na=msid-semantic:WMS *\r\n"));
        }
        // Whatever default candidate m=/c= name: ICE ignores them, and so does the record.
        let proto = if tcp_proto { "TCP" } else { "UDP" };
        sdp.push_str(&format!("m=application {default_port} {proto}/DTLS/SCTP webrtc-datachannel\r\nc=IN {connection}\r\n"));
        for candidate in &candidates {
            sdp.push_str(&format!("a=candidate:{candidate}\r\n"));
        }
        if end_of_candidates {
            sdp.push_str("a=end-of-candidates\r\n");
        }
        sdp.push_str(&format!("a=ice-ufrag:{ufrag}\r\na=ice-pwd:{pwd}\r\n"));
        if !firefox_order {
            sdp.push_str(&format!("a=fingerprint:{name} {fingerprint}\r\n"));
        }
        sdp.push_str(&format!("a=setup:{}\r\na=mid:0\r\na=sctp-port:{sctp_port}\r\n", ["actpass", "active", "passive"][setup]));
        if let Some(size) = max_message_size {
            sdp.push_str(&format!("a=max-message-size:{size}\r\n"));
        }
        sdp
    }
}

fn signal_strategy() -> impl Strategy<Value = Signal> {
    (any::<bool>(), any::<[u8; 8]>(), session_sdp()).prop_map(|(answer, id, sdp)| Signal {
        kind: if answer {
            SignalKind::Answer
        } else {
            SignalKind::Invite
        },
        invite_id: InviteId(id),
        sdp,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_sessions_round_trip(signal in signal_strategy()) {
        let code = encode(&signal);
        let decoded = decode(&code).map_err(|e| TestCaseError::fail(format!("{e}: {code}")))?;
        prop_assert_eq!(decoded.kind, signal.kind);
        prop_assert_eq!(decoded.invite_id, signal.invite_id);
        if code.starts_with(COMPACT) {
            prop_assert_eq!(plain_facts(&decoded.sdp), kept_facts(&signal.sdp));
            let kept = SessionFacts::parse(&signal.sdp).map(|mut facts| {
                facts.hide_related_addresses_when_relay_only();
                facts
            });
            prop_assert_eq!(SessionFacts::parse(&decoded.sdp), kept);
        } else {
            prop_assert!(code.starts_with('L'));
            prop_assert_eq!(&decoded.sdp, &signal.sdp);
        }
    }

    #[test]
    fn generated_sessions_are_compact(signal in signal_strategy()) {
        // The generator only writes facts the compact form supports.
        prop_assert!(encode(&signal).starts_with(COMPACT), "{}", signal.sdp);
    }

    #[test]
    fn random_sdp_text_round_trips(sdp in "\\PC{0,400}", answer in any::<bool>(), id in any::<[u8; 8]>()) {
        let signal = Signal {
            kind: if answer { SignalKind::Answer } else { SignalKind::Invite },
            invite_id: InviteId(id),
            sdp,
        };
        prop_assert_eq!(decode(&encode(&signal)), Ok(signal));
    }

    #[test]
    fn random_strings_never_panic(input in "\\PC{0,300}") {
        let _ = decode(&input);
    }

    #[test]
    fn random_code_alphabet_strings_never_panic(tag in "[A-Z0-9a-z#_-]", body in "[A-Za-z0-9_+$-]{0,400}") {
        let input = format!("{tag}{body}");
        let result = decode(&input);
        if tag != "#" {
            assert_error_kind_is_plausible(&result, &input);
        }
    }

    #[test]
    fn random_bytes_behind_each_tag_are_refused(tag in "[CLX7]", bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        use base64::Engine;
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
        let input = format!("{tag}{body}");
        let result = decode(&input);
        assert_error_kind_is_plausible(&result, &input);
        prop_assert!(result.is_err());
    }

    #[test]
    fn mutated_codes_never_panic(
        signal in signal_strategy(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..4, "[A-Za-z0-9_+$-]"), 1..4),
    ) {
        let mut code: Vec<char> = encode(&signal).chars().collect();
        for (index, operation, text) in edits {
            let replacement = text.chars().next().unwrap_or('A');
            if code.is_empty() {
                // An earlier edit cut everything; `Index` cannot pick from nothing.
                code.push(replacement);
                continue;
            }
            let position = index.index(code.len());
            match operation {
                0 => code[position] = replacement,
                1 => { code.remove(position); }
                2 => code.insert(position, replacement),
                _ => code.truncate(position),
            }
        }
        let code: String = code.into_iter().collect();
        let result = decode(&code);
        assert_error_kind_is_plausible(&result, &code);
    }

    #[test]
    fn single_changes_of_random_codes_are_caught(signal in signal_strategy(), index in any::<prop::sample::Index>(), replacement in "[A-Za-z0-9_+$-]") {
        let code = encode(&signal);
        let position = index.index(code.len());
        prop_assume!(code[position..].chars().next().map(String::from) != Some(replacement.clone()));
        let changed = format!("{}{}{}", &code[..position], replacement, &code[position + 1..]);
        let result = decode(&changed);
        assert_error_kind_is_plausible(&result, &changed);
        prop_assert!(result.is_err(), "{}", changed);
    }

    #[test]
    fn proper_prefixes_of_random_codes_are_errors(signal in signal_strategy(), index in any::<prop::sample::Index>()) {
        let code = encode(&signal);
        let cut = 1 + index.index(code.len() - 1);
        prop_assert_eq!(decode(&code[..cut]), Err(CodeError::Truncated));
    }
}

// ---- real networks, from a seeded generator ----
//
// What Chromium and Firefox write for a data channel once gathering found more than host
// candidates: every candidate type (host as mDNS, IPv4 or IPv6; TCP host active/passive/so;
// srflx and prflx with hidden or real related addresses; relays over UDP, TCP and TLS), m=/c=
// naming whichever default candidate the browser picked. A tiny fixed PRNG instead of proptest
// so every run checks the same few thousand sessions, and a failure names its seed.

/// SplitMix64 (as in examples/fuzz.rs): small, and fixed so runs repeat exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn port(&mut self) -> u16 {
        1 + self.below(65_535) as u16
    }

    fn ipv4(&mut self) -> String {
        std::net::Ipv4Addr::from(self.next() as u32).to_string()
    }

    fn ipv6(&mut self) -> String {
        // Mostly global unicast with runs of zeros (so `::` compression shows up), some random.
        let mut octets = (u128::from(self.next()) << 64 | u128::from(self.next())).to_be_bytes();
        if self.chance(70) {
            octets[0] = 0x20;
            octets[1] = 0x01;
            for octet in &mut octets[4 + self.below(8) as usize..14] {
                *octet = 0;
            }
        }
        std::net::Ipv6Addr::from(octets).to_string()
    }

    fn mdns(&mut self) -> String {
        let hex = format!("{:016x}{:016x}", self.next(), self.next());
        // Browsers use random (version 4) UUIDs; now and then another version.
        let version = if self.chance(90) { "4" } else { "1" };
        let variant = ["8", "9", "a", "b"][self.below(4) as usize];
        format!(
            "{}-{}-{version}{}-{variant}{}-{}.local",
            &hex[..8],
            &hex[8..12],
            &hex[13..16],
            &hex[17..20],
            &hex[20..]
        )
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    fn ice(&mut self, len: usize, hex: bool) -> String {
        let alphabet: &[u8] = if hex {
            b"0123456789abcdef"
        } else {
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        };
        (0..len)
            .map(|_| char::from(alphabet[self.below(alphabet.len() as u64) as usize]))
            .collect()
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Browser {
    Chromium,
    Firefox,
}

/// One candidate: its transport address, and the `a=candidate` line without the ICE extensions.
struct Gathered {
    address: String,
    port: u16,
    udp: bool,
    kind: &'static str,
    line: String,
}

/// The network a browser is on, as far as its candidates show it.
struct Network {
    /// Host addresses: mDNS names or plain IPv4/IPv6 (no mDNS, or Firefox's default-route one).
    hosts: Vec<(String, u16)>,
    /// Public (NAT) addresses seen by STUN, one per host socket.
    public: Vec<(String, u16)>,
}

fn gather(rng: &mut Rng, browser: Browser, relay_only: bool) -> Vec<Gathered> {
    let mdns = rng.chance(80);
    let host_count = 1 + rng.below(3) as usize;
    let mut network = Network {
        hosts: Vec::new(),
        public: Vec::new(),
    };
    for _ in 0..host_count {
        let address = match (mdns, rng.below(3)) {
            (true, _) => rng.mdns(),
            (false, 0) => rng.ipv6(),
            _ => rng.ipv4(),
        };
        network.hosts.push((address, rng.port()));
    }
    let nat = rng.ipv4();
    let port_preserving = rng.chance(50);
    for (_, port) in &network.hosts {
        let public_port = if port_preserving { *port } else { rng.port() };
        network.public.push((nat.clone(), public_port));
    }
    let mut gathered = Vec::new();
    let mut add = |address: &str, port: u16, udp: bool, kind: &'static str, rest: String| {
        let transport = match (browser, udp) {
            (Browser::Chromium, true) => "udp",
            (Browser::Chromium, false) => "tcp",
            (Browser::Firefox, true) => "UDP",
            (Browser::Firefox, false) => "TCP",
        };
        gathered.push(Gathered {
            address: address.to_owned(),
            port,
            udp,
            kind,
            line: format!("{transport} PRIORITY {address} {port} typ {kind}{rest}"),
        });
    };
    let hidden = |address: &str| {
        if address.contains(':') {
            " raddr :: rport 0".to_owned()
        } else {
            " raddr 0.0.0.0 rport 0".to_owned()
        }
    };
    if !relay_only {
        for (address, port) in &network.hosts {
            add(address, *port, true, "host", String::new());
            // TCP host candidates: Firefox's active ones, Chromium's active/passive/so.
            if rng.chance(50) {
                add(address, 9, false, "host", " tcptype active".to_owned());
            }
            if browser == Browser::Chromium && rng.chance(30) {
                let tcp_type = rng.pick(&["passive", "so"]);
                add(
                    address,
                    rng.port(),
                    false,
                    "host",
                    format!(" tcptype {tcp_type}"),
                );
            }
        }
        for ((host, host_port), (public, public_port)) in network.hosts.iter().zip(&network.public)
        {
            if !rng.chance(80) {
                continue;
            }
            // Hidden when the host address is an mDNS name (and sometimes anyway); else real.
            let related = if mdns || rng.chance(30) {
                hidden(public)
            } else {
                format!(" raddr {host} rport {host_port}")
            };
            add(public, *public_port, true, "srflx", related);
            if rng.chance(10) {
                // Peer-reflexive candidates are rarely written, but the grammar has them.
                add(
                    &rng.ipv4(),
                    rng.port(),
                    true,
                    "prflx",
                    format!(" raddr {host} rport {host_port}"),
                );
            }
        }
    }
    if relay_only || rng.chance(60) {
        let server = if rng.chance(80) {
            rng.ipv4()
        } else {
            rng.ipv6()
        };
        // UDP, TCP and TLS allocations: one relay candidate each (all UDP on the relay side).
        for _ in 0..1 + rng.below(3) {
            let related = match rng.below(4) {
                // Chromium in relay-only mode, and with mDNS on: hidden; else the srflx address.
                0 => hidden(&server),
                1 if !network.public.is_empty() => {
                    let (public, port) = &network.public[0];
                    format!(" raddr {public} rport {port}")
                }
                // A browser that names the relay itself, or some other address.
                2 => String::from("SELF"),
                _ => format!(" raddr {} rport {}", rng.ipv4(), rng.port()),
            };
            let port = rng.port();
            let related = if related == "SELF" {
                format!(" raddr {server} rport {port}")
            } else {
                related
            };
            add(&server, port, true, "relay", related);
        }
    }
    gathered
}

/// Priorities as the browser computes them: the type's preference, then the order gathered.
fn priority(browser: Browser, kind: &str, udp: bool, index: usize, relay_rank: u32) -> u32 {
    let type_preference = match (browser, kind) {
        (_, "host") if udp => 126,
        (Browser::Chromium, "host") => 90,
        (Browser::Firefox, "host") => 125,
        (_, "prflx") => 110,
        (_, "srflx") => 100,
        // Chromium ranks relays by how it reaches the server: UDP 2, TCP 1, TLS 0.
        (Browser::Chromium, _) => 2u32.saturating_sub(relay_rank),
        (Browser::Firefox, _) => 5u32.saturating_sub(relay_rank),
    };
    (type_preference << 24) | ((65_535 - index as u32) << 8) | 255
}

/// A whole SDP as `browser` writes it, with m=/c= on a default candidate.
fn real_network_sdp(rng: &mut Rng, browser: Browser, relay_only: bool) -> String {
    let gathered = gather(rng, browser, relay_only);
    // The default candidate: the "most likely to work" UDP one with a plain address, if any.
    let default = gathered
        .iter()
        .filter(|c| c.udp && !c.address.ends_with(".local"))
        .min_by_key(|c| {
            ["relay", "srflx", "prflx", "host"]
                .iter()
                .position(|k| *k == c.kind)
        });
    let (port, connection) = match default {
        Some(c) if rng.chance(90) => {
            let family = if c.address.contains(':') { 6 } else { 4 };
            (c.port, format!("IP{family} {}", c.address))
        }
        _ => (9, "IP4 0.0.0.0".to_owned()),
    };
    let mut relay_rank = 0;
    let lines: Vec<String> = gathered
        .iter()
        .enumerate()
        .map(|(index, c)| {
            let rank = if c.kind == "relay" {
                relay_rank += 1;
                relay_rank - 1
            } else {
                0
            };
            let line = c.line.replace(
                "PRIORITY",
                &priority(browser, c.kind, c.udp, index, rank).to_string(),
            );
            match browser {
                Browser::Chromium => format!(
                    "a=candidate:{} 1 {line} generation 0 network-id {} network-cost {}\r\n",
                    rng.next() as u32,
                    1 + rng.below(4),
                    rng.pick(&["10", "50", "999"])
                ),
                Browser::Firefox => format!("a=candidate:{index} 1 {line}\r\n"),
            }
        })
        .collect();
    let candidates = lines.concat();
    let setup = rng.pick(&["actpass", "active", "passive"]);
    let digest: Vec<String> = (0..32)
        .map(|_| format!("{:02X}", rng.next() as u8))
        .collect();
    let fingerprint = format!("sha-256 {}", digest.join(":"));
    match browser {
        Browser::Chromium => format!(
            "v=0\r\no=- {} 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\na=extmap-allow-mixed\r\n\
             a=msid-semantic: WMS\r\nm=application {port} UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN {connection}\r\n\
             {candidates}a=ice-ufrag:{}\r\na=ice-pwd:{}\r\na=ice-options:trickle\r\na=fingerprint:{fingerprint}\r\n\
             a=setup:{setup}\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n",
            rng.next() >> 1,
            rng.ice(4, false),
            rng.ice(24, false),
        ),
        Browser::Firefox => format!(
            "v=0\r\no=mozilla...THIS_IS_SDPARTA-153.7.0 {} 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=sendrecv\r\n\
             a=fingerprint:{fingerprint}\r\na=group:BUNDLE 0\r\na=ice-options:trickle\r\na=msid-semantic:WMS *\r\n\
             m=application {port} UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN {connection}\r\n{candidates}\
             a=sendrecv\r\na=end-of-candidates\r\na=ice-pwd:{}\r\na=ice-ufrag:{}\r\na=mid:0\r\na=setup:{setup}\r\n\
             a=sctp-port:5000\r\na=max-message-size:1073741823\r\n",
            rng.next() >> 1,
            rng.ice(32, true),
            rng.ice(8, true),
        ),
    }
}

#[test]
fn real_network_sessions_are_compact_and_exact() {
    let mut rng = Rng(14);
    let mut shapes = std::collections::BTreeMap::<&str, usize>::new();
    for round in 0..3_000 {
        let browser = if rng.chance(50) {
            Browser::Chromium
        } else {
            Browser::Firefox
        };
        let relay_only = rng.chance(15);
        let sdp = real_network_sdp(&mut rng, browser, relay_only);
        for kind in [
            "srflx",
            "prflx",
            "relay",
            "tcptype",
            " :: ",
            ".local",
            "raddr 0.0.0.0",
        ] {
            if sdp.contains(kind) {
                *shapes.entry(kind).or_default() += 1;
            }
        }
        let signal = Signal {
            kind: if round % 2 == 0 {
                SignalKind::Invite
            } else {
                SignalKind::Answer
            },
            invite_id: InviteId((rng.next()).to_be_bytes()),
            sdp: sdp.clone(),
        };
        let code = encode(&signal);
        assert!(code.starts_with(COMPACT), "round {round} fell back:\n{sdp}");
        let decoded = decode(&code).unwrap_or_else(|e| panic!("round {round}: {e}\n{sdp}"));
        assert_eq!(
            (decoded.kind, decoded.invite_id),
            (signal.kind, signal.invite_id)
        );
        assert_eq!(
            plain_facts(&decoded.sdp),
            kept_facts(&sdp),
            "round {round}:\n{sdp}"
        );
        assert!(decoded.sdp.contains(
            "\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
        ));
        // The rebuild is a fixed point: its code is this code.
        assert_eq!(encode(&decoded), code, "round {round}");
        // Cut or changed anywhere, the code is refused (a few places per code).
        for _ in 0..3 {
            let cut = 1 + rng.below(code.len() as u64 - 1) as usize;
            assert_eq!(
                decode(&code[..cut]),
                Err(CodeError::Truncated),
                "round {round}"
            );
            let at = 1 + rng.below(code.len() as u64 - 1) as usize;
            let replacement = if &code[at..=at] == "A" { "B" } else { "A" };
            let changed = format!("{}{replacement}{}", &code[..at], &code[at + 1..]);
            // Damaged, or (a changed length) Truncated; never another signal.
            let result = decode(&changed);
            assert_error_kind_is_plausible(&result, &changed);
            assert!(result.is_err(), "round {round}: {changed}");
        }
        if relay_only {
            let relays: Vec<&str> = sdp
                .lines()
                .filter_map(|line| line.strip_prefix("a=candidate:"))
                .filter_map(|line| line.split(' ').nth(4))
                .collect();
            for address in addresses_in(&decoded.sdp) {
                let allowed = relays.contains(&address.as_str())
                    || ["127.0.0.1", "0.0.0.0", "::"].contains(&address.as_str());
                assert!(allowed, "round {round}: {address} in a relay-only link");
            }
        }
    }
    // The generator did make every shape, many times over.
    for kind in [
        "srflx",
        "prflx",
        "relay",
        "tcptype",
        " :: ",
        ".local",
        "raddr 0.0.0.0",
    ] {
        assert!(
            shapes.get(kind).copied().unwrap_or(0) >= 100,
            "{kind}: {shapes:?}"
        );
    }
}

#[test]
fn real_network_shapes_fit_issue_14s_limits() {
    // One host (mDNS) + one srflx: at most 160; + a relay: 200; one relay, relay only: 110.
    let mut rng = Rng(160);
    let mut longest = [0usize; 3];
    for round in 0..2_000 {
        let browser = if round % 2 == 0 {
            Browser::Chromium
        } else {
            Browser::Firefox
        };
        let shape = round % 3;
        let host = format!(
            "{} 1 udp 2122260223 {} {} typ host",
            1,
            rng.mdns(),
            rng.port()
        );
        let public = rng.ipv4();
        let srflx = format!(
            "2 1 udp 1686052607 {public} {} typ srflx raddr 0.0.0.0 rport 0",
            rng.port()
        );
        let relay = format!(
            "3 1 udp 41885439 {} {} typ relay raddr {}",
            rng.ipv4(),
            rng.port(),
            if shape == 2 {
                "0.0.0.0 rport 0".to_owned()
            } else {
                format!("{public} rport {}", rng.port())
            }
        );
        let candidates: Vec<&str> = match shape {
            0 => vec![&host, &srflx],
            1 => vec![&host, &srflx, &relay],
            _ => vec![&relay],
        };
        let mut sdp = real_network_sdp(&mut rng, browser, false);
        // Keep the browser's session lines, swap in exactly these candidates.
        let kept: String = sdp
            .split_inclusive("\r\n")
            .filter(|line| !line.starts_with("a=candidate:"))
            .collect();
        let lines: String = candidates
            .iter()
            .map(|c| format!("a=candidate:{c}\r\n"))
            .collect();
        sdp = kept.replacen("c=IN ", &format!("{lines}c=IN "), 1);
        let code = encode(&Signal {
            kind: SignalKind::Answer,
            invite_id: InviteId(rng.next().to_be_bytes()),
            sdp,
        });
        assert!(code.starts_with(COMPACT));
        longest[shape] = longest[shape].max(code.len());
    }
    println!(
        "longest codes: host + srflx {}, + relay {}, relay only {}",
        longest[0], longest[1], longest[2]
    );
    assert!(longest[0] <= 160, "host + srflx: {}", longest[0]);
    assert!(longest[1] <= 200, "host + srflx + relay: {}", longest[1]);
    assert!(longest[2] <= 110, "relay only: {}", longest[2]);
}
