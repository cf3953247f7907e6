//! The facts of a data-channel-only SDP, parsed strictly, and the canonical SDP rebuilt from them.
//!
//! [`SessionFacts::parse`] returns `None` for anything it cannot carry faithfully; the caller
//! then falls back to the byte-exact `L` form. Each SDP line is either
//!
//! * a **fact** (kept): `a=ice-ufrag`, `a=ice-pwd`, `a=fingerprint`, `a=setup`, `a=candidate`,
//!   `a=end-of-candidates`, `a=sctp-port`, `a=max-message-size`;
//! * a **must-match** line, which has one accepted value and is rebuilt as such:
//!   `v=0`, `a=mid:0`, `a=group:BUNDLE 0` (may be absent), and the one m= line,
//!   `m=application <port> UDP/DTLS/SCTP webrtc-datachannel` (or `TCP/DTLS/SCTP`), rebuilt with
//!   port 9 whatever its port (the default candidate's, which ICE ignores; see `is_media_line`);
//! * **known-ignorable boilerplate** (`is_boilerplate`): `o=`, `s=`, `t=`, `c=` (the default
//!   candidate's address, which ICE ignores; rebuilt as `0.0.0.0`), `a=msid-semantic`, `a=extmap-allow-mixed` and `a=sendrecv` (meaningless
//!   for an application m-section), `a=ice-options:trickle`; and on candidate lines the
//!   `generation 0`, `network-id`, `network-cost` extensions (Chromium's local network hints) and a
//!   `ufrag` extension equal to the session's ufrag;
//! * anything else — which makes the whole SDP not compact-able.
//!
//! Candidate priorities and foundations are recomputed on rebuild (see [`candidate_priority`]);
//! everything else survives exactly.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::core::small_sort::sort_small_by_key;

/// Most candidates a compact record carries; more goes to the fallback.
pub const MAX_CANDIDATES: usize = 32;
pub const DEFAULT_SCTP_PORT: u16 = 5000;
/// RFC 8841's default when `a=max-message-size` is absent is 64 KiB; Chromium sends 262144.
pub const CHROMIUM_MAX_MESSAGE_SIZE: u32 = 262_144;
pub const FIREFOX_MAX_MESSAGE_SIZE: u32 = 1_073_741_823;

/// The m= line a rebuilt SDP has: port 9 and `c=IN IP4 0.0.0.0` say "no default candidate", as
/// browsers write before gathering (JSEP, RFC 8829 §5.2.1).
const MEDIA_LINE: &str = "m=application 9 UDP/DTLS/SCTP webrtc-datachannel";
/// The mid we rebuild (both browsers use "0" for a lone data channel).
const MID: &str = "0";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionFacts {
    pub ice_ufrag: String,
    pub ice_pwd: String,
    pub fingerprint: Fingerprint,
    pub setup: Setup,
    /// In canonical order: by type preference, then by the original priority (both descending).
    pub candidates: Vec<Candidate>,
    pub end_of_candidates: bool,
    pub sctp_port: u16,
    /// `None` when the SDP has no `a=max-message-size` line.
    pub max_message_size: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    pub algorithm: HashAlgorithm,
    pub digest: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlgorithm {
    Sha256,
    Sha1,
    Sha384,
    Sha512,
}

impl HashAlgorithm {
    pub const ALL: [Self; 4] = [Self::Sha256, Self::Sha1, Self::Sha384, Self::Sha512];

    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha-256",
            Self::Sha1 => "sha-1",
            Self::Sha384 => "sha-384",
            Self::Sha512 => "sha-512",
        }
    }

    pub fn digest_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha1 => 20,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setup {
    Actpass,
    Active,
    Passive,
}

impl Setup {
    pub const ALL: [Self; 3] = [Self::Actpass, Self::Active, Self::Passive];

    pub fn name(self) -> &'static str {
        match self {
            Self::Actpass => "actpass",
            Self::Active => "active",
            Self::Passive => "passive",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// 1 or 2 (RTP / RTCP); a data channel only ever uses 1.
    pub component: u8,
    pub transport: Transport,
    pub address: Address,
    pub port: u16,
    pub kind: CandidateType,
    /// `raddr`/`rport`: only on non-host candidates, and optional there (privacy).
    pub related: Option<(Address, u16)>,
    /// Only on TCP candidates; `None` when the line has no `tcptype`.
    pub tcp_type: Option<TcpType>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CandidateType {
    Host,
    Srflx,
    Prflx,
    Relay,
}

impl CandidateType {
    pub const ALL: [Self; 4] = [Self::Host, Self::Srflx, Self::Prflx, Self::Relay];

    pub fn name(self) -> &'static str {
        match self {
            Self::Host => "host",
            Self::Srflx => "srflx",
            Self::Prflx => "prflx",
            Self::Relay => "relay",
        }
    }

    /// RFC 8445 §5.1.2.2 recommended type preferences.
    pub fn type_preference(self) -> u32 {
        match self {
            Self::Host => 126,
            Self::Prflx => 110,
            Self::Srflx => 100,
            Self::Relay => 0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpType {
    Active,
    Passive,
    So,
}

impl TcpType {
    pub const ALL: [Self; 3] = [Self::Active, Self::Passive, Self::So];

    pub fn name(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Passive => "passive",
            Self::So => "so",
        }
    }
}

/// A candidate's connection address, in the form that rebuilds its exact text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Address {
    Ipv4([u8; 4]),
    /// Only when the SDP wrote it in the canonical (RFC 5952) form Rust prints.
    Ipv6([u8; 16]),
    /// `<lowercase uuid>.local`, as browsers publish host addresses with mDNS.
    Mdns([u8; 16]),
    /// Any other token, verbatim (printable ASCII, 1–255 bytes).
    Name(String),
}

impl Address {
    pub const MAX_NAME_LEN: usize = 255;

    fn parse(text: &str) -> Option<Self> {
        if let Ok(v4) = text.parse::<Ipv4Addr>() {
            if v4.to_string() == text {
                return Some(Self::Ipv4(v4.octets()));
            }
        }
        if let Ok(v6) = text.parse::<Ipv6Addr>() {
            if v6.to_string() == text {
                return Some(Self::Ipv6(v6.octets()));
            }
        }
        if let Some(uuid) = text.strip_suffix(".local").and_then(parse_lowercase_uuid) {
            return Some(Self::Mdns(uuid));
        }
        let name_ok = !text.is_empty()
            && text.len() <= Self::MAX_NAME_LEN
            && text.bytes().all(|b| b.is_ascii_graphic());
        name_ok.then(|| Self::Name(text.to_owned()))
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ipv4(octets) => write!(f, "{}", Ipv4Addr::from(*octets)),
            Self::Ipv6(octets) => write!(f, "{}", Ipv6Addr::from(*octets)),
            Self::Mdns(uuid) => {
                for (index, byte) in uuid.iter().enumerate() {
                    if matches!(index, 4 | 6 | 8 | 10) {
                        f.write_str("-")?;
                    }
                    write!(f, "{byte:02x}")?;
                }
                f.write_str(".local")
            }
            Self::Name(name) => f.write_str(name),
        }
    }
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lowercase hex only (uppercase would not rebuild exactly).
fn parse_lowercase_uuid(text: &str) -> Option<[u8; 16]> {
    let bytes = text.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let mut uuid = [0u8; 16];
    let mut nibbles = 0;
    for (index, &c) in bytes.iter().enumerate() {
        if matches!(index, 8 | 13 | 18 | 23) {
            if c != b'-' {
                return None;
            }
            continue;
        }
        let value = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => return None,
        };
        uuid[nibbles / 2] |= if nibbles % 2 == 0 { value << 4 } else { value };
        nibbles += 1;
    }
    Some(uuid)
}

/// ICE ufrag/pwd characters (RFC 8839 `ice-char`): the base64 alphabet, so 6 bits each.
pub const ICE_CHARS: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
pub const UFRAG_LEN: std::ops::RangeInclusive<usize> = 4..=256;
pub const PWD_LEN: std::ops::RangeInclusive<usize> = 22..=256;

fn is_ice_string(text: &str, lengths: std::ops::RangeInclusive<usize>) -> bool {
    lengths.contains(&text.len()) && text.bytes().all(|b| ICE_CHARS.contains(&b))
}

/// A data channel's m= line. Once candidates are gathered, browsers put the default candidate's
/// port here (and its address on `c=`): the "default destination" of RFC 8839, for a peer that
/// does not do ICE. An ICE agent connects by the candidates alone, so any port is accepted and the
/// rebuild says 9. Port 0 is not: it rejects the m-section. `TCP/DTLS/SCTP` is how JSEP names the proto
/// when the default candidate is TCP; both browsers take either proto for a data channel.
fn is_media_line(line: &str) -> bool {
    line.strip_prefix("m=application ")
        .and_then(|rest| {
            rest.strip_suffix(" UDP/DTLS/SCTP webrtc-datachannel")
                .or_else(|| rest.strip_suffix(" TCP/DTLS/SCTP webrtc-datachannel"))
        })
        .and_then(parse_decimal::<u16>)
        .is_some_and(|port| port != 0)
}

/// Lines that carry nothing a data-channel-only ICE/DTLS/SCTP session needs (see module docs).
fn is_boilerplate(line: &str) -> bool {
    line.starts_with("o=")
        || line.starts_with("s=")
        || line.starts_with("t=")
        || line.starts_with("c=IN IP4 ")
        || line.starts_with("c=IN IP6 ")
        || line.starts_with("a=msid-semantic:")
        || line == "a=extmap-allow-mixed"
        || line == "a=sendrecv"
        || line == "a=ice-options:trickle"
}

/// Keeps the first value of a fact; a second occurrence makes the SDP not compact-able.
fn set_once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

impl SessionFacts {
    /// The facts of `sdp`, or `None` when it holds anything a rebuild would not reproduce.
    pub fn parse(sdp: &str) -> Option<Self> {
        let mut ufrag = None;
        let mut pwd = None;
        let mut fingerprint = None;
        let mut setup = None;
        let mut mid = None;
        let mut bundle = None;
        let mut sctp_port = None;
        let mut max_message_size = None;
        let mut end_of_candidates = false;
        let mut candidate_lines = Vec::new();
        let mut media_lines = 0;

        // SDP lines end in CRLF; a bare LF is tolerated (the facts are the same). The text after
        // the last line ending must be empty: an unterminated line is not something we rebuild.
        let body = sdp.strip_suffix('\n')?;
        let mut lines = body
            .split('\n')
            .map(|line| line.strip_suffix('\r').unwrap_or(line));
        if lines.next()? != "v=0" {
            return None;
        }
        for line in lines {
            if line.starts_with("m=") {
                media_lines += 1;
                if media_lines > 1 || !is_media_line(line) {
                    return None;
                }
            } else if is_boilerplate(line) {
                // Known not to matter; rebuilt as our own boilerplate.
            } else if let Some(value) = line.strip_prefix("a=candidate:") {
                if media_lines == 0 || candidate_lines.len() == MAX_CANDIDATES {
                    return None;
                }
                candidate_lines.push(value);
            } else if line == "a=end-of-candidates" {
                if end_of_candidates {
                    return None;
                }
                end_of_candidates = true;
            } else if let Some(value) = line.strip_prefix("a=ice-ufrag:") {
                set_once(&mut ufrag, value)?;
            } else if let Some(value) = line.strip_prefix("a=ice-pwd:") {
                set_once(&mut pwd, value)?;
            } else if let Some(value) = line.strip_prefix("a=fingerprint:") {
                set_once(&mut fingerprint, parse_fingerprint(value)?)?;
            } else if let Some(value) = line.strip_prefix("a=setup:") {
                let parsed = Setup::ALL.into_iter().find(|setup| setup.name() == value)?;
                set_once(&mut setup, parsed)?;
            } else if let Some(value) = line.strip_prefix("a=mid:") {
                set_once(&mut mid, value)?;
            } else if let Some(value) = line.strip_prefix("a=group:BUNDLE ") {
                set_once(&mut bundle, value)?;
            } else if let Some(value) = line.strip_prefix("a=sctp-port:") {
                set_once(&mut sctp_port, parse_decimal::<u16>(value)?)?;
            } else if let Some(value) = line.strip_prefix("a=max-message-size:") {
                set_once(&mut max_message_size, parse_decimal::<u32>(value)?)?;
            } else {
                return None;
            }
        }
        if media_lines != 1 || mid? != MID || bundle.is_some_and(|group| group != MID) {
            return None;
        }
        let ice_ufrag = ufrag.filter(|u| is_ice_string(u, UFRAG_LEN))?;
        let ice_pwd = pwd.filter(|p| is_ice_string(p, PWD_LEN))?;

        let mut ranked = candidate_lines
            .into_iter()
            .map(|line| parse_candidate(line, ice_ufrag))
            .collect::<Option<Vec<_>>>()?;
        // Canonical order, so that rebuilt priorities (which rank by type, then by position)
        // parse back into the same order. The sort is stable: ties keep SDP order.
        sort_small_by_key(&mut ranked, |(candidate, priority)| {
            std::cmp::Reverse((candidate.kind.type_preference(), *priority))
        });

        Some(Self {
            ice_ufrag: ice_ufrag.to_owned(),
            ice_pwd: ice_pwd.to_owned(),
            fingerprint: fingerprint?,
            setup: setup?,
            candidates: ranked.into_iter().map(|(candidate, _)| candidate).collect(),
            end_of_candidates,
            sctp_port: sctp_port?,
            max_message_size,
        })
    }

    /// In a relay-only session (every candidate a relay), replaces each related address that
    /// could name the person's own or their router's address with the unspecified one (of the
    /// candidate's family), as Chromium writes it there: relay-only is how a person keeps those
    /// out of the link, and a browser that named one as a relay's `raddr` would give it away.
    /// A related address that is one of the session's relays (Firefox names the relay itself)
    /// reveals nothing and stays. ICE does not use related addresses (RFC 8839 §5.1: they are
    /// for diagnostics), so the session is the same.
    pub fn hide_related_addresses_when_relay_only(&mut self) {
        if !self.is_relay_only() {
            return;
        }
        let safe: Vec<bool> = self
            .candidates
            .iter()
            .map(|candidate| self.related_reveals_nothing(candidate))
            .collect();
        for (candidate, safe) in self.candidates.iter_mut().zip(safe) {
            if !safe {
                let unspecified = match candidate.address {
                    Address::Ipv6(_) => Address::Ipv6([0; 16]),
                    _ => Address::Ipv4([0; 4]),
                };
                candidate.related = Some((unspecified, 0));
            }
        }
    }

    /// True unless this is a relay-only session with a related address that could reveal
    /// something: what [`Self::hide_related_addresses_when_relay_only`] leaves.
    pub fn related_addresses_hidden_when_relay_only(&self) -> bool {
        !self.is_relay_only()
            || self
                .candidates
                .iter()
                .all(|candidate| self.related_reveals_nothing(candidate))
    }

    fn is_relay_only(&self) -> bool {
        !self.candidates.is_empty()
            && self
                .candidates
                .iter()
                .all(|candidate| candidate.kind == CandidateType::Relay)
    }

    /// No related address, the unspecified one with port 0, or the address of a candidate of
    /// this session.
    fn related_reveals_nothing(&self, candidate: &Candidate) -> bool {
        match &candidate.related {
            None => true,
            Some((Address::Ipv4(octets), 0)) if *octets == [0; 4] => true,
            Some((Address::Ipv6(octets), 0)) if *octets == [0; 16] => true,
            Some((address, _)) => self.candidates.iter().any(|c| c.address == *address),
        }
    }

    /// The canonical SDP for these facts. `session_id` only fills the o= line.
    pub fn rebuild(&self, session_id: u64) -> String {
        let mut sdp = String::with_capacity(600 + 120 * self.candidates.len());
        // `write!` to a String cannot fail; the results are ignored for that reason.
        let _ = write!(
            sdp,
            "v=0\r\no=- {session_id} 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE {MID}\r\n\
             a=msid-semantic: WMS\r\n{MEDIA_LINE}\r\nc=IN IP4 0.0.0.0\r\n"
        );
        for (index, candidate) in self.candidates.iter().enumerate() {
            let _ = write!(
                sdp,
                "a=candidate:{foundation} {component} {transport} {priority} {address} {port} typ {kind}",
                foundation = index + 1,
                component = candidate.component,
                transport = match candidate.transport {
                    Transport::Udp => "udp",
                    Transport::Tcp => "tcp",
                },
                priority = candidate_priority(candidate, index),
                address = candidate.address,
                port = candidate.port,
                kind = candidate.kind.name(),
            );
            if let Some((address, port)) = &candidate.related {
                let _ = write!(sdp, " raddr {address} rport {port}");
            }
            if let Some(tcp_type) = candidate.tcp_type {
                let _ = write!(sdp, " tcptype {}", tcp_type.name());
            }
            sdp.push_str("\r\n");
        }
        if self.end_of_candidates {
            sdp.push_str("a=end-of-candidates\r\n");
        }
        let _ = write!(
            sdp,
            "a=ice-ufrag:{}\r\na=ice-pwd:{}\r\na=ice-options:trickle\r\na=fingerprint:{} ",
            self.ice_ufrag,
            self.ice_pwd,
            self.fingerprint.algorithm.name()
        );
        for (index, byte) in self.fingerprint.digest.iter().enumerate() {
            let separator = if index == 0 { "" } else { ":" };
            let _ = write!(sdp, "{separator}{byte:02X}");
        }
        let _ = write!(
            sdp,
            "\r\na=setup:{}\r\na=mid:{MID}\r\na=sctp-port:{}\r\n",
            self.setup.name(),
            self.sctp_port
        );
        if let Some(size) = self.max_message_size {
            let _ = write!(sdp, "a=max-message-size:{size}\r\n");
        }
        sdp
    }
}

/// RFC 8445 §5.1.2.1: `2^24 * type preference + 2^8 * local preference + (256 - component)`.
/// Local preference falls with the candidate's position in canonical order, so candidates of the
/// same type keep the order their own agent gave them.
pub fn candidate_priority(candidate: &Candidate, index: usize) -> u32 {
    let local_preference = 65_535u32.saturating_sub(index as u32);
    (candidate.kind.type_preference() << 24)
        + (local_preference << 8)
        + (256 - u32::from(candidate.component))
}

/// Strict decimal: ASCII digits only (no sign, no spaces), value must fit.
fn parse_decimal<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // A leading zero would not be rebuilt as written.
    if text.len() > 1 && text.starts_with('0') {
        return None;
    }
    text.parse().ok()
}

/// `<algorithm> XX:XX:...` with the digest length the algorithm implies. Hex of either case is
/// accepted (RFC 8122 compares case-insensitively) and rebuilt upper case, as browsers write it.
fn parse_fingerprint(value: &str) -> Option<Fingerprint> {
    let (name, hex) = value.split_once(' ')?;
    let algorithm = HashAlgorithm::ALL
        .into_iter()
        .find(|a| a.name().eq_ignore_ascii_case(name))?;
    let digest = hex
        .split(':')
        .map(|pair| {
            let ok = pair.len() == 2 && pair.bytes().all(|b| b.is_ascii_hexdigit());
            ok.then(|| u8::from_str_radix(pair, 16).ok()).flatten()
        })
        .collect::<Option<Vec<u8>>>()?;
    (digest.len() == algorithm.digest_len()).then_some(Fingerprint { algorithm, digest })
}

/// RFC 8839 `candidate-attribute` (after `a=candidate:`), with the original priority for sorting.
fn parse_candidate(line: &str, session_ufrag: &str) -> Option<(Candidate, u32)> {
    let mut fields = line.split(' ');
    let foundation = fields.next()?;
    if foundation.is_empty()
        || foundation.len() > 32
        || !foundation.bytes().all(|b| ICE_CHARS.contains(&b))
    {
        return None;
    }
    let component = match fields.next()? {
        "1" => 1,
        "2" => 2,
        _ => return None,
    };
    let transport = match fields.next()? {
        t if t.eq_ignore_ascii_case("udp") => Transport::Udp,
        t if t.eq_ignore_ascii_case("tcp") => Transport::Tcp,
        _ => return None,
    };
    let priority = parse_decimal::<u32>(fields.next()?)?;
    let address = Address::parse(fields.next()?)?;
    let port = parse_decimal::<u16>(fields.next()?)?;
    if fields.next()? != "typ" {
        return None;
    }
    let type_name = fields.next()?;
    let kind = CandidateType::ALL
        .into_iter()
        .find(|kind| kind.name() == type_name)?;

    let mut related_address = None;
    let mut related_port = None;
    let mut tcp_type = None;
    let mut seen_boilerplate: Vec<&str> = Vec::new();
    while let Some(name) = fields.next() {
        let value = fields.next()?;
        match name {
            "raddr" => set_once(&mut related_address, Address::parse(value)?)?,
            "rport" => set_once(&mut related_port, parse_decimal::<u16>(value)?)?,
            "tcptype" => set_once(
                &mut tcp_type,
                TcpType::ALL.into_iter().find(|t| t.name() == value)?,
            )?,
            // Chromium's hints about its own networks; meaningless to the remote side.
            "generation" if value == "0" => {}
            "network-id" | "network-cost" if parse_decimal::<u32>(value).is_some() => {}
            "ufrag" if value == session_ufrag => {}
            _ => return None,
        }
        if matches!(name, "generation" | "network-id" | "network-cost" | "ufrag") {
            if seen_boilerplate.contains(&name) {
                return None;
            }
            seen_boilerplate.push(name);
        }
    }
    let related = match (related_address, related_port) {
        (Some(address), Some(port)) if kind != CandidateType::Host => Some((address, port)),
        (None, None) => None,
        _ => return None,
    };
    if tcp_type.is_some() && transport != Transport::Tcp {
        return None;
    }
    Some((
        Candidate {
            component,
            transport,
            address,
            port,
            kind,
            related,
            tcp_type,
        },
        priority,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROMIUM_OFFER: &str = "v=0\r\no=- 3919444425302428661 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=candidate:1365923326 1 udp 2113937151 3afcc074-c48f-468d-bd6a-1f05b56c7961.local 49455 typ host generation 0 network-cost 999\r\na=candidate:1444428110 1 udp 2113942271 d380320d-f996-48e1-92e9-5f68f116ece7.local 45628 typ host generation 0 network-cost 999\r\na=ice-ufrag:cVAj\r\na=ice-pwd:gMxm8Xqo7bmv5JG9RzP/XmJb\r\na=ice-options:trickle\r\na=fingerprint:sha-256 B2:67:B9:CB:1B:E2:FB:19:83:B9:D2:CB:5D:13:EE:EB:60:44:B0:BD:AC:C0:49:51:8D:6C:DD:E1:AC:95:7C:F0\r\na=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";

    #[test]
    fn parses_chromium_offer() {
        let facts = SessionFacts::parse(CHROMIUM_OFFER).expect("compact-able");
        assert_eq!(facts.ice_ufrag, "cVAj");
        assert_eq!(facts.ice_pwd, "gMxm8Xqo7bmv5JG9RzP/XmJb");
        assert_eq!(facts.setup, Setup::Actpass);
        assert_eq!(facts.candidates.len(), 2);
        // Higher original priority first.
        assert_eq!(
            facts.candidates[0].address.to_string(),
            "d380320d-f996-48e1-92e9-5f68f116ece7.local"
        );
        assert_eq!(facts.candidates[0].port, 45628);
        assert_eq!(facts.max_message_size, Some(CHROMIUM_MAX_MESSAGE_SIZE));
        assert!(!facts.end_of_candidates);
    }

    #[test]
    fn rebuild_parses_back_to_the_same_facts() {
        let facts = SessionFacts::parse(CHROMIUM_OFFER).expect("compact-able");
        let rebuilt = facts.rebuild(42);
        assert_eq!(SessionFacts::parse(&rebuilt), Some(facts));
    }

    #[test]
    fn addresses_keep_their_text() {
        for text in [
            "10.0.0.1",
            "2001:db8::1",
            "::1",
            "fe80::1:2",
            "abcdef01-2345-4789-8bcd-ef0123456789.local",
            "host.example",
            "2001:DB8::1",
            "010.0.0.1",
        ] {
            assert_eq!(
                Address::parse(text).map(|a| a.to_string()),
                Some(text.to_owned())
            );
        }
        assert!(matches!(
            Address::parse("2001:DB8::1"),
            Some(Address::Name(_))
        ));
        assert!(matches!(
            Address::parse("ABCDEF01-2345-4789-8BCD-EF0123456789.local"),
            Some(Address::Name(_))
        ));
        assert_eq!(Address::parse(""), None);
        assert_eq!(Address::parse("a\u{7f}b"), None);
    }

    #[test]
    fn the_default_candidate_on_m_and_c_is_ignored() {
        let facts = SessionFacts::parse(CHROMIUM_OFFER);
        assert!(facts.is_some());
        for (media, connection) in [
            ("m=application 45628 UDP/DTLS/SCTP", "c=IN IP4 203.0.113.11"),
            ("m=application 65535 UDP/DTLS/SCTP", "c=IN IP6 2001:db8::1"),
            ("m=application 1 TCP/DTLS/SCTP", "c=IN IP4 198.51.100.3"),
        ] {
            let sdp = CHROMIUM_OFFER
                .replace("m=application 9 UDP/DTLS/SCTP", media)
                .replace("c=IN IP4 0.0.0.0", connection);
            assert_eq!(SessionFacts::parse(&sdp), facts, "{media} / {connection}");
        }
    }

    #[test]
    fn relay_only_facts_hide_related_addresses() {
        let relay_only = CHROMIUM_OFFER
            .replace(
                "a=candidate:1365923326 1 udp 2113937151 3afcc074-c48f-468d-bd6a-1f05b56c7961.local 49455 typ host",
                "a=candidate:1 1 udp 41885439 198.51.100.3 50000 typ relay raddr 203.0.113.7 rport 61000",
            )
            .replace(
                "a=candidate:1444428110 1 udp 2113942271 d380320d-f996-48e1-92e9-5f68f116ece7.local 45628 typ host",
                "a=candidate:2 1 udp 41885438 2001:db8::3 50001 typ relay raddr 10.0.0.2 rport 5\r\n\
                 a=candidate:3 1 udp 41885437 198.51.100.3 50002 typ relay raddr 198.51.100.3 rport 50000",
            );
        let mut facts = SessionFacts::parse(&relay_only).expect("compact-able");
        facts.hide_related_addresses_when_relay_only();
        let related: Vec<_> = facts.candidates.iter().map(|c| c.related.clone()).collect();
        // The NAT's and the host's are hidden; a relay's own address (as Firefox writes) stays.
        assert_eq!(
            related,
            [
                Some((Address::Ipv4([0; 4]), 0)),
                Some((Address::Ipv6([0; 16]), 0)),
                Some((Address::Ipv4([198, 51, 100, 3]), 50_000)),
            ]
        );
        assert!(facts.related_addresses_hidden_when_relay_only());
        // With any other candidate, related addresses are as given.
        let mixed = relay_only.replace(
            "a=ice-ufrag",
            "a=candidate:3 1 udp 1686052607 203.0.113.7 61000 typ srflx raddr 10.0.0.2 rport 5\r\na=ice-ufrag",
        );
        let mut facts = SessionFacts::parse(&mixed).expect("compact-able");
        let before = facts.clone();
        facts.hide_related_addresses_when_relay_only();
        assert_eq!(facts, before);
    }

    #[test]
    fn refuses_what_it_cannot_rebuild() {
        let cases = [
            CHROMIUM_OFFER.replace("a=mid:0", "a=mid:data"),
            CHROMIUM_OFFER.replace("sha-256", "md5"),
            CHROMIUM_OFFER.replace("a=setup:actpass", "a=setup:holdconn"),
            CHROMIUM_OFFER.replace("network-cost 999", "network-cost 999 foo bar"),
            CHROMIUM_OFFER.replace("a=sctp-port:5000\r\n", ""),
            CHROMIUM_OFFER.replace("a=sctp-port:5000", "a=sctp-port:05000"),
            CHROMIUM_OFFER.replace("a=ice-ufrag:cVAj", "a=ice-ufrag:cVA"),
            CHROMIUM_OFFER.replace("a=ice-ufrag:cVAj", "a=ice-ufrag:cV-j"),
            CHROMIUM_OFFER.replace("a=mid:0\r\n", "a=mid:0\r\na=bundle-only\r\n"),
            CHROMIUM_OFFER.replace(
                "typ host generation",
                "typ host raddr 0.0.0.0 rport 0 generation",
            ),
            format!("{CHROMIUM_OFFER}m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"),
            // Port 0 rejects the m-section; the rest is not a data channel's m= line.
            CHROMIUM_OFFER.replace("m=application 9 ", "m=application 0 "),
            CHROMIUM_OFFER.replace("m=application 9 ", "m=application 09 "),
            CHROMIUM_OFFER.replace("m=application 9 ", "m=application 65536 "),
            CHROMIUM_OFFER.replace("UDP/DTLS/SCTP", "DTLS/SCTP"),
            CHROMIUM_OFFER.replace("webrtc-datachannel", "5000"),
            CHROMIUM_OFFER.trim_end().to_owned(),
        ];
        for sdp in cases {
            assert_eq!(SessionFacts::parse(&sdp), None, "{sdp}");
        }
    }
}
