//! The compact forms, `D` (written) and `C` (its predecessor, still read): the facts of the SDP
//! ([`SessionFacts`]) packed as bits, base64url'd (no padding). The two differ only in the
//! related address of a candidate (see [`Format`]).
//!
//! Record bytes:
//!
//! | bytes | content |
//! |---|---|
//! | 1–2 | body length in bytes, LEB128 (minimal; 1 byte up to 127) |
//! | 3 | check: SHA-256(tag, length bytes, body)\[..3\], tag = `"D"` or `"C"` |
//! | n | body: the bit fields below, most significant bit first, zero-padded to a byte |
//!
//! The length comes first so a cut-off code is told apart (`Truncated`) from a changed one
//! (`Damaged`) before the check is computed. The check is against accidental damage only, not an
//! attacker (who could recompute it); see the module docs of `signal`.
//!
//! Body bit fields, in order:
//!
//! | bits | field |
//! |---|---|
//! | 1 | kind: 0 invite, 1 answer |
//! | 64 | invite id |
//! | 2 | setup: 0 actpass, 1 active, 2 passive (3 invalid) |
//! | ice string | ice-ufrag (lengths from 4) |
//! | ice string | ice-pwd (lengths from 22) |
//! | 2 | fingerprint algorithm: 0 sha-256, 1 sha-1, 2 sha-384, 3 sha-512 |
//! | 8 × 20/32/48/64 | fingerprint digest (length implied by the algorithm) |
//! | 1 (+16) | sctp-port: 0 = 5000, 1 = the port follows |
//! | 2 (+32) | max-message-size: 0 = 262144 (Chromium), 1 = 1073741823 (Firefox), 2 = absent, 3 = value follows |
//! | 1 | end-of-candidates present |
//! | 1 | 0 = every candidate is component 1 (then no per-candidate component bit) |
//! | per candidate | 1 (= another candidate follows), then the candidate; a 0 ends the list (at most 32) |
//!
//! Ice string: 1 bit alphabet (0 = ice-char, 6 bits each; 1 = lowercase hex, 4 bits each — Firefox
//! uses hex), 4 bits `len - min` (15 = escape: 8 more bits give `len - min - 15`), the characters.
//!
//! Candidate: 1 bit transport (0 UDP, 1 TCP); TCP only: 2 bits tcptype (active, passive, so, none);
//! 2 bits type (host, srflx, prflx, relay); 1 bit component (0 → 1, 1 → 2) only if components vary;
//! address; port (TCP: 1 bit "port 9" — the discard port of active TCP — else 16 bits; UDP: 16
//! bits); non-host only: 2 bits related address (`raddr`/`rport`):
//!
//! * 0: none;
//! * 1: the unspecified address with port 0, as browsers write it when they hide the real one
//!   (with mDNS host names, or in relay-only mode): `::` for an IPv6 candidate in `D`,
//!   `0.0.0.0` otherwise (in `C` always `0.0.0.0`);
//! * 2: address + 16-bit port;
//! * 3 (`D` only): the address and port of a candidate earlier in the record, or of this one
//!   (index in `ceil(log2(earlier + 1))` bits) — a relay's related address is its
//!   server-reflexive one. In `C`, 3 is invalid.
//!
//! Only one encoding of a signal is valid: `D` uses 1 or 3 whenever they apply (first matching
//! candidate), and the decoder re-packs what it read and refuses a record that differs.
//!
//! Address: 2 bits: 0 = same as an earlier address (index into the addresses seen so far, in
//! `ceil(log2(count))` bits — Firefox repeats each mDNS name for its TCP candidate), 1 = mDNS
//! name of a version-4 UUID (122 bits: the 6 fixed version/variant bits are implied), 2 = IPv4
//! (32 bits), 3 = 2 more bits: 0 IPv6 (128), 1 mDNS name of another UUID (128), 2 any other
//! name (8-bit length, then bytes).

use super::bits::{base64url_decode, base64url_encode, bits_for_choices, BitReader, BitWriter};
use super::sdp::{
    Address, Candidate, CandidateType, Fingerprint, HashAlgorithm, SessionFacts, Setup, TcpType,
    Transport, CHROMIUM_MAX_MESSAGE_SIZE, DEFAULT_SCTP_PORT, FIREFOX_MAX_MESSAGE_SIZE, ICE_CHARS,
    MAX_CANDIDATES, PWD_LEN, UFRAG_LEN,
};
use super::{integrity_check, CodeError, InviteId, Signal, SignalKind};

const CHECK_LEN: usize = 3;
/// Two LEB128 bytes hold body lengths up to 16383 bytes, which is past what fits in a code of
/// `MAX_CODE_LEN` characters anyway. A bigger body (only possible with dozens of 255-byte
/// hostnames) fails `encode`'s decode-again check and goes to the fallback.
const MAX_LENGTH_BYTES: usize = 2;
const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Which compact record a code holds; its version tag says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Format {
    /// `C`, the first compact record. No longer written, still read: links people made with it
    /// keep working. Its related address was 2 = explicit for everything but `0.0.0.0 0`.
    V1,
    /// `D`: as `C`, plus two related-address forms that cost no address bits: the unspecified
    /// address of the candidate's own family (`::` as well as `0.0.0.0`), and "the same transport
    /// address as a candidate earlier in the record (or this one)" — a relay's `raddr` is its
    /// server-reflexive candidate. Every field is the one canonical encoding of its value.
    V2,
}

impl Format {
    pub(super) fn tag(self) -> char {
        match self {
            Self::V1 => super::TAG_COMPACT_V1,
            Self::V2 => super::TAG_COMPACT,
        }
    }

    /// The tag as the integrity check's first input, so a record is never valid under another tag.
    fn domain(self) -> [u8; 1] {
        [self.tag() as u8]
    }
}

/// The compact code for `signal`, or `None` when its SDP cannot be carried faithfully.
pub(super) fn encode(signal: &Signal) -> Option<String> {
    let mut facts = SessionFacts::parse(&signal.sdp)?;
    facts.hide_related_addresses_when_relay_only();
    let format = Format::V2;
    let body = pack_body(format, signal.kind, &signal.invite_id, &facts)?;
    let code = format!(
        "{}{}",
        format.tag(),
        base64url_encode(&frame(format, &body))
    );
    // Belt and braces: the code must decode to exactly these facts (which also checks that the
    // SDP it rebuilds parses back to them); otherwise the fallback carries the SDP verbatim.
    let decoded = decode(format, code.get(1..)?).ok()?;
    let same = decoded.kind == signal.kind
        && decoded.invite_id == signal.invite_id
        && SessionFacts::parse(&decoded.sdp).as_ref() == Some(&facts);
    same.then_some(code)
}

/// Reads the record after the tag. Only the one encoding `encode` writes for a signal is
/// accepted (a record is re-packed from what it decoded to, and must come out the same), so a
/// code and the signal it stands for correspond one to one.
pub(super) fn decode(format: Format, body_text: &str) -> Result<Signal, CodeError> {
    let decoded = base64url_decode(body_text).ok_or(CodeError::Damaged)?;
    let bytes = decoded.bytes;
    let (body_len, length_bytes) = read_length(&bytes)?;
    let expected = length_bytes + CHECK_LEN + body_len;
    if bytes.len() < expected {
        return Err(CodeError::Truncated);
    }
    if bytes.len() > expected || !decoded.canonical_end {
        return Err(CodeError::Damaged);
    }
    let (length, rest) = bytes.split_at(length_bytes);
    let (check, body) = rest.split_at(CHECK_LEN);
    if check != integrity_check::<CHECK_LEN>(&[&format.domain(), length, body]) {
        return Err(CodeError::Damaged);
    }
    let (kind, invite_id, facts) = unpack_body(format, body)?;
    let sdp = facts.rebuild(session_id(&invite_id));
    // `D` is written with relay-only related addresses hidden; anything else is not `D`.
    let canonical = (format == Format::V1 || facts.related_addresses_hidden_when_relay_only())
        && pack_body(format, kind, &invite_id, &facts).as_deref() == Some(body)
        && SessionFacts::parse(&sdp).as_ref() == Some(&facts);
    if !canonical {
        return Err(CodeError::Damaged);
    }
    Ok(Signal {
        kind,
        invite_id,
        sdp,
    })
}

/// The o= session id of a rebuilt SDP: derived from the invite id so the same code always
/// rebuilds the same SDP; kept below 2^63 since some parsers read it as a signed 64-bit number.
fn session_id(invite_id: &InviteId) -> u64 {
    u64::from_be_bytes(invite_id.0) >> 1
}

fn frame(format: Format, body: &[u8]) -> Vec<u8> {
    let mut length = Vec::with_capacity(MAX_LENGTH_BYTES);
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
    let check = integrity_check::<CHECK_LEN>(&[&format.domain(), &length, body]);
    [length.as_slice(), &check, body].concat()
}

/// Body length and how many bytes it took. Running out is `Truncated` (the code was cut inside
/// its first characters); an over-long or non-minimal length is `Damaged`.
fn read_length(bytes: &[u8]) -> Result<(usize, usize), CodeError> {
    let mut value = 0usize;
    for index in 0..MAX_LENGTH_BYTES {
        let byte = *bytes.get(index).ok_or(CodeError::Truncated)?;
        value |= usize::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            let minimal = index == 0 || byte != 0;
            return if minimal {
                Ok((value, index + 1))
            } else {
                Err(CodeError::Damaged)
            };
        }
    }
    Err(CodeError::Damaged)
}

fn pack_body(
    format: Format,
    kind: SignalKind,
    invite_id: &InviteId,
    facts: &SessionFacts,
) -> Option<Vec<u8>> {
    let mut out = BitWriter::default();
    out.bit(kind == SignalKind::Answer);
    out.bytes(&invite_id.0);
    out.bits(index_of(&Setup::ALL, &facts.setup)?, 2);
    write_ice_string(&mut out, &facts.ice_ufrag, *UFRAG_LEN.start())?;
    write_ice_string(&mut out, &facts.ice_pwd, *PWD_LEN.start())?;
    out.bits(
        index_of(&HashAlgorithm::ALL, &facts.fingerprint.algorithm)?,
        2,
    );
    out.bytes(&facts.fingerprint.digest);

    if facts.sctp_port == DEFAULT_SCTP_PORT {
        out.bit(false);
    } else {
        out.bit(true);
        out.bits(u64::from(facts.sctp_port), 16);
    }
    match facts.max_message_size {
        Some(CHROMIUM_MAX_MESSAGE_SIZE) => out.bits(0, 2),
        Some(FIREFOX_MAX_MESSAGE_SIZE) => out.bits(1, 2),
        None => out.bits(2, 2),
        Some(size) => {
            out.bits(3, 2);
            out.bits(u64::from(size), 32);
        }
    }
    out.bit(facts.end_of_candidates);

    if facts.candidates.len() > MAX_CANDIDATES {
        return None;
    }
    let components_vary = facts.candidates.iter().any(|c| c.component != 1);
    out.bit(components_vary);
    let mut seen = Vec::new();
    for (index, candidate) in facts.candidates.iter().enumerate() {
        out.bit(true);
        let earlier = &facts.candidates[..index];
        write_candidate(
            format,
            &mut out,
            candidate,
            earlier,
            components_vary,
            &mut seen,
        )?;
    }
    out.bit(false);
    Some(out.finish())
}

fn unpack_body(
    format: Format,
    body: &[u8],
) -> Result<(SignalKind, InviteId, SessionFacts), CodeError> {
    let mut input = BitReader::new(body);
    let kind = if input.bit()? {
        SignalKind::Answer
    } else {
        SignalKind::Invite
    };
    let invite_id = InviteId(input.byte_array()?);
    let setup = pick(&Setup::ALL, input.bits(2)?)?;
    let ice_ufrag = read_ice_string(&mut input, *UFRAG_LEN.start())?;
    let ice_pwd = read_ice_string(&mut input, *PWD_LEN.start())?;
    if !UFRAG_LEN.contains(&ice_ufrag.len()) || !PWD_LEN.contains(&ice_pwd.len()) {
        return Err(CodeError::Damaged);
    }
    let algorithm = pick(&HashAlgorithm::ALL, input.bits(2)?)?;
    let digest = (0..algorithm.digest_len())
        .map(|_| input.bits(8).map(|byte| byte as u8))
        .collect::<Result<Vec<u8>, _>>()?;

    let sctp_port = if input.bit()? {
        input.bits(16)? as u16
    } else {
        DEFAULT_SCTP_PORT
    };
    let max_message_size = match input.bits(2)? {
        0 => Some(CHROMIUM_MAX_MESSAGE_SIZE),
        1 => Some(FIREFOX_MAX_MESSAGE_SIZE),
        2 => None,
        _ => Some(input.bits(32)? as u32),
    };
    let end_of_candidates = input.bit()?;

    let components_vary = input.bit()?;
    let mut seen = Vec::new();
    let mut candidates = Vec::new();
    while input.bit()? {
        if candidates.len() == MAX_CANDIDATES {
            return Err(CodeError::Damaged);
        }
        let candidate =
            read_candidate(format, &mut input, &candidates, components_vary, &mut seen)?;
        candidates.push(candidate);
    }
    if !input.at_clean_end() {
        return Err(CodeError::Damaged);
    }
    let facts = SessionFacts {
        ice_ufrag,
        ice_pwd,
        fingerprint: Fingerprint { algorithm, digest },
        setup,
        candidates,
        end_of_candidates,
        sctp_port,
        max_message_size,
    };
    Ok((kind, invite_id, facts))
}

fn index_of<T: PartialEq>(all: &[T], value: &T) -> Option<u64> {
    all.iter()
        .position(|known| known == value)
        .map(|index| index as u64)
}

fn pick<T: Copy>(all: &[T], index: u64) -> Result<T, CodeError> {
    usize::try_from(index)
        .ok()
        .and_then(|index| all.get(index))
        .copied()
        .ok_or(CodeError::Damaged)
}

const LENGTH_ESCAPE: u64 = 15;

fn write_ice_string(out: &mut BitWriter, text: &str, min_len: usize) -> Option<()> {
    let offset = text.len().checked_sub(min_len)? as u64;
    if offset > LENGTH_ESCAPE + 0xff {
        return None;
    }
    let is_hex = text.bytes().all(|b| HEX_DIGITS.contains(&b));
    out.bit(is_hex);
    if offset < LENGTH_ESCAPE {
        out.bits(offset, 4);
    } else {
        out.bits(LENGTH_ESCAPE, 4);
        out.bits(offset - LENGTH_ESCAPE, 8);
    }
    let (alphabet, width): (&[u8], u32) = if is_hex {
        (HEX_DIGITS, 4)
    } else {
        (ICE_CHARS, 6)
    };
    for byte in text.bytes() {
        out.bits(index_of(alphabet, &byte)?, width);
    }
    Some(())
}

fn read_ice_string(input: &mut BitReader, min_len: usize) -> Result<String, CodeError> {
    let is_hex = input.bit()?;
    let mut offset = input.bits(4)?;
    if offset == LENGTH_ESCAPE {
        offset += input.bits(8)?;
    }
    let len = min_len + offset as usize;
    let (alphabet, width): (&[u8], u32) = if is_hex {
        (HEX_DIGITS, 4)
    } else {
        (ICE_CHARS, 6)
    };
    let mut text = String::with_capacity(len);
    for _ in 0..len {
        // Every index of a 4- or 6-bit field exists in its alphabet.
        text.push(char::from(pick(alphabet, input.bits(width)?)?));
    }
    Ok(text)
}

fn write_candidate(
    format: Format,
    out: &mut BitWriter,
    candidate: &Candidate,
    earlier: &[Candidate],
    components_vary: bool,
    seen: &mut Vec<Address>,
) -> Option<()> {
    out.bit(candidate.transport == Transport::Tcp);
    if candidate.transport == Transport::Tcp {
        let tcp_type = match candidate.tcp_type {
            Some(tcp_type) => index_of(&TcpType::ALL, &tcp_type)?,
            None => 3,
        };
        out.bits(tcp_type, 2);
    } else if candidate.tcp_type.is_some() {
        return None;
    }
    out.bits(index_of(&CandidateType::ALL, &candidate.kind)?, 2);
    if components_vary {
        out.bit(candidate.component == 2);
    } else if candidate.component != 1 {
        return None;
    }
    write_address(out, &candidate.address, seen)?;
    if candidate.transport == Transport::Tcp && candidate.port == 9 {
        out.bit(true);
    } else {
        if candidate.transport == Transport::Tcp {
            out.bit(false);
        }
        out.bits(u64::from(candidate.port), 16);
    }
    if candidate.kind != CandidateType::Host {
        write_related(format, out, candidate, earlier, seen)?;
    } else if candidate.related.is_some() {
        return None;
    }
    Some(())
}

const RELATED_NONE: u64 = 0;
const RELATED_UNSPECIFIED: u64 = 1;
const RELATED_EXPLICIT: u64 = 2;
/// `D` only: the transport address of a candidate earlier in the record, or of this one.
const RELATED_CANDIDATE: u64 = 3;

/// What browsers write as `raddr`/`rport` when they hide the real one: the unspecified address
/// of the candidate's family with port 0. `C` knew only the IPv4 form.
fn unspecified_related(format: Format, address: &Address) -> (Address, u16) {
    match (format, address) {
        (Format::V2, Address::Ipv6(_)) => (Address::Ipv6([0; 16]), 0),
        _ => (Address::Ipv4([0; 4]), 0),
    }
}

fn write_related(
    format: Format,
    out: &mut BitWriter,
    candidate: &Candidate,
    earlier: &[Candidate],
    seen: &mut Vec<Address>,
) -> Option<()> {
    let Some(related) = &candidate.related else {
        out.bits(RELATED_NONE, 2);
        return Some(());
    };
    if *related == unspecified_related(format, &candidate.address) {
        out.bits(RELATED_UNSPECIFIED, 2);
        return Some(());
    }
    if format == Format::V2 {
        let same = earlier
            .iter()
            .chain(std::iter::once(candidate))
            .position(|other| other.address == related.0 && other.port == related.1);
        if let Some(index) = same {
            out.bits(RELATED_CANDIDATE, 2);
            out.bits(index as u64, bits_for_choices(earlier.len() + 1));
            return Some(());
        }
    }
    out.bits(RELATED_EXPLICIT, 2);
    write_address(out, &related.0, seen)?;
    out.bits(u64::from(related.1), 16);
    Some(())
}

fn read_candidate(
    format: Format,
    input: &mut BitReader,
    earlier: &[Candidate],
    components_vary: bool,
    seen: &mut Vec<Address>,
) -> Result<Candidate, CodeError> {
    let transport = if input.bit()? {
        Transport::Tcp
    } else {
        Transport::Udp
    };
    let tcp_type = match transport {
        Transport::Tcp => match input.bits(2)? {
            3 => None,
            index => Some(pick(&TcpType::ALL, index)?),
        },
        Transport::Udp => None,
    };
    let kind = pick(&CandidateType::ALL, input.bits(2)?)?;
    let component = if components_vary && input.bit()? {
        2
    } else {
        1
    };
    let address = read_address(input, seen)?;
    let port = if transport == Transport::Tcp && input.bit()? {
        9
    } else {
        input.bits(16)? as u16
    };
    let related = if kind == CandidateType::Host {
        None
    } else {
        match input.bits(2)? {
            RELATED_NONE => None,
            RELATED_UNSPECIFIED => Some(unspecified_related(format, &address)),
            RELATED_EXPLICIT => {
                let related = read_address(input, seen)?;
                Some((related, input.bits(16)? as u16))
            }
            RELATED_CANDIDATE if format == Format::V2 => {
                let index = input.bits(bits_for_choices(earlier.len() + 1))? as usize;
                match earlier.get(index) {
                    Some(other) => Some((other.address.clone(), other.port)),
                    None if index == earlier.len() => Some((address.clone(), port)),
                    None => return Err(CodeError::Damaged),
                }
            }
            _ => return Err(CodeError::Damaged),
        }
    };
    Ok(Candidate {
        component,
        transport,
        address,
        port,
        kind,
        related,
        tcp_type,
    })
}

const ADDRESS_SEEN: u64 = 0;
const ADDRESS_MDNS_V4: u64 = 1;
const ADDRESS_IPV4: u64 = 2;
const ADDRESS_MORE: u64 = 3;
const ADDRESS_MORE_IPV6: u64 = 0;
const ADDRESS_MORE_MDNS: u64 = 1;
const ADDRESS_MORE_NAME: u64 = 2;

/// A random (version 4, RFC 4122 variant) UUID: 122 of its 128 bits carry information.
fn is_v4_uuid(uuid: &[u8; 16]) -> bool {
    uuid[6] >> 4 == 4 && uuid[8] >> 6 == 0b10
}

fn write_address(out: &mut BitWriter, address: &Address, seen: &mut Vec<Address>) -> Option<()> {
    if let Some(index) = seen.iter().position(|known| known == address) {
        out.bits(ADDRESS_SEEN, 2);
        out.bits(index as u64, bits_for_choices(seen.len()));
        return Some(());
    }
    match address {
        Address::Mdns(uuid) if is_v4_uuid(uuid) => {
            out.bits(ADDRESS_MDNS_V4, 2);
            out.bytes(&uuid[..6]);
            out.bits(u64::from(uuid[6] & 0x0f), 4);
            out.bytes(&uuid[7..8]);
            out.bits(u64::from(uuid[8] & 0x3f), 6);
            out.bytes(&uuid[9..]);
        }
        Address::Ipv4(octets) => {
            out.bits(ADDRESS_IPV4, 2);
            out.bytes(octets);
        }
        Address::Ipv6(octets) => {
            out.bits(ADDRESS_MORE, 2);
            out.bits(ADDRESS_MORE_IPV6, 2);
            out.bytes(octets);
        }
        Address::Mdns(uuid) => {
            out.bits(ADDRESS_MORE, 2);
            out.bits(ADDRESS_MORE_MDNS, 2);
            out.bytes(uuid);
        }
        Address::Name(name) => {
            if name.is_empty() || name.len() > Address::MAX_NAME_LEN {
                return None;
            }
            out.bits(ADDRESS_MORE, 2);
            out.bits(ADDRESS_MORE_NAME, 2);
            out.bits(name.len() as u64, 8);
            out.bytes(name.as_bytes());
        }
    }
    seen.push(address.clone());
    Some(())
}

fn read_address(input: &mut BitReader, seen: &mut Vec<Address>) -> Result<Address, CodeError> {
    let address = match input.bits(2)? {
        ADDRESS_SEEN => {
            let index = input.bits(bits_for_choices(seen.len()))? as usize;
            // Not re-added: the table holds distinct addresses only.
            return seen.get(index).cloned().ok_or(CodeError::Damaged);
        }
        ADDRESS_MDNS_V4 => {
            let mut uuid = [0u8; 16];
            for byte in &mut uuid[..6] {
                *byte = input.bits(8)? as u8;
            }
            uuid[6] = 0x40 | input.bits(4)? as u8;
            uuid[7] = input.bits(8)? as u8;
            uuid[8] = 0x80 | input.bits(6)? as u8;
            for byte in &mut uuid[9..] {
                *byte = input.bits(8)? as u8;
            }
            Address::Mdns(uuid)
        }
        ADDRESS_IPV4 => Address::Ipv4(input.byte_array()?),
        _ => match input.bits(2)? {
            ADDRESS_MORE_IPV6 => Address::Ipv6(input.byte_array()?),
            ADDRESS_MORE_MDNS => Address::Mdns(input.byte_array()?),
            ADDRESS_MORE_NAME => {
                let len = input.bits(8)? as usize;
                let bytes = (0..len)
                    .map(|_| input.bits(8).map(|b| b as u8))
                    .collect::<Result<Vec<u8>, _>>()?;
                let valid = len > 0 && bytes.iter().all(u8::is_ascii_graphic);
                let name = String::from_utf8(bytes).map_err(|_| CodeError::Damaged)?;
                if !valid {
                    return Err(CodeError::Damaged);
                }
                Address::Name(name)
            }
            _ => return Err(CodeError::Damaged),
        },
    };
    seen.push(address.clone());
    Ok(address)
}

// proptest needs getrandom, which has no wasm32-unknown-unknown backend: host only.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FIREFOX_OFFER: &str = include_str!("../../../tests/fixtures/sdp/firefox-offer.sdp");

    fn firefox_body() -> Vec<u8> {
        let facts = SessionFacts::parse(FIREFOX_OFFER).expect("fixture is compact-able");
        pack_body(Format::V2, SignalKind::Invite, &InviteId([9; 8]), &facts).expect("packs")
    }

    #[test]
    fn body_round_trips() {
        let (kind, id, facts) = unpack_body(Format::V2, &firefox_body()).expect("unpacks");
        assert_eq!((kind, id), (SignalKind::Invite, InviteId([9; 8])));
        assert_eq!(Some(facts), SessionFacts::parse(FIREFOX_OFFER));
    }

    #[test]
    fn length_prefix_is_minimal_leb128() {
        assert_eq!(read_length(&[0x05]), Ok((5, 1)));
        assert_eq!(read_length(&[0x80, 0x01]), Ok((128, 2)));
        assert_eq!(read_length(&[0x85, 0x00]), Err(CodeError::Damaged));
        assert_eq!(read_length(&[0x80, 0x80]), Err(CodeError::Damaged));
        assert_eq!(read_length(&[0x80]), Err(CodeError::Truncated));
        assert_eq!(read_length(&[]), Err(CodeError::Truncated));
        assert_eq!(frame(Format::V2, &[0u8; 200])[..2], [0xc8, 0x01]);
    }

    /// Chromium on a dual-stack network behind a NAT, with a TURN server: mDNS host, srflx of
    /// both families with the hidden related address, and a relay whose related address is the
    /// srflx candidate.
    fn dual_stack_facts() -> SessionFacts {
        let sdp = FIREFOX_OFFER
            .replace(
                "m=application 9 ",
                "m=application 61000 ",
            )
            .replace(
                "a=sendrecv\r\na=end-of-candidates",
                "a=candidate:5 1 UDP 1686052607 203.0.113.7 61000 typ srflx raddr 0.0.0.0 rport 0\r\n\
                 a=candidate:6 1 UDP 1686052606 2001:db8::7 61002 typ srflx raddr :: rport 0\r\n\
                 a=candidate:7 1 UDP 41885439 198.51.100.3 50000 typ relay raddr 203.0.113.7 rport 61000\r\n\
                 a=sendrecv\r\na=end-of-candidates",
            );
        SessionFacts::parse(&sdp).expect("compact-able")
    }

    fn framed(format: Format, body: &[u8]) -> String {
        base64url_encode(&frame(format, body))
    }

    #[test]
    fn both_formats_carry_the_same_facts_d_in_fewer_bits() {
        let facts = dual_stack_facts();
        let id = InviteId([3; 8]);
        let v1 = pack_body(Format::V1, SignalKind::Answer, &id, &facts).expect("packs");
        let v2 = pack_body(Format::V2, SignalKind::Answer, &id, &facts).expect("packs");
        for (format, body) in [(Format::V1, &v1), (Format::V2, &v2)] {
            let (_, _, unpacked) = unpack_body(format, body).expect("unpacks");
            assert_eq!(unpacked, facts, "{format:?}");
            assert!(decode(format, &framed(format, body)).is_ok(), "{format:?}");
        }
        // `::` costs 2 bits instead of 2 + 4 + 128 + 16, the relay's related address 2 + 3
        // instead of 2 + 2 + 3 + 16.
        assert!(
            v1.len() * 8 - v2.len() * 8 >= 140,
            "{} vs {} bytes",
            v1.len(),
            v2.len()
        );
    }

    #[test]
    fn a_record_in_the_other_format_is_not_canonical() {
        let facts = dual_stack_facts();
        let id = InviteId([3; 8]);
        let v1 = pack_body(Format::V1, SignalKind::Invite, &id, &facts).expect("packs");
        let v2 = pack_body(Format::V2, SignalKind::Invite, &id, &facts).expect("packs");
        // `D` reads `C`'s explicit related addresses fine, but they are not how `D` writes them.
        assert_eq!(unpack_body(Format::V2, &v1).map(|(_, _, f)| f), Ok(facts));
        assert_eq!(
            decode(Format::V2, &framed(Format::V2, &v1)),
            Err(CodeError::Damaged)
        );
        // `C` has no related form 3.
        assert_eq!(
            decode(Format::V1, &framed(Format::V1, &v2)),
            Err(CodeError::Damaged)
        );
        // Nor is a record valid under the other tag's check.
        assert_eq!(
            decode(Format::V1, &framed(Format::V2, &v1)),
            Err(CodeError::Damaged)
        );
    }

    #[test]
    fn related_candidate_index_must_exist() {
        let earlier = dual_stack_facts().candidates[..2].to_vec();
        // A UDP relay at 198.51.100.3:50000 whose related address is candidate `index`: with two
        // earlier candidates there are three choices (2 bits), so index 3 points at nothing.
        let relay = |index: u64| {
            let mut out = BitWriter::default();
            out.bit(false);
            out.bits(3, 2);
            out.bits(ADDRESS_IPV4, 2);
            out.bytes(&[198, 51, 100, 3]);
            out.bits(50_000, 16);
            out.bits(RELATED_CANDIDATE, 2);
            out.bits(index, 2);
            let bytes = out.finish();
            let mut seen = Vec::new();
            read_candidate(
                Format::V2,
                &mut BitReader::new(&bytes),
                &earlier,
                false,
                &mut seen,
            )
            .map(|candidate| candidate.related)
        };
        let at = |c: &Candidate| Ok(Some((c.address.clone(), c.port)));
        assert_eq!(relay(0), at(&earlier[0]));
        assert_eq!(relay(1), at(&earlier[1]));
        assert_eq!(
            relay(2),
            Ok(Some((Address::Ipv4([198, 51, 100, 3]), 50_000)))
        );
        assert_eq!(relay(3), Err(CodeError::Damaged));
    }

    proptest! {
        // The integrity check keeps random damage away from the body parser, so feed it directly
        // and through correctly framed codes.
        #[test]
        fn random_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..300)) {
            for format in [Format::V1, Format::V2] {
                let _ = unpack_body(format, &body);
                let _ = decode(format, &base64url_encode(&frame(format, &body)));
            }
        }

        #[test]
        fn damaged_valid_bodies_never_panic(flips in proptest::collection::vec(any::<prop::sample::Index>(), 1..6), cut in any::<prop::sample::Index>()) {
            let mut body = firefox_body();
            for flip in flips {
                let bit = flip.index(body.len() * 8);
                body[bit / 8] ^= 0x80 >> (bit % 8);
            }
            let _ = unpack_body(Format::V2, &body);
            body.truncate(cut.index(body.len()));
            let _ = decode(Format::V2, &base64url_encode(&frame(Format::V2, &body)));
        }
    }
}
