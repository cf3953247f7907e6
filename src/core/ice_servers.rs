//! STUN and TURN server URLs (RFC 7064, RFC 7065), and what a test gathering says about each one.
//!
//! Settings keep the URLs as the user typed them; this module checks them strictly enough that a
//! typo gets a message naming the line, and judges the result of "Test servers" in Settings: a
//! gathering with one server at a time, so every candidate or error belongs to that server.

use std::fmt;

/// Longest URL accepted: real ones are well under 100 characters.
pub const MAX_URL_LEN: usize = 512;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Stun,
    Stuns,
    Turn,
    Turns,
}

impl Scheme {
    pub fn is_turn(self) -> bool {
        matches!(self, Self::Turn | Self::Turns)
    }

    fn default_port(self) -> u16 {
        match self {
            Self::Stun | Self::Turn => 3478,
            Self::Stuns | Self::Turns => 5349,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

/// A parsed `stun:`, `stuns:`, `turn:` or `turns:` URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IceServerUrl {
    pub scheme: Scheme,
    /// Host name, IPv4 address, or IPv6 address without its brackets.
    pub host: String,
    pub port: Option<u16>,
    /// Only TURN URLs may name one (`?transport=udp|tcp`).
    pub transport: Option<Transport>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IceUrlError {
    #[error("“{0}” is not a STUN or TURN URL. Each line must start with stun:, stuns:, turn: or turns:.")]
    UnknownScheme(String),
    #[error("“{0}” names no server: write it as stun:host:port or turn:host:port.")]
    NoHost(String),
    #[error("“{0}” has a port that is not a number from 1 to 65535.")]
    BadPort(String),
    #[error("“{0}”: only turn: and turns: URLs take ?transport=udp or ?transport=tcp, and nothing else may follow the port.")]
    BadQuery(String),
    #[error("“{0}” is too long or contains spaces.")]
    Malformed(String),
}

impl IceServerUrl {
    pub fn parse(url: &str) -> Result<Self, IceUrlError> {
        let owned = || url.to_owned();
        if url.len() > MAX_URL_LEN || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(IceUrlError::Malformed(owned()));
        }
        let (scheme_text, rest) = url
            .split_once(':')
            .ok_or_else(|| IceUrlError::UnknownScheme(owned()))?;
        let scheme = match scheme_text.to_ascii_lowercase().as_str() {
            "stun" => Scheme::Stun,
            "stuns" => Scheme::Stuns,
            "turn" => Scheme::Turn,
            "turns" => Scheme::Turns,
            _ => return Err(IceUrlError::UnknownScheme(owned())),
        };
        // "stun://host" is a common slip; browsers refuse it, so do we, with a clear message.
        if rest.starts_with('/') {
            return Err(IceUrlError::NoHost(owned()));
        }
        let (authority, query) = match rest.split_once('?') {
            Some((authority, query)) => (authority, Some(query)),
            None => (rest, None),
        };
        let transport = match query {
            None => None,
            Some(_) if !scheme.is_turn() => return Err(IceUrlError::BadQuery(owned())),
            Some(query) => match query.to_ascii_lowercase().as_str() {
                "transport=udp" => Some(Transport::Udp),
                "transport=tcp" => Some(Transport::Tcp),
                _ => return Err(IceUrlError::BadQuery(owned())),
            },
        };
        let (host, port_text) =
            split_host_port(authority).ok_or_else(|| IceUrlError::NoHost(owned()))?;
        if !is_host(host) {
            return Err(IceUrlError::NoHost(owned()));
        }
        let port = match port_text {
            None => None,
            Some(text) => Some(
                text.parse::<u16>()
                    .ok()
                    .filter(|port| *port != 0 && text.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| IceUrlError::BadPort(owned()))?,
            ),
        };
        Ok(Self {
            scheme,
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port,
            transport,
        })
    }

    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or_else(|| self.scheme.default_port())
    }

    /// "203.0.113.1:3478", as the server is shown to people.
    pub fn host_port(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.effective_port())
        } else {
            format!("{}:{}", self.host, self.effective_port())
        }
    }
}

/// `host[:port]`, `[v6]` or `[v6]:port`. `None` when the brackets do not close.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if authority.starts_with('[') {
        let close = authority.find(']')?;
        let (host, after) = authority.split_at(close + 1);
        return match after {
            "" => Some((host, None)),
            _ => after.strip_prefix(':').map(|port| (host, Some(port))),
        };
    }
    Some(match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    })
}

fn is_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<std::net::Ipv6Addr>().is_ok();
    }
    !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
}

/// What a test gathering with one server produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerProbe {
    /// Candidates as the browser wrote them (`candidate:… typ srflx …`).
    pub candidates: Vec<String>,
    /// `icecandidateerror` events: the STUN/TURN error code and the browser's text.
    pub errors: Vec<(u16, String)>,
    /// The browser said gathering is complete (else the deadline ended it).
    pub complete: bool,
}

/// The verdict on one server, shown in Settings.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ServerVerdict {
    /// STUN answered: this is the address the internet sees.
    PublicAddress(String),
    /// TURN allocated a relay address.
    Relay(String),
    /// TURN answered but refused the username or credential.
    RefusedCredentials,
    /// TURN answered (it told us our public address) but allocated no relay.
    NoRelay(String),
    /// Nothing came back within the deadline.
    Unreachable { waited_ms: u32 },
    /// The browser reported another error.
    Error(String),
}

impl ServerVerdict {
    pub fn is_ok(&self) -> bool {
        matches!(self, Self::PublicAddress(_) | Self::Relay(_))
    }
}

impl fmt::Display for ServerVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PublicAddress(address) => write!(f, "Works: your public address is {address}."),
            Self::Relay(address) => write!(f, "Works: relay address {address}."),
            Self::RefusedCredentials => f.write_str(
                "The server refused the TURN username or credential. Check both fields.",
            ),
            Self::NoRelay(address) => write!(
                f,
                "Answered (your public address is {address}) but gave no relay address."
            ),
            Self::Unreachable { waited_ms } => write!(
                f,
                "No answer within {} s: the server is unreachable, the address or port is wrong, or a firewall blocks it.",
                // Whole seconds, in integers: float formatting costs the wasm kilobytes.
                (waited_ms + 500) / 1000
            ),
            Self::Error(text) => write!(f, "Failed: {text}"),
        }
    }
}

/// STUN/TURN error 401: the long-term credentials were refused (RFC 8489 §9.2).
const UNAUTHORIZED: u16 = 401;

/// Judges one server from its test gathering. `waited_ms` is how long the test waited.
pub fn judge(server: &IceServerUrl, probe: &ServerProbe, waited_ms: u32) -> ServerVerdict {
    let found = |wanted: &str| {
        probe
            .candidates
            .iter()
            .filter_map(|line| candidate_type_and_address(line))
            .find(|(kind, _)| *kind == wanted)
            .map(|(_, address)| address)
    };
    if server.scheme.is_turn() {
        if let Some(relay) = found("relay") {
            return ServerVerdict::Relay(relay);
        }
        if probe.errors.iter().any(|(code, _)| *code == UNAUTHORIZED) {
            return ServerVerdict::RefusedCredentials;
        }
        if let Some(public) = found("srflx") {
            return ServerVerdict::NoRelay(public);
        }
    } else if let Some(public) = found("srflx") {
        return ServerVerdict::PublicAddress(public);
    }
    match probe.errors.first() {
        Some((_, text)) if !text.is_empty() => ServerVerdict::Error(text.clone()),
        Some((code, _)) => ServerVerdict::Error(format!("error {code}")),
        None => ServerVerdict::Unreachable { waited_ms },
    }
}

/// `("srflx", "203.0.113.11:43894")` from a candidate attribute; `None` if it does not parse.
pub fn candidate_type_and_address(line: &str) -> Option<(&str, String)> {
    let line = line.strip_prefix("a=").unwrap_or(line);
    let fields: Vec<&str> = line.strip_prefix("candidate:")?.split(' ').collect();
    // foundation component transport priority address port "typ" type …
    if fields.len() < 8 || fields[6] != "typ" {
        return None;
    }
    let address = fields[4];
    let port = fields[5].parse::<u16>().ok()?;
    let shown = if address.contains(':') {
        format!("[{address}]:{port}")
    } else {
        format!("{address}:{port}")
    };
    Some((fields[7], shown))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> IceServerUrl {
        IceServerUrl::parse(text).unwrap()
    }

    #[test]
    fn parses_the_forms_people_write() {
        let turn = url("turn:203.0.113.1:3478?transport=tcp");
        assert_eq!(turn.scheme, Scheme::Turn);
        assert_eq!(turn.host, "203.0.113.1");
        assert_eq!(turn.port, Some(3478));
        assert_eq!(turn.transport, Some(Transport::Tcp));
        assert_eq!(
            url("turns:relay.example.org?transport=udp").effective_port(),
            5349
        );
        assert_eq!(
            url("stun:stun.l.google.com:19302").host_port(),
            "stun.l.google.com:19302"
        );
        assert_eq!(
            url("STUN:[2001:db8::1]:3478").host_port(),
            "[2001:db8::1]:3478"
        );
        assert_eq!(url("stun:[2001:db8::1]").effective_port(), 3478);
    }

    #[test]
    fn refuses_with_a_reason() {
        use IceUrlError::*;
        type MakeError = fn(String) -> IceUrlError;
        let cases: [(&str, MakeError); 10] = [
            ("https://x.example", UnknownScheme),
            ("x.example:3478", UnknownScheme),
            ("stun:", NoHost),
            ("stun://x.example", NoHost),
            ("turn:x.example:99999", BadPort),
            ("turn:x.example:0", BadPort),
            ("turn:x.example:+1", BadPort),
            ("stun:x.example?transport=udp", BadQuery),
            ("turn:x.example?transport=sctp", BadQuery),
            ("turn:x .example", Malformed),
        ];
        for (text, error) in cases {
            assert_eq!(
                IceServerUrl::parse(text),
                Err(error(text.to_owned())),
                "{text}"
            );
        }
        assert!(IceServerUrl::parse("stun:[2001:db8::1").is_err());
        assert!(IceServerUrl::parse("stun:[nonsense]:1").is_err());
    }

    fn probe(candidates: &[&str], errors: &[(u16, &str)]) -> ServerProbe {
        ServerProbe {
            candidates: candidates.iter().map(|c| (*c).to_owned()).collect(),
            errors: errors.iter().map(|(c, t)| (*c, (*t).to_owned())).collect(),
            complete: false,
        }
    }

    const HOST: &str = "candidate:1 1 udp 2113937151 a6989988-6243-4675-8aa6-d757ccd18f0f.local 43894 typ host generation 0";
    const SRFLX: &str = "candidate:2 1 udp 1677729535 203.0.113.11 43894 typ srflx raddr 0.0.0.0 rport 0 generation 0";
    const RELAY: &str =
        "candidate:3 1 udp 50339839 203.0.113.1 49568 typ relay raddr 203.0.113.11 rport 43894";

    #[test]
    fn stun_reports_the_public_address() {
        let stun = url("stun:203.0.113.1:3478");
        assert_eq!(
            judge(&stun, &probe(&[HOST, SRFLX], &[]), 5000),
            ServerVerdict::PublicAddress("203.0.113.11:43894".to_owned())
        );
        assert_eq!(
            judge(&stun, &probe(&[HOST], &[]), 5000),
            ServerVerdict::Unreachable { waited_ms: 5000 }
        );
        assert_eq!(
            judge(
                &stun,
                &probe(&[HOST], &[(701, "STUN host lookup received error.")]),
                900
            ),
            ServerVerdict::Error("STUN host lookup received error.".to_owned())
        );
    }

    #[test]
    fn turn_reports_relay_or_refused_credentials() {
        let turn = url("turn:203.0.113.1:3478");
        assert_eq!(
            judge(&turn, &probe(&[HOST, SRFLX, RELAY], &[]), 5000),
            ServerVerdict::Relay("203.0.113.1:49568".to_owned())
        );
        let refused = probe(&[HOST, SRFLX], &[(401, "Unauthorized")]);
        assert_eq!(
            judge(&turn, &refused, 5000),
            ServerVerdict::RefusedCredentials
        );
        assert!(ServerVerdict::RefusedCredentials
            .to_string()
            .contains("refused the TURN username or credential"));
        assert_eq!(
            judge(&turn, &probe(&[HOST, SRFLX], &[]), 5000),
            ServerVerdict::NoRelay("203.0.113.11:43894".to_owned())
        );
        assert_eq!(
            ServerVerdict::Unreachable { waited_ms: 5000 }.to_string(),
            "No answer within 5 s: the server is unreachable, the address or port is wrong, or a firewall blocks it."
        );
    }

    #[test]
    fn candidate_lines_parse_with_or_without_the_attribute_prefix() {
        assert_eq!(
            candidate_type_and_address(&format!("a={SRFLX}")),
            Some(("srflx", "203.0.113.11:43894".to_owned()))
        );
        assert_eq!(
            candidate_type_and_address("candidate:1 1 udp 1 2001:db8::1 9 typ host"),
            Some(("host", "[2001:db8::1]:9".to_owned()))
        );
        assert_eq!(candidate_type_and_address("candidate:1 1 udp"), None);
        assert_eq!(candidate_type_and_address("nonsense"), None);
    }
}
