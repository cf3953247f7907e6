//! Conversations kept in the browser (localStorage): one entry per conversation plus an index,
//! so the app can show the most recent one and a list of earlier ones without loading them all.

use serde::{Deserialize, Serialize};

use crate::core::chat::{Author, Conversation};
use crate::core::small_sort::sort_small_by_key;

/// The index: summaries of every stored conversation.
pub const INDEX_KEY: &str = "tincan.conversations.v1";

/// This browser's own stable id, told to peers in the hello.
pub const PEER_ID_KEY: &str = "tincan.peer-id.v1";

/// Storage key of one conversation.
pub fn conversation_key(id: &str) -> String {
    format!("tincan.conversation.v1.{id}")
}

/// Beyond this many, the conversation touched least recently is forgotten.
pub const MAX_CONVERSATIONS: usize = 100;

const PREVIEW_CHARS: usize = 80;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub id: String,
    pub title: String,
    pub preview: String,
    pub updated_ms: f64,
}

impl Summary {
    pub fn of(conversation: &Conversation) -> Self {
        let preview = conversation
            .last_message()
            .map(|m| {
                let who = if m.author == Author::Me { "You: " } else { "" };
                let mut text: String = m.text.chars().take(PREVIEW_CHARS).collect();
                if m.text.chars().count() > PREVIEW_CHARS {
                    text.push('…');
                }
                format!("{who}{}", text.replace('\n', " "))
            })
            .unwrap_or_default();
        Self {
            id: conversation.id.clone(),
            title: conversation.title(),
            preview,
            updated_ms: conversation.updated_ms,
        }
    }
}

/// The index, most recent first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    summaries: Vec<Summary>,
}

impl History {
    /// A damaged or foreign index reads as empty rather than breaking the app.
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

    /// Records the conversation's latest state; returns the ids of conversations evicted to stay
    /// within [`MAX_CONVERSATIONS`] (their entries should be removed from storage).
    pub fn upsert(&mut self, conversation: &Conversation) -> Vec<String> {
        self.summaries.retain(|s| s.id != conversation.id);
        self.summaries.push(Summary::of(conversation));
        self.sort();
        self.summaries
            .split_off(self.summaries.len().min(MAX_CONVERSATIONS))
            .into_iter()
            .map(|s| s.id)
            .collect()
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
        history.upsert(&conversation("a", 1.0, "old"));
        history.upsert(&conversation("b", 2.0, "newer"));
        assert_eq!(history.most_recent().map(|s| s.id.as_str()), Some("b"));
        history.upsert(&conversation("a", 3.0, "newest"));
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
    fn evicts_the_oldest_beyond_the_limit() {
        let mut history = History::default();
        for i in 0..MAX_CONVERSATIONS {
            assert!(history
                .upsert(&conversation(&format!("c{i}"), (i + 1) as f64, "x"))
                .is_empty());
        }
        assert_eq!(
            history.upsert(&conversation("new", 1e9, "x")),
            ["c0".to_owned()]
        );
        assert_eq!(history.summaries().len(), MAX_CONVERSATIONS);
    }

    #[test]
    fn removes_and_survives_junk() {
        let mut history = History::default();
        history.upsert(&conversation("a", 1.0, "x"));
        let mut copy = History::from_json(&history.to_json());
        assert_eq!(copy, history);
        copy.remove("a");
        assert!(copy.summaries().is_empty());
        assert_eq!(History::from_json("{broken"), History::default());
        assert_eq!(conversation_key("ab12"), "tincan.conversation.v1.ab12");
    }
}
