//! The BroadcastChannel on which tabs of this browser tell each other what they stored (see
//! `core::store::Note`).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BroadcastChannel, MessageEvent};

use crate::core::store::{Note, NOTE_CHANNEL};

/// The open channel with its handler; closed when dropped.
pub struct NoteChannel {
    channel: BroadcastChannel,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl NoteChannel {
    /// `None` where BroadcastChannel is unavailable: other tabs then see changes on reload.
    pub fn open(on_note: impl Fn(Note) + 'static) -> Option<Self> {
        let channel = BroadcastChannel::new(NOTE_CHANNEL).ok()?;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(note) = event.data().as_string().as_deref().and_then(Note::decode) {
                on_note(note);
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(Self {
            channel,
            _on_message: on_message,
        })
    }

    pub fn post(&self, note: &Note) {
        let _ = self
            .channel
            .post_message(&JsValue::from_str(&note.encode()));
    }
}

impl Drop for NoteChannel {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}
