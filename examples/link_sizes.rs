//! Prints, for each fixture SDP, its size, lz-string's URI-safe encoding of it, and our code:
//! `cargo run --example link_sizes [--json] [DIR]` (default `tests/fixtures/sdp`).
//!
//! Without `--json`: a Markdown table, then the figures per network shape (host + srflx, + relay,
//! relay only: the NAT lab's SDPs, issue #14's limits) and how many fixtures went compact. With
//! `--json`: one JSON object per line and fixture, for scripts (bench/run.mjs):
//! `{"fixture", "path", "kind", "network", "shape", "sdp", "lz", "code", "tag", "link", "qr",
//! "lzLinkQr"}` — lengths in characters, `shape` the candidate types present (`host+srflx`…),
//! `network` `loopback` or `natlab`, `qr`/`lzLinkQr` QR versions (null when none fits).
//!
//! The QR columns are the smallest QR version holding the full link
//! `https://someone.github.io/tincan/#<code>` (a typical GitHub Pages address) in byte mode at
//! error-correction level L (what the app's `components/qr.rs` asks for). The `qrcode` crate may
//! mix modes, so this is an upper bound; for these links (lowercase URL + mixed-case code) byte
//! mode is what it picks anyway.

use std::path::PathBuf;
use tincan::core::signal::{decode, encode, InviteId, Signal, SignalKind};

const LINK_PREFIX: &str = "https://someone.github.io/tincan/#";

/// Data codewords of QR versions 1..=40 at error-correction level L (ISO/IEC 18004 table 7).
const DATA_CODEWORDS_L: [usize; 40] = [
    19, 34, 55, 80, 108, 136, 156, 194, 232, 274, 324, 370, 428, 461, 523, 589, 647, 721, 795, 861,
    932, 1006, 1094, 1174, 1276, 1370, 1468, 1531, 1631, 1735, 1843, 1955, 2071, 2191, 2306, 2434,
    2566, 2702, 2812, 2956,
];

/// Issue #14's limits for links from real networks, by shape.
const LIMITS: [(&str, usize); 3] = [
    ("host+srflx", 160),
    ("host+srflx+relay", 200),
    ("relay", 110),
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

struct Row {
    fixture: String,
    path: String,
    kind: SignalKind,
    network: &'static str,
    shape: String,
    sdp: usize,
    lz: usize,
    code: usize,
    tag: char,
    link: usize,
    qr: Option<usize>,
    lz_link_qr: Option<usize>,
}

/// The candidate types an SDP has, in ICE's order of preference: `host+srflx+relay`.
fn shape(sdp: &str) -> String {
    let types: Vec<&str> = ["host", "srflx", "prflx", "relay"]
        .into_iter()
        .filter(|kind| {
            sdp.lines()
                .filter(|line| line.starts_with("a=candidate:"))
                .any(|line| line.contains(&format!(" typ {kind}")))
        })
        .collect();
    if types.is_empty() {
        "none".to_owned()
    } else {
        types.join("+")
    }
}

fn measure(path: &std::path::Path) -> Result<Row, Box<dyn std::error::Error>> {
    let sdp = std::fs::read_to_string(path)?;
    let fixture = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or("?")
        .to_owned();
    let kind = if fixture.contains("answer") {
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
    // A size for a code that does not decode would be meaningless.
    let decoded = decode(&code).map_err(|error| format!("{fixture}: {error}"))?;
    if (decoded.kind, decoded.invite_id) != (signal.kind, signal.invite_id) {
        return Err(format!("{fixture}: decodes to another signal").into());
    }
    let link = LINK_PREFIX.len() + code.len();
    Ok(Row {
        network: if fixture.starts_with("natlab") {
            "natlab"
        } else {
            "loopback"
        },
        shape: shape(&signal.sdp),
        path: path.display().to_string(),
        fixture,
        kind,
        sdp: signal.sdp.len(),
        lz: lz.len(),
        code: code.len(),
        tag: code.chars().next().unwrap_or('?'),
        link,
        qr: qr_version_byte_mode_l(link),
        lz_link_qr: qr_version_byte_mode_l(LINK_PREFIX.len() + lz.len()),
    })
}

/// A JSON string literal (fixture names and paths are plain, but quote them properly anyway).
fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_version(version: Option<usize>) -> String {
    version.map_or("null".to_owned(), |v| v.to_string())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut json = false;
    let mut dir = PathBuf::from("tests/fixtures/sdp");
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--json" => json = true,
            "-h" | "--help" => {
                println!("usage: cargo run --example link_sizes -- [--json] [DIR]");
                return Ok(());
            }
            _ => dir = PathBuf::from(arg),
        }
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "sdp"))
        .collect();
    paths.sort();
    let rows = paths
        .iter()
        .map(|path| measure(path))
        .collect::<Result<Vec<Row>, _>>()?;

    if json {
        for row in &rows {
            println!(
                "{{\"fixture\":{},\"path\":{},\"kind\":\"{:?}\",\"network\":\"{}\",\"shape\":\"{}\",\"sdp\":{},\"lz\":{},\"code\":{},\"tag\":\"{}\",\"link\":{},\"qr\":{},\"lzLinkQr\":{}}}",
                json_string(&row.fixture),
                json_string(&row.path),
                row.kind,
                row.network,
                row.shape,
                row.sdp,
                row.lz,
                row.code,
                row.tag,
                row.link,
                json_version(row.qr),
                json_version(row.lz_link_qr),
            );
        }
        return Ok(());
    }

    let version = |v: Option<usize>| v.map_or("-".to_owned(), |v| v.to_string());
    println!("| fixture | kind | shape | SDP | lz-string | code | tag | code / lz | link | QR (L, byte) | lz link QR |");
    println!("|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|");
    for row in &rows {
        println!(
            "| {} | {:?} | {} | {} | {} | {} | {} | {:.3} | {} | {} | {} |",
            row.fixture,
            row.kind,
            row.shape,
            row.sdp,
            row.lz,
            row.code,
            row.tag,
            row.code as f64 / row.lz as f64,
            row.link,
            version(row.qr),
            version(row.lz_link_qr),
        );
    }

    println!();
    println!("Real networks (NAT lab, Chromium and Firefox), longest code per shape, with lz-string of that SDP, under `{LINK_PREFIX}`:");
    println!();
    println!("| shape | code | limit | lz-string | QR | lz link QR |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (shape, limit) in LIMITS {
        // The longest code; on a tie the first fixture by name (as bench/run.mjs picks it).
        let longest = rows
            .iter()
            .filter(|row| row.network == "natlab" && row.shape == shape)
            .rev()
            .max_by_key(|row| row.code);
        if let Some(row) = longest {
            println!(
                "| {shape} | {} | {limit} | {} | {} | {} |",
                row.code,
                row.lz,
                version(row.qr),
                version(row.lz_link_qr)
            );
        }
    }
    let fallback = rows.iter().filter(|row| row.tag == 'L').count();
    println!();
    println!(
        "compact: {} of {} fixtures; fallback (L): {fallback}",
        rows.len() - fallback,
        rows.len()
    );
    Ok(())
}
