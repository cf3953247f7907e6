//! A long seeded random run against every decoder of outside input:
//! `cargo run --release --example fuzz -- [N] [SEED]` (default 2,000,000 inputs per decoder
//! family, seed 1). First the link codes (`signal::decode`), then what a peer or another tab can
//! send (`protocol::Frame::decode`, `handoff::HandoffMessage::decode`, and stored settings).
//!
//! Inputs are mutations of valid codes (compact `D`, the older compact `C` and fallback `L`, from
//! the fixture SDPs — loopback and NAT lab — and real-network shapes the fixtures lack: IPv6
//! srflx with `raddr ::`, relays over TCP/TLS, TCP host candidates, prflx, relay only), compact
//! codes whose *body* was mutated and then given a correct length and check (so the body parser
//! sees the damage), random strings over the code alphabets behind every tag, and random Unicode.
//! Prints how many inputs ran, how many decoded, errors by kind and panics; exits non-zero on any
//! panic, on a mutation that decodes to another signal, or on an accepted compact code that is
//! not the one canonical encoding of what it decodes to.
//!
//! The release profile aborts on panic, so a panic hook prints the offending input and the counts
//! so far before the process dies (non-zero exit either way); under an unwinding profile the
//! panic is caught and counted instead.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic;
use tincan::core::handoff::HandoffMessage;
use tincan::core::protocol::Frame;
use tincan::core::settings::Settings;
use tincan::core::signal::{decode, encode, CodeError, InviteId, Signal, SignalKind};

const FIXTURES: [&str; 21] = [
    include_str!("../tests/fixtures/sdp/chromium-offer.sdp"),
    include_str!("../tests/fixtures/sdp/chromium2-offer.sdp"),
    include_str!("../tests/fixtures/sdp/chromium-answer-to-chromium2.sdp"),
    include_str!("../tests/fixtures/sdp/chromium-answer-to-firefox.sdp"),
    include_str!("../tests/fixtures/sdp/firefox-offer.sdp"),
    include_str!("../tests/fixtures/sdp/firefox-answer-to-chromium.sdp"),
    include_str!("../tests/fixtures/sdp/natlab-chromium-stun-cone-offer.sdp"),
    include_str!("../tests/fixtures/sdp/natlab-chromium-stun-cone-answer.sdp"),
    include_str!("../tests/fixtures/sdp/natlab-chromium-turn-symmetric-offer.sdp"),
    include_str!("../tests/fixtures/sdp/natlab-chromium-turn-symmetric-answer.sdp"),
    include_str!("../tests/fixtures/sdp/natlab-chromium-relay-only-offer.sdp"),
    include_str!("../tests/fixtures/sdp/natlab-chromium-relay-only-answer.sdp"),
    include_str!("../tests/fixtures/sdp/natlab-firefox-stun-cone-offer.sdp"),
    include_str!("../tests/fixtures/sdp/natlab-firefox-stun-cone-answer.sdp"),
    include_str!("../tests/fixtures/sdp/natlab-chromium-stun-cone-answer-to-firefox.sdp"),
    include_str!("../tests/fixtures/sdp/natlab-firefox-turn-symmetric-offer.sdp"),
    include_str!("../tests/fixtures/sdp/natlab-firefox-turn-symmetric-answer.sdp"),
    include_str!("../tests/fixtures/sdp/natlab-chromium-turn-symmetric-answer-to-firefox.sdp"),
    include_str!("../tests/fixtures/sdp/natlab-firefox-relay-only-offer.sdp"),
    include_str!("../tests/fixtures/sdp/natlab-firefox-relay-only-answer.sdp"),
    include_str!("../tests/fixtures/sdp/natlab-chromium-relay-only-answer-to-firefox.sdp"),
];

/// Real-network candidate sets the fixtures do not show, put into the NAT lab's STUN offer in
/// place of its candidates (m=/c= keep naming its srflx candidate).
const SHAPES: [&[&str]; 4] = [
    // Dual stack behind a NAT with TURN: IPv6 srflx with the hidden `::`, relay related to srflx,
    // TCP host candidates.
    &[
        "1 1 udp 2113937151 a6989988-6243-4675-8aa6-d757ccd18f0f.local 43894 typ host generation 0 network-cost 999",
        "2 1 udp 2113939711 0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f.local 43895 typ host generation 0 network-cost 999",
        "3 1 tcp 1518157055 a6989988-6243-4675-8aa6-d757ccd18f0f.local 9 typ host tcptype active generation 0 network-cost 999",
        "4 1 tcp 1518214911 0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f.local 51000 typ host tcptype passive generation 0 network-cost 999",
        "5 1 udp 1677729535 203.0.113.11 43894 typ srflx raddr 0.0.0.0 rport 0 generation 0 network-cost 999",
        "6 1 udp 1677732095 2001:db8:11::7 43895 typ srflx raddr :: rport 0 generation 0 network-cost 999",
        "7 1 udp 41885439 203.0.113.1 49289 typ relay raddr 203.0.113.11 rport 43894 generation 0 network-cost 999",
    ],
    // No mDNS: plain host addresses, srflx and prflx with real related addresses, relays over
    // UDP, TCP and TLS.
    &[
        "1 1 udp 2122260223 192.168.1.20 54321 typ host generation 0 network-id 1 network-cost 10",
        "2 1 tcp 1518280447 192.168.1.20 9 typ host tcptype active generation 0 network-id 1 network-cost 10",
        "3 1 tcp 1518280446 192.168.1.20 50101 typ host tcptype so generation 0 network-id 1 network-cost 10",
        "4 1 udp 1686052607 203.0.113.11 54321 typ srflx raddr 192.168.1.20 rport 54321 generation 0 network-id 1 network-cost 10",
        "5 1 udp 1845501695 203.0.113.99 40000 typ prflx raddr 192.168.1.20 rport 54321 generation 0",
        "6 1 udp 41885439 203.0.113.1 49289 typ relay raddr 203.0.113.11 rport 54321 generation 0 network-id 1 network-cost 10",
        "7 1 udp 25108223 203.0.113.1 49290 typ relay raddr 203.0.113.11 rport 54322 generation 0 network-id 1 network-cost 10",
        "8 1 udp 8331263 203.0.113.1 49291 typ relay raddr 203.0.113.11 rport 54323 generation 0 network-id 1 network-cost 10",
    ],
    // Relay only, from a browser that names its NAT in the related address (the link hides it).
    &[
        "1 1 udp 41885439 203.0.113.1 49289 typ relay raddr 203.0.113.11 rport 43894",
        "2 1 udp 8331263 2001:db8:1::1 49290 typ relay raddr 2001:db8:11::7 rport 43895",
    ],
    // IPv6 only: host, srflx with `::`, a relay that names itself.
    &[
        "1 1 udp 2122262783 2001:db8:11::7 50000 typ host",
        "2 1 udp 1686055167 2001:db8:ffff::7 50001 typ srflx raddr :: rport 0",
        "3 1 udp 41886719 2001:db8:1::1 50002 typ relay raddr 2001:db8:1::1 rport 50002",
    ],
];

/// `C` codes the version before `D` wrote (tests/signal_golden.rs's `LANDED_C_CODES`).
const LANDED_C_CODES: [&str; 2] = [
    "CZKj_PUcJrQFiO4zoAHFQIxQGYzeL1UdtzX8kjeo5n_rzEtlkz3OWN8X2MwdzpZa6J93WwIlhe1mAkqMa2bvDWSr54Ah04AyDfmWjhS6V9o8Rbs57I8hOvzAdMSPaN9ah8FtWx5YcEvA",
    "CmQF0a-jHCa0BYjuM6EABv78mmu2_HPXfnrTbjrz8EMUcks09FIACJEZoiqzO8RM1V3mbvd_gAiRGaIqszvETNVd5m73f4IsCoARTUMcGhssPUAAAAAAAAAAAAAAA1ZYA4hInEM2WAOIP3JEGoYzhAAhtx__4AAAAAAAAAAAAP3JNgAAAAAAAAAAAAAAAAAAAAAAAF2MZsgGGy0PuSAA",
];

/// Every SDP the seeds are made from: the fixtures, then the shapes.
fn seed_sdps() -> Vec<String> {
    let template = FIXTURES[6];
    let shapes = SHAPES.iter().map(|candidates| {
        let lines: String = candidates
            .iter()
            .map(|c| format!("a=candidate:{c}\r\n"))
            .collect();
        let kept: String = template
            .split_inclusive("\r\n")
            .filter(|line| !line.starts_with("a=candidate:"))
            .collect();
        kept.replacen("a=ice-ufrag:", &format!("{lines}a=ice-ufrag:"), 1)
    });
    FIXTURES
        .iter()
        .map(|s| s.to_string())
        .chain(shapes)
        .collect()
}

const CODE_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+$";
const ODD_CHARS: &[char] = &[
    '#', '%', ' ', '\n', '.', '/', ':', '=', '?', '&', 'é', '€', '\u{0}', '\u{feff}', '𝄞',
];

/// SplitMix64: tiny, fast, good enough to drive a fuzzer, and fixed so runs repeat exactly.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        if bound == 0 {
            0
        } else {
            (self.next() % bound as u64) as usize
        }
    }

    fn code_char(&mut self) -> char {
        char::from(CODE_CHARS[self.below(CODE_CHARS.len())])
    }

    fn any_char(&mut self) -> char {
        match self.below(4) {
            0 => ODD_CHARS[self.below(ODD_CHARS.len())],
            1 => char::from_u32(self.below(0x11_0000) as u32).unwrap_or('?'),
            _ => self.code_char(),
        }
    }
}

/// Valid codes to mutate: every seed SDP as invite and answer (all compact), fallback (`L`)
/// versions made by adding a line the compact form refuses, and the landed `C` codes.
fn seed_codes() -> Vec<(Vec<char>, Signal)> {
    let mut codes = Vec::new();
    let mut add = |code: String| match decode(&code) {
        // What the code decodes to (a compact one rebuilds the SDP, so not the input).
        Ok(decoded) => codes.push((code.chars().collect(), decoded)),
        Err(error) => panic!("a fresh code does not decode: {error}"),
    };
    for (index, sdp) in seed_sdps().iter().enumerate() {
        for kind in [SignalKind::Invite, SignalKind::Answer] {
            let invite_id = InviteId([index as u8, 1, 2, 3, 4, 5, 6, 7]);
            for sdp in [sdp.to_string(), format!("{sdp}a=x-unknown:1\r\n")] {
                add(encode(&Signal {
                    kind,
                    invite_id,
                    sdp,
                }));
            }
        }
    }
    for code in LANDED_C_CODES {
        add(code.to_owned());
    }
    codes
}

fn mutate(rng: &mut SplitMix64, code: &[char]) -> String {
    let mut chars = code.to_vec();
    let edits = 1 + rng.below(3);
    for _ in 0..edits {
        let position = rng.below(chars.len());
        match rng.below(9) {
            0..=2 => {
                if let Some(slot) = chars.get_mut(position) {
                    *slot = rng.code_char();
                }
            }
            3 => {
                if position < chars.len() {
                    chars.remove(position);
                }
            }
            4 => chars.insert(position, rng.any_char()),
            5 => chars.truncate(position),
            6 => {
                let other = rng.below(chars.len());
                if position < chars.len() && other < chars.len() {
                    chars.swap(position, other);
                }
            }
            7 => {
                // Duplicate a stretch, as a bad copy-paste would.
                let end = (position + 1 + rng.below(20)).min(chars.len());
                let stretch: Vec<char> = chars[position.min(end)..end].to_vec();
                chars.splice(position..position, stretch);
            }
            _ => {
                if let Some(slot) = chars.get_mut(position) {
                    *slot = rng.any_char();
                }
            }
        }
    }
    let code: String = chars.into_iter().collect();
    match rng.below(4) {
        0 => format!("https://example.github.io/tincan/#{code}"),
        1 => format!("#{code}"),
        _ => code,
    }
}

fn random_input(rng: &mut SplitMix64) -> String {
    let len = rng.below(600);
    match rng.below(3) {
        0 => {
            let tag = char::from(b"DCLDCLXZ09ac"[rng.below(12)]);
            std::iter::once(tag)
                .chain((0..len).map(|_| rng.code_char()))
                .collect()
        }
        1 => (0..len).map(|_| rng.any_char()).collect(),
        _ => {
            // Compact-looking: right tag, plausible length byte, random rest.
            let bytes: Vec<char> = (0..140).map(|_| rng.code_char()).collect();
            let tag = if rng.below(2) == 0 { 'D' } else { 'C' };
            std::iter::once(tag).chain(bytes).collect()
        }
    }
}

/// The tag and body of a compact code: its bytes after the length and the 3-byte check.
fn compact_body(code: &[char]) -> Option<(char, Vec<u8>)> {
    use base64::Engine;
    let text: String = code.iter().skip(1).collect();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()?;
    let length_bytes = if bytes.first()? & 0x80 == 0 { 1 } else { 2 };
    let tag = *code.first()?;
    bytes
        .get(length_bytes + 3..)
        .map(|body| (tag, body.to_vec()))
}

/// A compact code around `body` with a correct length and check for `tag`, so the body parser
/// itself gets fuzzed (random damage almost never gets past the check).
fn reframe(tag: char, body: &[u8]) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let mut length = Vec::new();
    let mut rest = body.len();
    loop {
        let low = (rest & 0x7f) as u8;
        rest >>= 7;
        if rest == 0 {
            length.push(low);
            break;
        }
        length.push(low | 0x80);
    }
    let mut hasher = Sha256::new();
    hasher.update([tag as u8]);
    hasher.update(&length);
    hasher.update(body);
    let digest = hasher.finalize();
    let record = [length.as_slice(), &digest[..3], body].concat();
    format!(
        "{tag}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(record)
    )
}

fn mutated_body(rng: &mut SplitMix64, bodies: &[(char, Vec<u8>)]) -> String {
    let (mut tag, mut body) = bodies[rng.below(bodies.len())].clone();
    match rng.below(4) {
        0 => {
            for _ in 0..1 + rng.below(4) {
                let bit = rng.below(body.len() * 8);
                if let Some(byte) = body.get_mut(bit / 8) {
                    *byte ^= 0x80 >> (bit % 8);
                }
            }
        }
        1 => body.truncate(rng.below(body.len())),
        2 => body.extend((0..1 + rng.below(8)).map(|_| rng.next() as u8)),
        _ => body = (0..rng.below(200)).map(|_| rng.next() as u8).collect(),
    }
    // Now and then under the other compact tag: a `C` body read as `D` and the other way round.
    if rng.below(8) == 0 {
        tag = if tag == 'C' { 'D' } else { 'C' };
    }
    reframe(tag, &body)
}

/// Where an input came from, to judge a successful decode.
#[derive(PartialEq)]
enum Origin<'a> {
    Random,
    /// A compact code whose body was changed and then re-checked: may decode to other facts.
    Rechecked,
    /// A changed copy of the valid code for this signal.
    Mutation(&'a Signal),
}

thread_local! {
    static CURRENT: RefCell<String> = const { RefCell::new(String::new()) };
    static SUMMARY: RefCell<String> = const { RefCell::new(String::new()) };
}

fn main() {
    let mut args = std::env::args().skip(1);
    let total: u64 = args
        .next()
        .and_then(|n| n.replace('_', "").parse().ok())
        .unwrap_or(2_000_000);
    let seed: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(1);

    panic::set_hook(Box::new(|info| {
        let input = CURRENT.with(|current| current.borrow().clone());
        let summary = SUMMARY.with(|summary| summary.borrow().clone());
        eprintln!("PANIC: {info}\n  input: {input:?}\n  so far: {summary}");
    }));

    let mut rng = SplitMix64(seed);
    let seeds = seed_codes();
    let compact: Vec<&Vec<char>> = seeds
        .iter()
        .map(|(code, _)| code)
        .filter(|code| matches!(code.first(), Some('C' | 'D')))
        .collect();
    let bodies: Vec<(char, Vec<u8>)> = compact
        .iter()
        .filter_map(|code| compact_body(code))
        .collect();
    let reproduced = bodies.len() == compact.len()
        && bodies
            .iter()
            .zip(&compact)
            .all(|((tag, body), code)| reframe(*tag, body).chars().eq(code.iter().copied()));
    // Every fixture and shape must be compact: half the seeds from SDPs, plus the `C` codes.
    if !reproduced || compact.len() != (seeds.len() - LANDED_C_CODES.len()) / 2 + 2 {
        eprintln!("reframing does not reproduce the codec's own codes, or a seed fell back");
        std::process::exit(2);
    }
    println!(
        "seeds: {} codes ({} compact, {} of them C), from {} SDPs",
        seeds.len(),
        compact.len(),
        LANDED_C_CODES.len(),
        seed_sdps().len()
    );
    let mut ok = 0u64;
    // Mutations that decode to something other than the code they came from: the integrity
    // check should make these vanishingly rare.
    let mut ok_but_different = 0u64;
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    let mut panics = 0u64;
    // Body-mutated, correctly re-checked compact codes: they may decode (to other facts), but only
    // if they are the one encoding of what they decode to.
    let mut reframed = 0u64;
    let mut reframed_ok = 0u64;
    let mut non_canonical = 0u64;
    let started = std::time::Instant::now();

    for round in 0..total {
        if round % 65_536 == 0 {
            SUMMARY.with(|summary| {
                summary.replace(format!(
                    "{round} inputs, {ok} ok, errors {errors:?}, {panics} panics"
                ))
            });
        }
        let class = rng.below(12);
        let (input, origin) = match class {
            0..=2 => (random_input(&mut rng), Origin::Random),
            3..=5 => (mutated_body(&mut rng, &bodies), Origin::Rechecked),
            _ => {
                let (code, signal) = &seeds[rng.below(seeds.len())];
                (mutate(&mut rng, code), Origin::Mutation(signal))
            }
        };
        CURRENT.with(|current| current.replace(input.clone()));
        let result = panic::catch_unwind(|| decode(&input));
        if origin == Origin::Rechecked {
            reframed += 1;
            match result {
                Ok(Ok(signal)) => {
                    reframed_ok += 1;
                    // A `D` code is exactly what `encode` writes for its signal; a `C` code's
                    // signal goes into a `D` code that gives it back.
                    let again = encode(&signal);
                    let relay_only = signal
                        .sdp
                        .lines()
                        .filter(|line| line.starts_with("a=candidate:"))
                        .all(|line| line.contains(" typ relay"));
                    let canonical = if input.starts_with('D') {
                        again == input
                    } else {
                        // (Relay-only related addresses a `C` code named are hidden in `D`.)
                        let back = decode(&again);
                        again.starts_with('D')
                            && (back.as_ref() == Ok(&signal) || (relay_only && back.is_ok()))
                    };
                    if !canonical {
                        non_canonical += 1;
                        println!("accepted, not canonical: {input:?}");
                    }
                }
                Ok(Err(_)) => {}
                Err(_) => panics += 1,
            }
            continue;
        }
        match result {
            Ok(Ok(signal)) => {
                ok += 1;
                if origin != Origin::Mutation(&signal) {
                    ok_but_different += 1;
                    println!("decoded to a different signal: {input:?}");
                }
            }
            Ok(Err(error)) => {
                let kind = match error {
                    CodeError::Empty => "Empty",
                    CodeError::Truncated => "Truncated",
                    CodeError::Damaged => "Damaged",
                    CodeError::UnknownVersion => "UnknownVersion",
                    CodeError::TooLong => "TooLong",
                };
                *errors.entry(kind.to_owned()).or_default() += 1;
            }
            Err(_) => panics += 1,
        }
    }

    println!("seed {seed}: {total} inputs in {:.1?}", started.elapsed());
    println!("re-checked compact codes with a mutated body: {reframed} ({reframed_ok} decoded, to other facts; not canonical: {non_canonical})");
    println!("other inputs: {}", total - reframed);
    println!("decoded ok: {ok} (of which not the original signal: {ok_but_different})");
    for (kind, count) in &errors {
        println!("error {kind}: {count}");
    }
    println!("panics: {panics}");
    let frame_panics = fuzz_frames(&mut rng, total);
    if panics + frame_panics + ok_but_different + non_canonical > 0 {
        std::process::exit(1);
    }
}

/// Valid frames and hand-off messages to mutate.
const FRAME_SEEDS: &[&str] = &[
    r#"{"k":"text","text":"hello <b>there</b>","ts":1700000000000}"#,
    r#"{"k":"hello","v":1}"#,
    r#"{"k":"bye"}"#,
    r#"{"k":"answer","invite":"0001020304050607","code":"CZAvnolD9i9w"}"#,
    r#"{"k":"reply","invite":"0001020304050607","outcome":"accepted"}"#,
    r#"{"ice_servers":["stun:127.0.0.1:9"],"turn_username":"","turn_credential":"","relay_only":false}"#,
];
const JSON_CHARS: &[char] = &[
    '{', '}', '[', ']', '"', ':', ',', '\\', 'k', 'e', '1', '-', '.', ' ',
];

/// Frames a peer (or another tab, or a stale localStorage) could send: mutated valid frames,
/// JSON-ish noise and random text. Every decoder must return, never panic.
fn fuzz_frames(rng: &mut SplitMix64, total: u64) -> u64 {
    let started = std::time::Instant::now();
    let (mut frames_ok, mut handoffs_ok, mut panics) = (0u64, 0u64, 0u64);
    for _ in 0..total {
        let input: String = match rng.below(3) {
            0 => {
                let mut chars: Vec<char> =
                    FRAME_SEEDS[rng.below(FRAME_SEEDS.len())].chars().collect();
                for _ in 0..=rng.below(4) {
                    let at = rng.below(chars.len() + 1);
                    match rng.below(3) {
                        0 if at < chars.len() => {
                            chars.remove(at);
                        }
                        1 => chars.insert(at, JSON_CHARS[rng.below(JSON_CHARS.len())]),
                        _ => chars.insert(at, rng.any_char()),
                    }
                }
                chars.into_iter().collect()
            }
            1 => (0..rng.below(64))
                .map(|_| JSON_CHARS[rng.below(JSON_CHARS.len())])
                .collect(),
            _ => (0..rng.below(64)).map(|_| rng.any_char()).collect(),
        };
        CURRENT.with(|current| current.replace(input.clone()));
        let result = panic::catch_unwind(|| {
            let frame = Frame::decode(&input).is_ok();
            let handoff = HandoffMessage::decode(&input).is_some();
            let _ = Settings::from_json(&input);
            (frame, handoff)
        });
        match result {
            Ok((frame, handoff)) => {
                frames_ok += u64::from(frame);
                handoffs_ok += u64::from(handoff);
            }
            Err(_) => panics += 1,
        }
    }
    println!(
        "frames, hand-off messages and stored settings: {total} inputs in {:.1?}",
        started.elapsed()
    );
    println!("frames decoded ok: {frames_ok}; hand-off messages decoded ok: {handoffs_ok}");
    println!("panics: {panics}");
    panics
}
