//! The list of stored conversations: one summary per conversation, so the app can show the most
//! recent one and a list of earlier ones without reading their messages.
//!
//! The keys of the localStorage format that came before IndexedDB are here too: the app moves
//! conversations stored that way over once (see `store::legacy`).

use serde::{Deserialize, Serialize};

use crate::core::chat::{Author, Conversation};
use crate::core::small_sort::sort_small_by_key;

/// The index of the localStorage format: summaries of every stored conversation.
pub const INDEX_KEY: &str = "tincan.conversations.v1";

/// This browser's own stable id, told to peers in the hello.
pub const PEER_ID_KEY: &str = "tincan.peer-id.v1";

/// Prefix of the localStorage keys of single conversations (the old format).
pub const CONVERSATION_KEY_PREFIX: &str = "tincan.conversation.v1.";

/// localStorage key of one conversation in the old format.
pub fn conversation_key(id: &str) -> String {
    format!("{CONVERSATION_KEY_PREFIX}{id}")
}

const PREVIEW_CHARS: usize = 80;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub id: String,
    pub title: String,
    pub preview: String,
    pub updated_ms: f64,
}

/// The title lists show: the peer's name, else "Conversation".
pub fn title_of(peer_name: Option<&str>) -> String {
    peer_name.unwrap_or("Conversation").to_owned()
}

/// One line for lists: the newest message, shortened, "You: " before one's own.
pub fn preview_of(conversation: &Conversation) -> String {
    conversation
        .last_message()
        .map(|m| {
            let who = if m.author == Author::Me { "You: " } else { "" };
            let mut text: String = m.text.chars().take(PREVIEW_CHARS).collect();
            if m.text.chars().count() > PREVIEW_CHARS {
                text.push('…');
            }
            format!("{who}{}", text.replace('\n', " "))
        })
        .unwrap_or_default()
}

impl Summary {
    pub fn of(conversation: &Conversation) -> Self {
        Self {
            id: conversation.id.clone(),
            title: conversation.title(),
            preview: preview_of(conversation),
            updated_ms: conversation.updated_ms,
        }
    }
}

/// The list, most recent first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    summaries: Vec<Summary>,
}

impl History {
    pub fn new(summaries: Vec<Summary>) -> Self {
        let mut history = Self { summaries };
        history.sort();
        history
    }

    /// The old format's index. A damaged or foreign index reads as empty rather than breaking
    /// the app.
    pub fn from_json(raw: &str) -> Self {
        let mut history: Self = serde_json::from_str(raw).unwrap_or_default();
        history.sort();
        history
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn summaries(&self) -> &[Summary] {
        &self.summaries
    }

    pub fn most_recent(&self) -> Option<&Summary> {
        self.summaries.first()
    }

    /// Records a conversation's latest state.
    pub fn upsert(&mut self, summary: Summary) {
        self.summaries.retain(|s| s.id != summary.id);
        self.summaries.push(summary);
        self.sort();
    }

    pub fn remove(&mut self, id: &str) {
        self.summaries.retain(|s| s.id != id);
    }

    /// Newest first (ties keep their order).
    fn sort(&mut self) {
        sort_small_by_key(&mut self.summaries, |s| std::cmp::Reverse(s.updated_ms));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation(id: &str, at: f64, text: &str) -> Conversation {
        let mut c = Conversation::new(id.into(), at);
        c.compose(text.into(), at);
        c
    }

    #[test]
    fn most_recent_first_and_upsert_replaces() {
        let mut history = History::default();
        history.upsert(Summary::of(&conversation("a", 1.0, "old")));
        history.upsert(Summary::of(&conversation("b", 2.0, "newer")));
        assert_eq!(history.most_recent().map(|s| s.id.as_str()), Some("b"));
        history.upsert(Summary::of(&conversation("a", 3.0, "newest")));
        let ids: Vec<&str> = history.summaries().iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(history.summaries()[0].preview, "You: newest");
    }

    #[test]
    fn previews_are_short_single_lines() {
        let summary = Summary::of(&conversation(
            "a",
            1.0,
            &format!("line\n{}", "x".repeat(200)),
        ));
        assert!(summary.preview.starts_with("You: line x"));
        assert!(summary.preview.ends_with('…'));
        assert!(summary.preview.chars().count() <= 5 + PREVIEW_CHARS + 1);
    }

    #[test]
    fn keeps_every_conversation() {
        let summaries = (0..300)
            .map(|i| Summary::of(&conversation(&format!("c{i}"), f64::from(i), "x")))
            .collect();
        let history = History::new(summaries);
        assert_eq!(history.summaries().len(), 300);
        assert_eq!(history.most_recent().map(|s| s.id.as_str()), Some("c299"));
    }

    #[test]
    fn removes_and_survives_junk() {
        let mut history = History::default();
        history.upsert(Summary::of(&conversation("a", 1.0, "x")));
        let mut copy = History::from_json(&history.to_json());
        assert_eq!(copy, history);
        copy.remove("a");
        assert!(copy.summaries().is_empty());
        assert_eq!(History::from_json("{broken"), History::default());
        assert_eq!(conversation_key("ab12"), "tincan.conversation.v1.ab12");
    }
}
