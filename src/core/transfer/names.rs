//! What a peer claims about a file, made safe: the name to save and show under, and whether its
//! bytes are an image we preview. Separate because it trusts nothing and needs no transfer state.

use super::MAX_NAME_BYTES;

/// An image format the receiver will preview, recognised from the file's first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Gif,
    Webp,
}

impl ImageKind {
    pub fn mime(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
        }
    }
}

/// Recognises PNG, JPEG, GIF and WebP by their magic bytes. Anything else (SVG included, which can
/// carry script) is not an image to us.
pub fn sniff_image(head: &[u8]) -> Option<ImageKind> {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageKind::Png)
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageKind::Jpeg)
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some(ImageKind::Gif)
    } else if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        Some(ImageKind::Webp)
    } else {
        None
    }
}

/// Bidirectional-text controls: they let `evil<U+202E>gnp.exe` display as `evilexe.png`.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A name that is safe to save under and to show: the last path component only, no control or
/// bidi characters, no leading dots or spaces (hidden files, `..`), no trailing dots or spaces,
/// at most [`MAX_NAME_BYTES`] bytes with the extension kept. Never empty.
pub fn safe_file_name(claimed: &str) -> String {
    let last = claimed
        .rsplit(['/', '\\'])
        .find(|part| !part.trim().is_empty())
        .unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect();
    let trimmed = cleaned
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    if trimmed.is_empty() {
        return "file".to_owned();
    }
    truncate_keeping_extension(trimmed, MAX_NAME_BYTES)
}

fn truncate_keeping_extension(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    // An extension is a short ASCII suffix like ".tar" or ".jpeg".
    let extension = name
        .rfind('.')
        .map(|dot| &name[dot..])
        .filter(|ext| ext.len() <= 16 && ext.is_ascii())
        .unwrap_or("");
    let mut stem_end = max - extension.len();
    while !name.is_char_boundary(stem_end) {
        stem_end -= 1;
    }
    format!("{}{}", &name[..stem_end], extension)
}

// proptest needs getrandom, which has no wasm32-unknown-unknown backend: host only.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe() {
        assert_eq!(safe_file_name("report.pdf"), "report.pdf");
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("C:\\Users\\me\\evil.exe"), "evil.exe");
        assert_eq!(safe_file_name("dir/"), "dir");
        assert_eq!(safe_file_name(".bashrc"), "bashrc");
        assert_eq!(safe_file_name("..."), "file");
        assert_eq!(safe_file_name(""), "file");
        assert_eq!(safe_file_name("/"), "file");
        assert_eq!(safe_file_name("  spaced .txt . "), "spaced .txt");
        assert_eq!(safe_file_name("bell\u{7}\nname\r.txt"), "bellname.txt");
        assert_eq!(safe_file_name("photo\u{202E}gnp.exe"), "photognp.exe");
        // Markup is kept as characters: it is shown as text, never parsed.
        assert_eq!(
            safe_file_name("<img src=x onerror=alert(1)>.png"),
            "<img src=x onerror=alert(1)>.png"
        );
        let long = format!("{}.jpeg", "é".repeat(300));
        let safe = safe_file_name(&long);
        assert!(safe.len() <= MAX_NAME_BYTES);
        assert!(safe.ends_with(".jpeg"));
        assert!(safe.starts_with('é'));
        let no_extension = "x".repeat(1000);
        assert_eq!(safe_file_name(&no_extension).len(), MAX_NAME_BYTES);
    }

    #[test]
    fn images_are_recognised_by_their_bytes_only() {
        assert_eq!(
            sniff_image(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(ImageKind::Png)
        );
        assert_eq!(
            sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(ImageKind::Jpeg)
        );
        assert_eq!(sniff_image(b"GIF89a\x01\0\x01\0"), Some(ImageKind::Gif));
        assert_eq!(sniff_image(b"GIF87a"), Some(ImageKind::Gif));
        assert_eq!(
            sniff_image(b"RIFF\x24\0\0\0WEBPVP8 "),
            Some(ImageKind::Webp)
        );
        assert_eq!(sniff_image(b"RIFF\x24\0\0\0WAVEfmt "), None);
        assert_eq!(
            sniff_image(b"<svg xmlns=\"http://www.w3.org/2000/svg\">"),
            None
        );
        assert_eq!(sniff_image(b"<?xml version=\"1.0\"?><svg"), None);
        assert_eq!(sniff_image(b"\x89PN"), None);
        assert_eq!(sniff_image(b""), None);
        assert_eq!(ImageKind::Webp.mime(), "image/webp");
    }

    proptest::proptest! {
        #[test]
        fn safe_names_never_hold_separators_controls_or_leading_dots(name in "\\PC{0,400}|[./\\\\\\x00-\\x1f a-z]{0,50}") {
            let safe = safe_file_name(&name);
            proptest::prop_assert!(!safe.is_empty());
            proptest::prop_assert!(safe.len() <= MAX_NAME_BYTES);
            proptest::prop_assert!(!safe.contains(['/', '\\']));
            proptest::prop_assert!(!safe.chars().any(|c| c.is_control() || is_bidi_control(c)));
            proptest::prop_assert!(!safe.starts_with('.'));
        }
    }
}
