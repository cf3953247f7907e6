//! Prints a Markdown table comparing, for each fixture SDP, the SDP, lz-string's URI-safe
//! encoding of it, and our code. `cargo run --example link_sizes [DIR]` (default
//! `tests/fixtures/sdp`).
//!
//! The QR column is the smallest QR version holding the full link
//! `https://example.github.io/tincan/#<code>` in byte mode at error-correction level L (what the
//! app's `components/qr.rs` asks for). The `qrcode` crate may mix modes, so this is an upper
//! bound; for these links (lowercase URL + mixed-case code) byte mode is what it picks anyway.

use std::path::PathBuf;
use tincan::core::signal::{decode, encode, InviteId, Signal, SignalKind};

const LINK_PREFIX: &str = "https://example.github.io/tincan/#";

/// Data codewords of QR versions 1..=40 at error-correction level L (ISO/IEC 18004 table 7).
const DATA_CODEWORDS_L: [usize; 40] = [
    19, 34, 55, 80, 108, 136, 156, 194, 232, 274, 324, 370, 428, 461, 523, 589, 647, 721, 795, 861,
    932, 1006, 1094, 1174, 1276, 1370, 1468, 1531, 1631, 1735, 1843, 1955, 2071, 2191, 2306, 2434,
    2566, 2702, 2812, 2956,
];

fn qr_version_byte_mode_l(len: usize) -> Option<usize> {
    DATA_CODEWORDS_L
        .iter()
        .enumerate()
        .find_map(|(index, &codewords)| {
            let version = index + 1;
            let count_bits = if version <= 9 { 8 } else { 16 };
            let capacity = (codewords * 8 - 4 - count_bits) / 8;
            (len <= capacity).then_some(version)
        })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("tests/fixtures/sdp"));
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "sdp"))
        .collect();
    paths.sort();

    println!("| fixture | kind | SDP | lz-string | code | tag | code / lz | link | QR (L, byte) | lz link QR |");
    println!("|---|---|---:|---:|---:|---|---:|---:|---:|---:|");
    for path in paths {
        let sdp = std::fs::read_to_string(&path)?;
        let name = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or("?")
            .to_owned();
        let kind = if name.contains("answer") {
            SignalKind::Answer
        } else {
            SignalKind::Invite
        };
        let signal = Signal {
            kind,
            invite_id: InviteId(*b"\x8e\x13\x5a\x02\xc4\x77\x19\xd0"),
            sdp,
        };
        let lz = lz_str::compress_to_encoded_uri_component(signal.sdp.as_str());
        let code = encode(&signal);
        // A size table for a code that does not decode would be meaningless.
        let decoded = decode(&code).map_err(|error| format!("{name}: {error}"))?;
        assert_eq!(
            (decoded.kind, decoded.invite_id),
            (signal.kind, signal.invite_id)
        );
        let link_len = LINK_PREFIX.len() + code.len();
        let lz_link_len = LINK_PREFIX.len() + lz.len();
        let version = |len| qr_version_byte_mode_l(len).map_or("-".to_owned(), |v| v.to_string());
        println!(
            "| {name} | {kind:?} | {} | {} | {} | {} | {:.3} | {link_len} | {} | {} |",
            signal.sdp.len(),
            lz.len(),
            code.len(),
            &code[..1],
            code.len() as f64 / lz.len() as f64,
            version(link_len),
            version(lz_link_len),
        );
    }
    Ok(())
}
