//! BroadcastChannel between tabs of this browser, for handing an answer to the tab that holds
//! the invite (see `core::handoff`).

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BroadcastChannel, MessageEvent};

use crate::core::handoff::{HandoffMessage, HandoffOutcome, CHANNEL_NAME, REPLY_TIMEOUT_MS};
use crate::core::signal::InviteId;
use crate::web::browser::now_ms;
use crate::web::timers::{sleep_or_wake, wake, Waiter};

/// An open hand-off channel with its message handler; closed when dropped.
pub struct HandoffChannel {
    channel: BroadcastChannel,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl HandoffChannel {
    /// `None` where BroadcastChannel is unavailable: then hand-off simply does not happen and the
    /// user pastes the answer instead.
    pub fn open(on_message: impl Fn(HandoffMessage) + 'static) -> Option<Self> {
        let channel = BroadcastChannel::new(CHANNEL_NAME).ok()?;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(message) = event
                .data()
                .as_string()
                .as_deref()
                .and_then(HandoffMessage::decode)
            {
                on_message(message);
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(Self {
            channel,
            _on_message: on_message,
        })
    }

    pub fn post(&self, message: &HandoffMessage) {
        let _ = self
            .channel
            .post_message(&JsValue::from_str(&message.encode()));
    }
}

impl Drop for HandoffChannel {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}

/// Offers an answer to whichever tab holds `invite`; `None` when no tab replied in time. Wakes
/// on the reply itself instead of polling for it.
pub async fn offer_answer_to_other_tab(invite: InviteId, code: &str) -> Option<HandoffOutcome> {
    let reply: Rc<RefCell<Option<HandoffOutcome>>> = Rc::default();
    let arrived: Rc<Waiter> = Rc::default();
    let (slot, woken) = (reply.clone(), arrived.clone());
    let wanted = invite.to_string();
    let channel = HandoffChannel::open(move |message| {
        if let HandoffMessage::Reply { invite, outcome } = message {
            if invite == wanted {
                slot.borrow_mut().get_or_insert(outcome);
                wake(&woken);
            }
        }
    })?;
    channel.post(&HandoffMessage::answer(invite, code));
    let started = now_ms();
    loop {
        if let Some(outcome) = *reply.borrow() {
            return Some(outcome);
        }
        let left = f64::from(REPLY_TIMEOUT_MS) - (now_ms() - started);
        if left <= 0.0 {
            return None;
        }
        sleep_or_wake(left.ceil() as i32, &arrived).await;
    }
}
