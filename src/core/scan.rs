//! "Scan QR code": what a scanned text means for the screen that scans it, what went wrong with
//! the camera, and what to tell someone whose camera sees no readable code yet.
//!
//! The browser glue (`web::scanner`) reads codes; this decides what they are worth.

use crate::core::links::app_base;
use crate::core::signal::{self, CodeError, SignalKind};

/// What the scanning screen waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expecting {
    /// The start screen: an invite to open.
    Invite,
    /// The inviter's "Paste the answer link" box: the answer to its invite.
    Answer,
}

/// Why scanning gave nothing usable. Each message leaves the paste path open.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScanProblem {
    #[error("Camera access was refused. Allow the camera for this site in your browser’s settings and press Scan QR code again, or paste the link instead.")]
    CameraRefused,
    #[error("No camera was found. Paste the link instead.")]
    NoCamera,
    #[error("The camera is in use by another app or could not start. Close that app and press Scan QR code again, or paste the link instead.")]
    CameraBusy,
    #[error("The camera could not be opened ({0}). Paste the link instead.")]
    CameraFailed(String),
    #[error("The QR code reader could not be loaded ({0}). Paste the link instead.")]
    ReaderFailed(String),
    #[error("This QR code is not a Tin Can link. Scan the code on your contact’s Tin Can screen, or paste their link.")]
    NotTinCan,
    #[error("This QR code is an invite, not an answer. Scan the code of the answer link your contact got after opening your invite.")]
    InviteNotAnswer,
    #[error("This QR code is an answer link, not an invite: it belongs in the browser that made the invite (Scan QR code under “Paste the answer link”). To join a chat, scan an invite.")]
    AnswerNotInvite,
    /// A link to this app whose code cannot be used (cut off, damaged, newer version).
    #[error("{0}")]
    Unusable(CodeError),
}

impl ScanProblem {
    /// A failed `getUserMedia`, by the DOMException's `name`.
    pub fn from_camera_error(name: &str, description: &str) -> Self {
        match name {
            "NotAllowedError" | "SecurityError" => ScanProblem::CameraRefused,
            // No camera at all, or none that can face the way we ask.
            "NotFoundError" | "OverconstrainedError" => ScanProblem::NoCamera,
            "NotReadableError" | "AbortError" => ScanProblem::CameraBusy,
            _ => ScanProblem::CameraFailed(description.to_owned()),
        }
    }
}

/// Decides what a scanned text is for a screen expecting `expecting`. `own_base` is this app's
/// address (`links::app_base` of the page). Returns the text to hand to the app (a link it
/// already knows how to open or connect with).
///
/// A text that decodes as a Tin Can code is one, whichever copy of the app made it (the code is
/// what matters). A text that does not decode is "not a Tin Can link", unless it is a link to
/// this very app: then the code's own problem (cut off, damaged, newer version) is the message.
pub fn read_scanned(
    text: &str,
    own_base: &str,
    expecting: Expecting,
) -> Result<String, ScanProblem> {
    let text = text.trim();
    match signal::decode(text) {
        Ok(signal) => match (expecting, signal.kind) {
            (Expecting::Invite, SignalKind::Invite) | (Expecting::Answer, SignalKind::Answer) => {
                Ok(text.to_owned())
            }
            (Expecting::Answer, SignalKind::Invite) => Err(ScanProblem::InviteNotAnswer),
            (Expecting::Invite, SignalKind::Answer) => Err(ScanProblem::AnswerNotInvite),
        },
        Err(error) if text.contains('#') && app_base(text) == own_base => {
            Err(ScanProblem::Unusable(error))
        }
        Err(_) => Err(ScanProblem::NotTinCan),
    }
}

/// After this long with no code read, the person is told how to hold the code.
pub const HINT_AFTER_MS: f64 = 4_000.0;
/// A code in view that cannot be read is mentioned once it has been so for this long (a phone
/// being raised sees a blurred code for a frame or two; that is not worth a message).
pub const UNREADABLE_AFTER_MS: f64 = 800.0;
/// Without an unreadable code for this long, the unreadable streak is over.
const UNREADABLE_FORGET_MS: f64 = 2_000.0;

/// What a decoder made of one frame, short of reading a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sighting {
    /// No QR code in the frame.
    Nothing,
    /// A QR code was found but could not be read (blurred, cut off, too small).
    Unreadable,
}

/// The line under the video while the camera runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guidance {
    Aim,
    /// Nothing read for a while.
    HoldCloser,
    /// A code is in view but the decoder cannot read it.
    Unreadable,
}

impl Guidance {
    pub fn text(self) -> &'static str {
        match self {
            Guidance::Aim => "Point the camera at the QR code, inside the frame.",
            Guidance::HoldCloser => {
                "No code read yet: hold the code steady and closer, inside the frame, in good light."
            }
            Guidance::Unreadable => "A QR code is in view but cannot be read: hold it steady and closer, in good light, with the whole code inside the frame.",
        }
    }
}

/// Turns the frames a scan saw into [`Guidance`].
#[derive(Clone, Debug)]
pub struct ScanWatch {
    started_ms: f64,
    /// When the current run of unreadable sightings began, and the latest one.
    unreadable: Option<(f64, f64)>,
}

impl ScanWatch {
    pub fn new(now_ms: f64) -> Self {
        Self {
            started_ms: now_ms,
            unreadable: None,
        }
    }

    pub fn on_frame(&mut self, now_ms: f64, sighting: Sighting) -> Guidance {
        if let Some((_, latest)) = self.unreadable {
            if now_ms - latest > UNREADABLE_FORGET_MS {
                self.unreadable = None;
            }
        }
        if sighting == Sighting::Unreadable {
            let since = self.unreadable.map_or(now_ms, |(since, _)| since);
            self.unreadable = Some((since, now_ms));
        }
        match self.unreadable {
            Some((since, _)) if now_ms - since >= UNREADABLE_AFTER_MS => Guidance::Unreadable,
            _ if now_ms - self.started_ms >= HINT_AFTER_MS => Guidance::HoldCloser,
            _ => Guidance::Aim,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::links::link_with_code;
    use crate::core::signal::{InviteId, Signal};

    const BASE: &str = "https://x.github.io/tincan/";

    fn link(kind: SignalKind) -> String {
        let code = signal::encode(&Signal {
            kind,
            invite_id: InviteId([7; 8]),
            sdp: "v=0\r\nnot really sdp\r\n".to_owned(),
        });
        link_with_code(BASE, &code)
    }

    #[test]
    fn takes_the_expected_kind_from_any_copy_of_the_app() {
        let answer = link(SignalKind::Answer);
        assert_eq!(
            read_scanned(&answer, BASE, Expecting::Answer),
            Ok(answer.clone())
        );
        // Another deployment of the app: the code is what counts.
        let elsewhere = answer.replace(BASE, "https://other.example/chat/");
        assert_eq!(
            read_scanned(&format!(" {elsewhere}\n"), BASE, Expecting::Answer),
            Ok(elsewhere)
        );
        let invite = link(SignalKind::Invite);
        assert_eq!(read_scanned(&invite, BASE, Expecting::Invite), Ok(invite));
    }

    #[test]
    fn the_wrong_kind_is_named() {
        assert_eq!(
            read_scanned(&link(SignalKind::Invite), BASE, Expecting::Answer),
            Err(ScanProblem::InviteNotAnswer)
        );
        assert_eq!(
            read_scanned(&link(SignalKind::Answer), BASE, Expecting::Invite),
            Err(ScanProblem::AnswerNotInvite)
        );
    }

    #[test]
    fn other_codes_are_not_tin_can_links() {
        for text in [
            "",
            "hello",
            "WIFI:S:home;T:WPA;P:secret;;",
            "https://example.com/",
            "https://example.com/page#Dsomething",
            "BEGIN:VCARD",
        ] {
            assert_eq!(
                read_scanned(text, BASE, Expecting::Answer),
                Err(ScanProblem::NotTinCan),
                "{text}"
            );
        }
    }

    #[test]
    fn a_damaged_link_to_this_app_says_what_is_wrong() {
        let answer = link(SignalKind::Answer);
        let cut = &answer[..answer.len() - 5];
        assert!(matches!(
            read_scanned(cut, BASE, Expecting::Answer),
            Err(ScanProblem::Unusable(_))
        ));
        assert_eq!(
            read_scanned(&format!("{BASE}#Zzzz"), BASE, Expecting::Invite),
            Err(ScanProblem::Unusable(CodeError::UnknownVersion))
        );
    }

    #[test]
    fn camera_errors_by_name() {
        assert_eq!(
            ScanProblem::from_camera_error("NotAllowedError", ""),
            ScanProblem::CameraRefused
        );
        assert_eq!(
            ScanProblem::from_camera_error("NotFoundError", ""),
            ScanProblem::NoCamera
        );
        assert_eq!(
            ScanProblem::from_camera_error("NotReadableError", ""),
            ScanProblem::CameraBusy
        );
        assert_eq!(
            ScanProblem::from_camera_error("TypeError", "bad"),
            ScanProblem::CameraFailed("bad".into())
        );
        for problem in [
            ScanProblem::CameraRefused,
            ScanProblem::NoCamera,
            ScanProblem::CameraBusy,
        ] {
            assert!(
                problem
                    .to_string()
                    .to_lowercase()
                    .contains("paste the link"),
                "{problem}"
            );
        }
    }

    #[test]
    fn guidance_over_time() {
        let mut watch = ScanWatch::new(0.0);
        assert_eq!(watch.on_frame(150.0, Sighting::Nothing), Guidance::Aim);
        assert_eq!(watch.on_frame(3_900.0, Sighting::Nothing), Guidance::Aim);
        assert_eq!(
            watch.on_frame(4_000.0, Sighting::Nothing),
            Guidance::HoldCloser
        );
    }

    #[test]
    fn an_unreadable_code_is_mentioned_once_it_stays() {
        let mut watch = ScanWatch::new(0.0);
        // A single blurred frame while the phone moves: nothing said.
        assert_eq!(watch.on_frame(200.0, Sighting::Unreadable), Guidance::Aim);
        assert_eq!(watch.on_frame(400.0, Sighting::Nothing), Guidance::Aim);
        assert_eq!(
            watch.on_frame(1_000.0, Sighting::Unreadable),
            Guidance::Unreadable
        );
        // Gone for a while: back to the timed hint.
        assert_eq!(
            watch.on_frame(2_800.0, Sighting::Nothing),
            Guidance::Unreadable
        );
        assert_eq!(watch.on_frame(3_100.0, Sighting::Nothing), Guidance::Aim);
        assert_eq!(
            watch.on_frame(4_500.0, Sighting::Nothing),
            Guidance::HoldCloser
        );
        // A new run starts the delay again.
        assert_eq!(
            watch.on_frame(4_700.0, Sighting::Unreadable),
            Guidance::HoldCloser
        );
        assert_eq!(
            watch.on_frame(5_600.0, Sighting::Unreadable),
            Guidance::Unreadable
        );
    }
}
