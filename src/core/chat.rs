//! The conversation as the user sees it: an ordered list of messages.

use crate::core::protocol::MAX_TEXT_CHARS;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Author {
    Me,
    Peer,
}

impl Author {
    /// Value of the `data-author` attribute on a message element.
    pub fn as_attr(self) -> &'static str {
        match self {
            Author::Me => "me",
            Author::Peer => "peer",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChatMessage {
    /// Local, unique within this conversation; used as the list key.
    pub id: u64,
    pub author: Author,
    pub text: String,
    /// Milliseconds since the Unix epoch: when it was sent (own) or received (peer).
    pub at_ms: f64,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DraftError {
    #[error("Type a message first.")]
    Empty,
    #[error("That message is too long: at most {MAX_TEXT_CHARS} characters.")]
    TooLong,
}

/// Turns what is in the message box into the text to send: surrounding blank lines and spaces
/// go, inner new lines stay.
pub fn prepare_draft(draft: &str) -> Result<String, DraftError> {
    let text = draft.trim();
    if text.is_empty() {
        return Err(DraftError::Empty);
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(DraftError::TooLong);
    }
    Ok(text.to_owned())
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Chat {
    messages: Vec<ChatMessage>,
    next_id: u64,
}

impl Chat {
    pub fn messages(&self) -> &[ChatMessage] {
        &self.messages
    }

    pub fn push(&mut self, author: Author, text: String, at_ms: f64) -> &ChatMessage {
        let id = self.next_id;
        self.next_id += 1;
        self.messages.push(ChatMessage {
            id,
            author,
            text,
            at_ms,
        });
        &self.messages[self.messages.len() - 1]
    }
}

/// "14:05" from hours and minutes of the local clock (the browser supplies them).
pub fn format_clock(hours: u32, minutes: u32) -> String {
    format!("{:02}:{:02}", hours % 24, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_are_trimmed_but_keep_inner_lines() {
        assert_eq!(prepare_draft("  hi\nthere \n\n"), Ok("hi\nthere".into()));
        assert_eq!(prepare_draft(" \n\t "), Err(DraftError::Empty));
        assert_eq!(
            prepare_draft(&"x".repeat(MAX_TEXT_CHARS + 1)),
            Err(DraftError::TooLong)
        );
        assert!(prepare_draft(&"x".repeat(MAX_TEXT_CHARS)).is_ok());
    }

    #[test]
    fn messages_keep_order_and_get_unique_ids() {
        let mut chat = Chat::default();
        chat.push(Author::Me, "one".into(), 1.0);
        chat.push(Author::Peer, "two".into(), 2.0);
        let ids: Vec<u64> = chat.messages().iter().map(|m| m.id).collect();
        assert_eq!(ids, [0, 1]);
        assert_eq!(chat.messages()[1].author.as_attr(), "peer");
    }

    #[test]
    fn clock_is_zero_padded() {
        assert_eq!(format_clock(9, 5), "09:05");
        assert_eq!(format_clock(23, 59), "23:59");
    }
}
