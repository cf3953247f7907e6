//! The QR decoder: a web worker of its own, built by trunk next to the app (index.html,
//! `data-type="worker"`), fetched only when a browser without `BarcodeDetector` scans a code.
//! The app's first load does not carry it, and decoding runs off the page's thread.
//!
//! Messages (`web::scanner` is the other end):
//! - worker → page `true` once: ready (messages sent before that would be lost while the wasm
//!   loads);
//! - page → worker `[width, height, ArrayBuffer]`: one RGBA frame (a canvas's `ImageData`
//!   buffer, transferred);
//! - worker → page, for each frame: the text of the first QR code read, `false` when a code was
//!   found but could not be read, `null` when there is none.
// On the host only the tests call the decoder.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

/// What one frame holds.
#[derive(Debug, PartialEq, Eq)]
enum Reading {
    Text(String),
    /// A code was found (its finder patterns) but not read: blurred, cut off, too small.
    Unreadable,
    Nothing,
}

/// Reads the first QR code in an RGBA frame. Total: any size mismatch is `Nothing`.
fn read_rgba(width: usize, height: usize, rgba: &[u8]) -> Reading {
    if width == 0
        || height == 0
        || width.checked_mul(height).and_then(|n| n.checked_mul(4)) != Some(rgba.len())
    {
        return Reading::Nothing;
    }
    // ITU-R BT.601 luma in integers; quirc thresholds the grey image itself.
    let grey: Vec<u8> = rgba
        .chunks_exact(4)
        .map(|px| {
            ((77 * u32::from(px[0]) + 150 * u32::from(px[1]) + 29 * u32::from(px[2])) >> 8) as u8
        })
        .collect();
    read_grey(width, height, &grey)
}

fn read_grey(width: usize, height: usize, grey: &[u8]) -> Reading {
    let mut decoder = quircs::Quirc::default();
    let mut reading = Reading::Nothing;
    for code in decoder.identify(width, height, grey) {
        let text = code
            .ok()
            .and_then(|code| code.decode().ok())
            .and_then(|data| String::from_utf8(data.payload).ok());
        match text {
            Some(text) => return Reading::Text(text),
            None => reading = Reading::Unreadable,
        }
    }
    reading
}

#[cfg(target_arch = "wasm32")]
mod worker {
    use std::cell::RefCell;

    use js_sys::{Array, ArrayBuffer, Uint8Array};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    use super::{read_rgba, Reading};

    type Handler = Closure<dyn FnMut(MessageEvent)>;

    thread_local! {
        /// The message handler, alive as long as the worker (the page terminates it).
        static ON_MESSAGE: RefCell<Option<Handler>> = const { RefCell::new(None) };
    }

    fn answer(scope: &DedicatedWorkerGlobalScope, event: &MessageEvent) {
        let frame = Array::from(&event.data());
        let size = |index| {
            frame
                .get(index)
                .as_f64()
                .filter(|n| *n >= 0.0 && *n <= 8192.0)
        };
        let reading = match (size(0), size(1), frame.get(2).dyn_into::<ArrayBuffer>()) {
            (Some(width), Some(height), Ok(buffer)) => read_rgba(
                width as usize,
                height as usize,
                &Uint8Array::new(&buffer).to_vec(),
            ),
            _ => Reading::Nothing,
        };
        let reply = match reading {
            Reading::Text(text) => JsValue::from_str(&text),
            Reading::Unreadable => JsValue::FALSE,
            Reading::Nothing => JsValue::NULL,
        };
        // Only fails if the page is gone; then nobody waits for the answer.
        let _ = scope.post_message(&reply);
    }

    pub fn start() {
        let Ok(scope) = js_sys::global().dyn_into::<DedicatedWorkerGlobalScope>() else {
            return;
        };
        let replier = scope.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            answer(&replier, &event)
        });
        scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ON_MESSAGE.with(|slot| slot.replace(Some(on_message)));
        let _ = scope.post_message(&JsValue::TRUE);
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {
    worker::start();
}

/// The worker runs in a browser (see README); on the host only its tests exist.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("qrscan is Tin Can's QR decoder web worker: built by trunk, see README.md.");
}

#[cfg(test)]
mod tests {
    use super::*;
    use qrcode::{Color, EcLevel, QrCode};

    /// A grey image of `text`'s QR code: `scale` pixels a module, a 4-module quiet zone, centred
    /// on a 640×480 light-grey frame.
    fn frame_of(text: &str, scale: usize) -> (usize, usize, Vec<u8>) {
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::L).expect("fits");
        let modules = code.width();
        let colors = code.to_colors();
        let (width, height) = (640, 480);
        let mut grey = vec![200u8; width * height];
        let side = (modules + 8) * scale;
        let (left, top) = ((width - side) / 2, (height - side) / 2);
        for y in 0..side {
            for x in 0..side {
                let (mx, my) = ((x / scale) as isize - 4, (y / scale) as isize - 4);
                let dark = mx >= 0
                    && my >= 0
                    && (mx as usize) < modules
                    && (my as usize) < modules
                    && colors[my as usize * modules + mx as usize] == Color::Dark;
                grey[(top + y) * width + left + x] = if dark { 20 } else { 250 };
            }
        }
        (width, height, grey)
    }

    fn rgba(grey: &[u8]) -> Vec<u8> {
        grey.iter().flat_map(|&g| [g, g, g, 255]).collect()
    }

    /// Each pixel the mean of a (2r+1)² box around it: a camera out of focus.
    fn box_blur(width: usize, height: usize, grey: &[u8], radius: usize) -> Vec<u8> {
        let mut out = vec![0u8; grey.len()];
        for y in 0..height {
            for x in 0..width {
                let (x0, x1) = (x.saturating_sub(radius), (x + radius).min(width - 1));
                let (y0, y1) = (y.saturating_sub(radius), (y + radius).min(height - 1));
                let mut sum = 0u32;
                for yy in y0..=y1 {
                    for xx in x0..=x1 {
                        sum += u32::from(grey[yy * width + xx]);
                    }
                }
                out[y * width + x] = (sum / ((x1 - x0 + 1) * (y1 - y0 + 1)) as u32) as u8;
            }
        }
        out
    }

    const LINK: &str = "https://x.github.io/tincan/#DAbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";

    #[test]
    fn reads_a_link_from_an_rgba_frame() {
        let (width, height, grey) = frame_of(LINK, 6);
        assert_eq!(
            read_rgba(width, height, &rgba(&grey)),
            Reading::Text(LINK.into())
        );
    }

    #[test]
    fn a_blurred_code_is_found_but_not_read() {
        let (width, height, grey) = frame_of(LINK, 6);
        // A module is 6 pixels: a mean over 9×9 leaves the finder patterns, not the data.
        let blurred = box_blur(width, height, &grey, 4);
        assert_eq!(read_grey(width, height, &blurred), Reading::Unreadable);
        // Out of focus beyond that, no code is seen at all.
        let lost = box_blur(width, height, &grey, 6);
        assert_eq!(read_grey(width, height, &lost), Reading::Nothing);
    }

    #[test]
    fn a_partly_covered_code_is_found_but_not_read() {
        let (width, height, mut grey) = frame_of(LINK, 6);
        // The bottom-right quarter (no finder pattern there) under a thumb.
        for y in height / 2..height {
            for x in width / 2..width {
                grey[y * width + x] = 230;
            }
        }
        assert_eq!(read_grey(width, height, &grey), Reading::Unreadable);
    }

    #[test]
    fn nothing_in_an_empty_or_malformed_frame() {
        assert_eq!(
            read_rgba(640, 480, &vec![128; 640 * 480 * 4]),
            Reading::Nothing
        );
        assert_eq!(read_rgba(640, 480, &[0; 16]), Reading::Nothing);
        assert_eq!(read_rgba(0, 0, &[]), Reading::Nothing);
        assert_eq!(read_rgba(usize::MAX, 2, &[]), Reading::Nothing);
    }
}
