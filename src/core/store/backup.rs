//! Export and import: conversations as one JSON file the user keeps.
//!
//! ```json
//! {"tincan_export":1,"exported_ms":1767225600000,"conversations":[
//!   {"id":"…","peer_id":"…","peer_name":"Bea","created_ms":…,"updated_ms":…,
//!    "messages":[{"id":0,"author":"me","seq":1,"text":"hi","at_ms":…,"delivery":"delivered"}],
//!    "last_own_seq":1,"received_upto":0}]}
//! ```
//!
//! The file is plain text, never encrypted: it is for the user to keep where they choose. Import
//! is strict: an unknown field, a wrong type, a broken rule of the conversation (see
//! [`super::check_conversation`]) or a repeated conversation refuses the whole file, and nothing
//! is changed.

use serde::{Deserialize, Serialize};

use super::check_conversation;
use crate::core::chat::Conversation;

/// The format's version, in `tincan_export`.
pub const EXPORT_VERSION: u32 = 1;
/// Largest file import reads.
pub const MAX_IMPORT_BYTES: u64 = 512 * 1024 * 1024;
/// Most conversations in one file.
pub const MAX_CONVERSATIONS: usize = 10_000;

#[derive(Serialize)]
struct ExportOut<'a> {
    tincan_export: u32,
    exported_ms: f64,
    conversations: &'a [Conversation],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportIn {
    #[allow(dead_code)] // checked first, through `Probe`
    tincan_export: u32,
    exported_ms: f64,
    conversations: Vec<Conversation>,
}

/// The export file's text.
pub fn export(conversations: &[Conversation], now_ms: f64) -> String {
    serde_json::to_string(&ExportOut {
        tincan_export: EXPORT_VERSION,
        exported_ms: now_ms,
        conversations,
    })
    .unwrap_or_default()
}

/// A name for the downloaded file: `tincan-<what>-<yyyy-mm-dd>.json`; `what` is reduced to
/// letters, digits and dashes.
pub fn file_name(what: &str, date: &str) -> String {
    let what: String = what
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let what: String = what.chars().take(40).collect();
    let what = if what.is_empty() {
        "conversation".to_owned()
    } else {
        what
    };
    format!("tincan-{what}-{date}.json")
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error(
        "That file is too large for a Tin Can export (more than 512 MB). Nothing was imported."
    )]
    TooLarge,
    #[error("That file is not a Tin Can export. Nothing was imported.")]
    NotAnExport,
    #[error("That file was made by a newer version of Tin Can: reload the page to update, then import it again. Nothing was imported.")]
    Newer,
    #[error("That export file is damaged or was changed ({0}). Nothing was imported.")]
    Damaged(String),
    #[error("That export file holds no conversations.")]
    Empty,
}

/// The conversations in an export file, every one checked; an error for any problem at all.
pub fn import(text: &str) -> Result<Vec<Conversation>, ImportError> {
    if text.len() as u64 > MAX_IMPORT_BYTES {
        return Err(ImportError::TooLarge);
    }
    #[derive(Deserialize)]
    struct Probe {
        tincan_export: u32,
    }
    let probe: Probe = serde_json::from_str(text).map_err(|_| ImportError::NotAnExport)?;
    if probe.tincan_export > EXPORT_VERSION {
        return Err(ImportError::Newer);
    }
    if probe.tincan_export < EXPORT_VERSION {
        return Err(ImportError::NotAnExport);
    }
    let file: ExportIn =
        serde_json::from_str(text).map_err(|e| ImportError::Damaged(e.to_string()))?;
    if !file.exported_ms.is_finite() {
        return Err(ImportError::Damaged("the export time is not valid".into()));
    }
    if file.conversations.is_empty() {
        return Err(ImportError::Empty);
    }
    if file.conversations.len() > MAX_CONVERSATIONS {
        return Err(ImportError::Damaged("too many conversations".into()));
    }
    let mut ids: Vec<&str> = file.conversations.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err(ImportError::Damaged("a conversation is in it twice".into()));
    }
    for conversation in &file.conversations {
        check_conversation(conversation).map_err(ImportError::Damaged)?;
    }
    Ok(file.conversations)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversations() -> Vec<Conversation> {
        let mut a = Conversation::new("aa11".into(), 1.0);
        a.meet("peer-a", Some("Ann".into()));
        a.compose("hello\n<b>not markup</b>".into(), 2.0);
        a.receive(1, "hi".into(), 3.0);
        a.mark_sent(1);
        a.acknowledge(1);
        let mut b = Conversation::new("bb22".into(), 4.0);
        b.meet("peer-b", None);
        b.compose("pending".into(), 5.0);
        vec![a, b]
    }

    #[test]
    fn export_then_import_gives_the_same_conversations() {
        let all = conversations();
        let text = export(&all, 10.0);
        assert!(text.starts_with(r#"{"tincan_export":1,"exported_ms":10.0,"#));
        let back = import(&text).unwrap();
        assert_eq!(back.len(), 2);
        for (a, b) in back.iter().zip(&all) {
            assert_eq!(a.messages(), b.messages());
            assert_eq!(
                (a.last_own_seq(), a.received_upto(), &a.peer_name),
                (b.last_own_seq(), b.received_upto(), &b.peer_name)
            );
        }
    }

    #[test]
    fn damaged_and_hostile_files_are_refused_whole() {
        let good = export(&conversations(), 10.0);
        let cases: Vec<(String, ImportError)> = vec![
            ("".into(), ImportError::NotAnExport),
            ("[1,2]".into(), ImportError::NotAnExport),
            (r#"{"hello":1}"#.into(), ImportError::NotAnExport),
            (good[..good.len() / 2].to_owned(), ImportError::NotAnExport),
            (
                good.replace(r#""tincan_export":1"#, r#""tincan_export":2"#),
                ImportError::Newer,
            ),
            (
                good.replace(r#""tincan_export":1"#, r#""tincan_export":0"#),
                ImportError::NotAnExport,
            ),
            (
                r#"{"tincan_export":1,"exported_ms":1,"conversations":[]}"#.into(),
                ImportError::Empty,
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(import(&text), Err(expected), "{text}");
        }
        let damaged = [
            good.replace(r#""text":"hi""#, r#""text":"hi","script":"x""#),
            good.replace(r#""author":"peer""#, r#""author":"admin""#),
            good.replace("bb22", "aa11"),
            good.replace("bb22", "../../etc"),
            good.replace(r#""seq":1,"text":"hi""#, r#""seq":0,"text":"hi""#),
            good.replace(r#""received_upto":0"#, r#""received_upto":-1"#),
            good.replace(
                r#""peer_name":"Ann""#,
                &format!(r#""peer_name":"{}""#, "A".repeat(41)),
            ),
            good.replace(
                r#""text":"hi""#,
                &format!(r#""text":"{}""#, "x".repeat(10_001)),
            ),
        ];
        for text in damaged {
            assert!(
                matches!(import(&text), Err(ImportError::Damaged(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn file_names_are_tame() {
        assert_eq!(
            file_name("Bea / ../x", "2026-01-02"),
            "tincan-Bea-x-2026-01-02.json"
        );
        assert_eq!(file_name("", "d"), "tincan-conversation-d.json");
        assert_eq!(file_name("all", "d"), "tincan-all-d.json");
    }
}
