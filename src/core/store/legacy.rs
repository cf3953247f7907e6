//! Moving conversations from the localStorage format (before IndexedDB) into the database, once.
//!
//! That format kept an index under [`INDEX_KEY`] and each conversation as one JSON string under
//! `tincan.conversation.v1.<id>`. Every key with that prefix is read (a damaged index loses
//! nothing); each conversation is checked like an imported one. The app writes what could be read
//! in one transaction and removes the old keys only after it committed; what could not be read is
//! left where it is.

use crate::core::chat::Conversation;
use crate::core::history::{conversation_key, CONVERSATION_KEY_PREFIX, INDEX_KEY};

use super::check_conversation;

/// What the old format holds.
#[derive(Debug, Default, PartialEq)]
pub struct Legacy {
    /// Readable conversations, checked.
    pub conversations: Vec<Conversation>,
    /// Keys of conversations that could not be read (left in place).
    pub unreadable: Vec<String>,
    /// Keys to remove once the conversations are stored: theirs, and the index.
    pub moved_keys: Vec<String>,
}

impl Legacy {
    pub fn is_empty(&self) -> bool {
        self.moved_keys.is_empty() && self.unreadable.is_empty()
    }
}

/// Reads the old format, given every localStorage key and a way to read one.
pub fn read(keys: &[String], get: impl Fn(&str) -> Option<String>) -> Legacy {
    let mut legacy = Legacy::default();
    for key in keys {
        let Some(id) = key.strip_prefix(CONVERSATION_KEY_PREFIX) else {
            continue;
        };
        let conversation = get(key)
            .and_then(|raw| serde_json::from_str::<Conversation>(&raw).ok())
            .filter(|c| c.id == id && check_conversation(c).is_ok());
        match conversation {
            Some(conversation) => {
                legacy.conversations.push(conversation);
                legacy.moved_keys.push(conversation_key(id));
            }
            None => legacy.unreadable.push(key.clone()),
        }
    }
    if keys.iter().any(|k| k == INDEX_KEY) {
        legacy.moved_keys.push(INDEX_KEY.to_owned());
    }
    legacy
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::chat::{Author, Delivery};
    use crate::core::history::{History, Summary};

    /// localStorage as the app of the previous version left it (its exact JSON).
    fn old_storage() -> Vec<(String, String)> {
        let conversation = r#"{"id":"0a1b2c","peer_id":"peer-9","peer_name":"Bea","created_ms":1000.0,"updated_ms":3000.0,"messages":[{"id":0,"author":"me","seq":1,"text":"hello from before","at_ms":2000.0,"delivery":"delivered"},{"id":1,"author":"peer","seq":1,"text":"hi","at_ms":3000.0,"delivery":"delivered"},{"id":2,"author":"me","seq":2,"text":"still pending","at_ms":3000.0,"delivery":"pending"}],"last_own_seq":2,"received_upto":1}"#;
        let index = History::new(vec![Summary {
            id: "0a1b2c".into(),
            title: "Bea".into(),
            preview: "hi".into(),
            updated_ms: 3000.0,
        }]);
        vec![
            (INDEX_KEY.into(), index.to_json()),
            (conversation_key("0a1b2c"), conversation.into()),
            (conversation_key("dead"), "{broken".into()),
            ("tincan.settings.v1".into(), "{}".into()),
        ]
    }

    fn read_from(storage: &[(String, String)]) -> Legacy {
        let keys: Vec<String> = storage.iter().map(|(k, _)| k.clone()).collect();
        read(&keys, |key| {
            storage
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn moves_readable_conversations_and_leaves_the_rest() {
        let legacy = read_from(&old_storage());
        assert_eq!(legacy.conversations.len(), 1);
        let c = &legacy.conversations[0];
        assert_eq!(c.peer_name.as_deref(), Some("Bea"));
        let seen: Vec<(&str, Author, Delivery)> = c
            .messages()
            .iter()
            .map(|m| (m.text.as_str(), m.author, m.delivery))
            .collect();
        assert_eq!(
            seen,
            [
                ("hello from before", Author::Me, Delivery::Delivered),
                ("hi", Author::Peer, Delivery::Delivered),
                ("still pending", Author::Me, Delivery::Pending)
            ]
        );
        assert_eq!((c.last_own_seq(), c.received_upto()), (2, 1));
        // Nothing of it is stored yet: all of it is written.
        assert_eq!(c.journal().stored_below, 0);
        assert!(c.has_changes());
        assert_eq!(legacy.unreadable, [conversation_key("dead")]);
        assert_eq!(
            legacy.moved_keys,
            [conversation_key("0a1b2c"), INDEX_KEY.to_owned()]
        );
    }

    #[test]
    fn a_conversation_under_a_foreign_key_is_not_taken() {
        let mut storage = old_storage();
        storage[1].0 = conversation_key("other");
        let legacy = read_from(&storage);
        assert!(legacy.conversations.is_empty());
        assert_eq!(legacy.unreadable.len(), 2);
    }

    #[test]
    fn nothing_there_means_nothing_to_do() {
        let legacy = read_from(&[("tincan.settings.v1".into(), "{}".into())]);
        assert!(legacy.is_empty());
    }
}
