//! Groups: three to eight people in one conversation, still with no server. Pure state
//! machines; the browser glue drives them with frames, connections and `now_ms`.
//!
//! # The idea
//!
//! Every pair of members has its own direct WebRTC connection (a full mesh), made the same way
//! as a two-person chat's: an offer and an answer carrying every candidate and the DTLS
//! fingerprint. Only the first connection of a newcomer needs a link (the usual invite →
//! answer, with whichever member made it); every other pair's offer and answer travel over the
//! group's existing data channels, relayed by a member both are already connected to. Once one
//! member is connected to the group, the group carries its own signalling.
//!
//! # Roles
//!
//! - **Member**: a browser, known by its stable browser id (the `peer` of its hello), with the
//!   name its hello gave and the DTLS fingerprint of *our* direct connection with it.
//! - **Founder**: the member that started the group ([`Group::found`]); its log begins with an
//!   entry adding itself.
//! - **Introducer**: a member directly connected to two members that are not connected to each
//!   other. It sends both an introduction ([`GroupFrame::Introduce`]) and relays the offer one
//!   way and the answer the other ([`GroupFrame::Signal`]). Whoever adds a newcomer introduces
//!   it to the members it is connected to; after a break, the member with the lowest id among
//!   those connected to both ends introduces the pair again, once both ends said the pair
//!   broke, within seconds ([`Group::introductions_due`]).
//! - **Offerer**: of each pair, the member with the lower browser id makes the offer; both ends
//!   and the introducer know it without asking, so two offers never cross (no glare).
//! - **Neighbour**: a member with an open, greeted direct channel to us. Messages go to the
//!   neighbours and are forwarded by them to members they reach that the author does not.
//!
//! # Membership
//!
//! Adding someone and leaving are entries of the group's log (`Joined`, written by the member
//! who added; `Left`, written by the leaver), so they travel, arrive once and are synced like
//! messages. The members are a function of the set of those entries, whatever order they came
//! in ([`roster`]): every member agrees. At most [`MAX_MEMBERS`]; "Add person" is refused when
//! full, and should two members fill the last place at once, the earlier addition is in on every
//! member and the other waits outside. Introductions are accepted only from members, only for
//! pairs of members within the limit, only once while one runs ([`introduction`]).
//!
//! # Messages across the mesh
//!
//! Per-author numbering, de-duplication, delivery in order per author (gaps held, bounded),
//! per-member receipts, forwarding along paths without loops, and the sync that gives a member
//! who drops and rejoins through any member what was written meanwhile exactly once: see
//! [`mesh`].
//!
//! # A safety code per member pair
//!
//! Between me and each other member there is a direct connection, and its DTLS handshake proves
//! the fingerprints in its offer and answer. The safety code of that pair is computed as for two
//! people ([`crate::core::safety::safety_code`]) from my certificate's fingerprint and the one
//! *our* connection saw for that member ([`Group::safety_code_with`]). An introducer relays the
//! offer and answer of a pair it introduces; if it (or anyone on the way) swaps their
//! fingerprints to sit in the middle, each end sees the attacker's fingerprint instead of the
//! other's, so the two ends compute different codes for that pair, and comparing them (by voice,
//! in person) shows it. Each pair compares its own code: a member who compared codes with Ann
//! knows nothing yet about Bob. What a member relays for others (forwarded messages, a sync) is
//! not signed: members are people the group took in, and a member who forwards can alter what
//! it forwards to a member the author has no direct connection with. The member list says
//! honestly who is reached only that way.
//!
//! # Limits
//!
//! - [`MAX_MEMBERS`] members (8); [`MAX_AUTHORS`] people ever added, which bounds every list in
//!   a frame.
//! - An SDP relayed in an introduction: non-empty, at most [`MAX_SDP_BYTES`].
//! - Paths: at most [`MAX_MEMBERS`] hops, nobody twice. Ids as `core::store::id_ok` allows,
//!   names as `core::protocol::clean_name` leaves them, texts within `MAX_TEXT_CHARS`, numbers
//!   within JavaScript's safe integers, every frame within `MAX_FRAME_BYTES`.
//! - Held entries: [`mesh::MAX_HELD_PER_AUTHOR`] per author past a gap,
//!   [`mesh::MAX_STRANGERS`] from not-yet-added authors.
//! - An introduction has [`introduction::INTRODUCTION_TIMEOUT_MS`] to connect. A pair whose
//!   connection broke is introduced again after [`introduction::RETRY_FIRST_MS`], doubling
//!   with each failure in a row up to [`introduction::RETRY_MAX_MS`]; after an introduction
//!   that ran out, at least as long as it ran.
//!
//! # What the app wiring does
//!
//! - **Channels.** Each member pair uses one `RTCPeerConnection` with the usual chat channel
//!   (and file channel). Its hello is the two-person hello with `conversation` = the group id,
//!   `peer` = the browser id and [`GROUP_CAPABILITY`] among the capabilities. Group frames go on
//!   that chat channel: pass every raw frame to the connection's `FrameGate::admit` first, and
//!   when that gives nothing, to [`admit_group_frame`] (it decodes, waits for the hello, counts
//!   refusals as dropped frames). A two-person conversation is untouched: no group frame is
//!   ever sent on it, its links do not change.
//! - **Add person.** Make the usual invite link. When the newcomer's hello arrives (the group's
//!   id, its browser id): [`Group::add_member`], then [`Group::neighbor_up`] with the
//!   fingerprint of that connection's remote description, and send what both return. The
//!   newcomer makes its [`Group`] with [`Group::join`] when its hello is accepted, then
//!   `neighbor_up` for the inviter; the first sync brings it the log, so the members.
//! - **Introductions.** On [`Connect::MakeOffer`] make a connection to that member and its
//!   offer (full gathering, as for a link) and give the SDP to [`Group::offer_made`]; on
//!   [`Connect::TakeOffer`] make the answer and give it to [`Group::answer_made`]; on
//!   [`Connect::TakeAnswer`] apply it; on [`Connect::GiveUp`] close that attempt. When the
//!   introduced connection's hello arrives and names the expected member, call
//!   [`Group::neighbor_up`] (judging the fingerprint against the known peers as for two people:
//!   a changed identity holds that pair). After each frame received, and every few seconds
//!   after [`Group::tick`], [`Group::introduce`] each pair of [`Group::introductions_due`]:
//!   that is how a newcomer meets everyone (once its sync is answered, so that it knows them)
//!   and how a pair that broke is introduced again by a member both still reach.
//! - **Messages.** [`Group::write`] returns the frames to send; [`Group::receive`] returns
//!   frames to send, connections to make, and the range of [`Group::history`] that is new.
//!   Send [`Group::acknowledge`] shortly after entries arrive (one per burst). On a channel's
//!   close, [`Group::neighbor_down`]. Store [`Group::history`] ([`entries_to_json`]); after
//!   a reload, [`entries_from_json`], [`Group::restore`] and connect again to any member (a
//!   link, or its stored connection).
//! - **Coming back.** A member that reloads restores its group and connects to any member
//!   online, with a link or its stored connection. The member it reaches sees a hello for the
//!   group from a member ([`Group::add_member`] would say `AlreadyMember`) and only calls
//!   [`Group::neighbor_up`]: the syncs both ways bring each side what the other wrote
//!   meanwhile, once, and the introductions that follow rebuild the mesh. `now_ms` is the wall
//!   clock (`Date.now()`): links lists announced after a reload must be newer than before it.
//! - **Typing and files.** [`Group::typing`] gives a typing notice for every neighbour; each
//!   member shows it ([`Outcome::typing`]) and passes it on, once, to the members it reaches
//!   that the typist does not, so a member reached only through others sees who is typing too
//!   (a two-person `Typing` frame on a direct channel, from an older app, still names its
//!   sender). Files go over each pair's file channel and are not forwarded by this module: the
//!   file wiring decides how to serve a member reached only through others.
//! - **Sending order.** Send each `Envelope` on the channel to its `to`, in the order given; a
//!   channel that is gone drops it (the sync on the next connection makes up for it).
//! - **The member list** shows each of [`Group::members`]: name; "Direct", "Through Bob"
//!   ([`Reach::Via`]) or "Not reachable"; an introduction running or failed; the safety code of
//!   our pair ([`Group::safety_code_with`]); who added whom. Under each own message: "Delivered
//!   to k of n" from [`Group::receipt`]. **Leave**: [`Group::leave`], send, then close every
//!   channel of the group; the others see the `Left` entry.

pub mod introduction;
pub mod mesh;
pub mod roster;
pub mod wire;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod simulation;
#[cfg(test)]
mod testnet;

pub use introduction::{Connect, IntroRefusal, Introductions, PairState, RelayState};
pub use mesh::{Group, GroupError, MemberView, Outcome, Reach, Receipt};
pub use roster::{MemberRecord, Roster};
pub use wire::{
    admit_group_frame, entries_from_json, entries_to_json, is_group_frame, Body, Counters, Entry,
    GroupFrame, GroupFrameError,
};

/// What a hello lists when its app can be in a group.
pub const GROUP_CAPABILITY: &str = "group";

/// Most members a group has, the founder included.
pub const MAX_MEMBERS: usize = 8;

/// Most people a group ever adds (members who left and were added again count once): bounds
/// every list of counters a frame carries.
pub const MAX_AUTHORS: usize = 64;

/// Longest offer or answer an introduction relays (the same bound as an in-band renegotiation).
pub const MAX_SDP_BYTES: usize = 16 * 1024;

/// A frame to put on the chat channel to the member `to`.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope {
    pub to: String,
    pub frame: GroupFrame,
}
