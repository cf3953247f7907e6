//! The `files` data channel: negotiated (id 1) next to the chat channel (id 0), so file data
//! never queues in front of chat messages. Binary frames arrive as `ArrayBuffer`s and stay JS
//! objects. Sending respects the channel's buffer: [`FileChannel::writable`] waits for
//! `bufferedamountlow` when too much is queued. Owns every callback it installs and releases
//! them, and closes the channel, when dropped.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{ArrayBuffer, Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Event, MessageEvent, RtcDataChannel, RtcDataChannelInit, RtcDataChannelState,
    RtcDataChannelType, RtcPeerConnection,
};

use crate::core::transfer::chunk_payload_bytes;
use crate::web::browser::js_error_text;
use crate::web::timers::wake;

const FILES_CHANNEL_LABEL: &str = "files";
const FILES_CHANNEL_ID: u16 = 1;

/// Above this much queued data, the sender waits until `bufferedamountlow` (Chromium refuses
/// `send` past 16 MiB queued). Kept short because whatever is queued, SCTP may put on the wire in
/// one go once its window opens, and Chromium's renderer drops UDP packets when more than 64 KB
/// are on their way to its network process (`IpcPacketSocket`, `kMaximumInFlightBytes`; counted
/// as `packetsDiscardedOnSend`). When the tail of such a burst is dropped, no later packet reports
/// the gap, SCTP waits for its retransmission timer and starts again from one packet: the first
/// file on a new connection then stalls for 0.5-1.7 s (measured with `bench/run.mjs`, 16 MiB,
/// headless Chromium on loopback, 2 cores; plain JS the same). With 256 KiB / 64 KiB, 5 of 16
/// first transfers stalled, hundreds to thousands of packets dropped in most of them, 6-20 MiB/s;
/// with 64 KiB / 16 KiB none of 16 stalled, most dropped nothing, 15-24 MiB/s. Later files, once
/// the window has settled, move as fast either way (64 MiB: the same within this machine's
/// noise). A chat message sent mid-transfer waits behind less, too.
const BUFFER_HIGH_BYTES: u32 = 64 * 1024;
/// `bufferedamountlow` fires when the queue drains to this.
const BUFFER_LOW_BYTES: u32 = 16 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FileChannelError {
    #[error("Files cannot be sent on this connection: {0}")]
    Unavailable(String),
    #[error("The connection for files is not open.")]
    NotOpen,
    #[error("The browser refused to send file data: {0}")]
    SendFailed(String),
}

/// What the channel tells its owner.
pub enum FileChannelEvent {
    Closed,
    Text(String),
    Binary(ArrayBuffer),
}

pub struct FileChannel {
    connection: RtcPeerConnection,
    channel: RtcDataChannel,
    /// `resolve` of the promise a sender is waiting on (buffer drained, or channel opened/closed).
    waiter: Rc<RefCell<Option<Function>>>,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_close: Closure<dyn FnMut(Event)>,
    _on_low: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl FileChannel {
    /// Creates the negotiated channel on a live connection. The other side does the same.
    pub fn open(
        connection: &RtcPeerConnection,
        on_event: impl Fn(FileChannelEvent) + 'static,
    ) -> Result<Self, FileChannelError> {
        let init = RtcDataChannelInit::new();
        init.set_negotiated(true);
        init.set_id(FILES_CHANNEL_ID);
        init.set_ordered(true);
        // Called through Reflect: web-sys's binding does not catch, and createDataChannel throws
        // on a closed connection or an id in use.
        let create = Reflect::get(connection, &JsValue::from_str("createDataChannel"))
            .and_then(|create| create.dyn_into::<Function>())
            .map_err(|error| FileChannelError::Unavailable(js_error_text(&error)))?;
        let channel = create
            .call2(connection, &JsValue::from_str(FILES_CHANNEL_LABEL), &init)
            .and_then(|channel| channel.dyn_into::<RtcDataChannel>())
            .map_err(|error| FileChannelError::Unavailable(js_error_text(&error)))?;
        channel.set_binary_type(RtcDataChannelType::Arraybuffer);
        channel.set_buffered_amount_low_threshold(BUFFER_LOW_BYTES);

        let waiter: Rc<RefCell<Option<Function>>> = Rc::new(RefCell::new(None));
        let on_event = Rc::new(on_event);

        let open_waiter = waiter.clone();
        let on_open = Closure::<dyn FnMut(Event)>::new(move |_: Event| wake(&open_waiter));
        channel.set_onopen(Some(on_open.as_ref().unchecked_ref()));

        let low_waiter = waiter.clone();
        let on_low = Closure::<dyn FnMut(Event)>::new(move |_: Event| wake(&low_waiter));
        channel.set_onbufferedamountlow(Some(on_low.as_ref().unchecked_ref()));

        let (close_waiter, close_events) = (waiter.clone(), on_event.clone());
        let on_close = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            wake(&close_waiter);
            close_events(FileChannelEvent::Closed);
        });
        channel.set_onclose(Some(on_close.as_ref().unchecked_ref()));

        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data();
            if let Some(text) = data.as_string() {
                on_event(FileChannelEvent::Text(text));
            } else if let Ok(buffer) = data.dyn_into::<ArrayBuffer>() {
                on_event(FileChannelEvent::Binary(buffer));
            }
            // Anything else (a Blob from a misconfigured peer) has no meaning here.
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));

        Ok(Self {
            connection: connection.clone(),
            channel,
            waiter,
            _on_open: on_open,
            _on_close: on_close,
            _on_low: on_low,
            _on_message: on_message,
        })
    }

    /// Chunk payload for this connection: capped by the peer's SCTP max-message-size
    /// (`pc.sctp.maxMessageSize`, which web-sys does not expose).
    pub fn payload_bytes(&self) -> usize {
        let max = Reflect::get(&self.connection, &JsValue::from_str("sctp"))
            .ok()
            .filter(|sctp| sctp.is_object())
            .and_then(|sctp| Reflect::get(&sctp, &JsValue::from_str("maxMessageSize")).ok())
            .and_then(|max| max.as_f64());
        chunk_payload_bytes(max)
    }

    pub fn is_closed(&self) -> bool {
        matches!(
            self.channel.ready_state(),
            RtcDataChannelState::Closing | RtcDataChannelState::Closed
        )
    }

    /// A promise that resolves when the channel can take more data (open, buffer below the high
    /// mark), or has closed. None when it can take data now.
    pub fn writable(&self) -> Option<JsFuture> {
        let state = self.channel.ready_state();
        let ready = state == RtcDataChannelState::Open
            && self.channel.buffered_amount() < BUFFER_HIGH_BYTES;
        if ready || self.is_closed() {
            return None;
        }
        // A second waiter replaces the first; the first is woken so nobody hangs.
        wake(&self.waiter);
        let waiter = self.waiter.clone();
        let promise = Promise::new(&mut |resolve: Function, _reject: Function| {
            waiter.replace(Some(resolve));
        });
        Some(JsFuture::from(promise))
    }

    fn check_open(&self) -> Result<(), FileChannelError> {
        if self.channel.ready_state() == RtcDataChannelState::Open {
            Ok(())
        } else {
            Err(FileChannelError::NotOpen)
        }
    }

    pub fn send_text(&self, text: &str) -> Result<(), FileChannelError> {
        self.check_open()?;
        self.channel
            .send_with_str(text)
            .map_err(|error| FileChannelError::SendFailed(js_error_text(&error)))
    }

    /// Sends a binary frame that lives in JS memory (file data never crosses into wasm).
    pub fn send_view(&self, frame: &Uint8Array) -> Result<(), FileChannelError> {
        self.check_open()?;
        self.channel
            .send_with_array_buffer_view(frame)
            .map_err(|error| FileChannelError::SendFailed(js_error_text(&error)))
    }
}

impl Drop for FileChannel {
    fn drop(&mut self) {
        self.channel.set_onopen(None);
        self.channel.set_onclose(None);
        self.channel.set_onbufferedamountlow(None);
        self.channel.set_onmessage(None);
        self.channel.close();
        // A sender waiting for room wakes up and finds the channel gone.
        wake(&self.waiter);
    }
}
