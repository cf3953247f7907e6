//! One member's copy of the group: the log every member writes to, who has what of it, who is
//! connected to whom, and what goes to which neighbour.
//!
//! - **Numbering.** Each author numbers its own entries 1, 2, 3…; an entry is known everywhere
//!   by `(author, seq)`. A copy that arrives twice (directly and forwarded, or resent by a sync)
//!   is taken once.
//! - **Order.** Each author's entries enter the log in their order. One that skips a number is
//!   held (at most [`MAX_HELD_PER_AUTHOR`] per author) until the gap is filled, and the gap
//!   makes us ask the neighbour that sent it for what we lack (a sync, once per gap). An entry
//!   by someone the log has not added yet waits apart ([`MAX_STRANGERS`]) for the entry that
//!   adds its author.
//! - **Receipts.** Every member tells every other, now and then, how far it has each author's
//!   entries ([`GroupFrame::Ack`], cumulative): "delivered to 2 of 3" is counted from those.
//! - **Links and forwarding.** Every member tells every other which members it has a direct
//!   connection to ([`GroupFrame::Links`], versioned). An author sends its entry to its
//!   neighbours; a member that takes something new (an entry as it enters the log, a receipt,
//!   a links list) passes it on to each of its neighbours that is not on the frame's path and
//!   not directly connected to its origin (as both of them last said). So in a full mesh
//!   nothing is forwarded, and a pair that cannot connect is served by every member both
//!   reach. Only something new is passed on and never to a member on the path: no loops, at
//!   most [`MAX_MEMBERS`] hops.
//! - **Sync.** When a direct connection opens, each side sends the last number it has of each
//!   author, and the other sends everything beyond, in its log's order. When one closes, each
//!   side asks its remaining neighbours the same, and tells them its links first: an entry that
//!   was on the lost connection is then either in the answer or forwarded afterwards. A member
//!   who drops and rejoins through any member gets what was written meanwhile, once, in order.

use std::collections::VecDeque;
use std::ops::Range;

use super::introduction::{Connect, IntroRefusal, Introductions, PairState};
use super::roster::Roster;
use super::wire::{entry_ok, Body, Counters, Entry, GroupFrame};
use super::{Envelope, MAX_AUTHORS, MAX_MEMBERS};
use crate::core::protocol::{clean_name, MAX_TEXT_CHARS};
use crate::core::safety::{safety_code, Fingerprint};
use crate::core::sorted_vec::{SortedMap, SortedSet};
use crate::core::store::{id_ok, MAX_NUMBER};

/// Entries held per author while an earlier one is missing. Beyond, they are dropped: the sync
/// the gap asked for brings them again, in order.
pub const MAX_HELD_PER_AUTHOR: usize = 256;

/// Entries held whose author the log has not added yet.
pub const MAX_STRANGERS: usize = 64;

/// How a member can be reached from here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reach {
    Me,
    /// Over our own direct connection.
    Direct,
    /// Forwarded: the first member on the way (connected to us directly).
    Via(String),
    /// Nobody we reach is connected to it (as far as we know).
    Unreachable,
}

/// One line of the member list.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberView {
    pub id: String,
    pub name: Option<String>,
    pub introduced_by: String,
    pub reach: Reach,
    /// The member's DTLS fingerprint on our direct connection, if we have had one.
    pub fingerprint: Option<Fingerprint>,
    /// Where an introduction to it stands (`None`: none running, or never needed).
    pub introduction: Option<PairState>,
}

/// How many of the other members have an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub delivered_to: usize,
    pub of: usize,
}

/// What a received frame asks of the app.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Frames to put on the wire, each on the channel to `to`, in this order.
    pub send: Vec<Envelope>,
    /// Connections to make or drop (introductions).
    pub connect: Vec<Connect>,
    /// Entries the log took: `history()[delivered]` (may include other authors' entries that
    /// waited for this one).
    pub delivered: Range<usize>,
    /// A member is typing (its notice came directly or through others).
    pub typing: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    #[error("not a valid member id")]
    BadId,
    #[error("that message is too long: at most {MAX_TEXT_CHARS} characters")]
    TooLong,
    #[error("only a member can do that")]
    NotAMember,
    #[error("the group is full: at most {MAX_MEMBERS} members")]
    Full,
    #[error("already a member")]
    AlreadyMember,
    #[error("this browser left the group")]
    Left,
    #[error("a stored group log is damaged")]
    Damaged,
    #[error("a frame from a member without a direct connection to us")]
    NotANeighbor,
    #[error("a frame whose path does not end with its sender, or passes us")]
    BadPath,
    #[error("a frame out of bounds")]
    OutOfBounds,
    #[error("not synced yet: the group's messages have not arrived")]
    NotSynced,
    #[error("introduction refused: {0}")]
    Introduction(IntroRefusal),
}

/// What became of one entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Taken {
    Delivered,
    Held,
    Stranger,
    Duplicate,
    Forged,
}

/// One member's copy of a group (see the module doc).
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    id: String,
    me: String,
    /// Every entry, in the order this member took them.
    log: Vec<Entry>,
    /// Highest number taken in order, per author.
    upto: SortedMap<String, u64>,
    /// Entries past a gap, per author.
    held: SortedMap<String, SortedMap<u64, (Entry, Vec<String>)>>,
    /// The number we had of an author when its gap made us ask for a sync (once per gap).
    gap_asked: SortedMap<String, u64>,
    /// Entries whose author the log has not added yet, with their paths.
    strangers: Vec<(Entry, Vec<String>)>,
    /// A stranger's entry was dropped: ask for a sync once its author is added.
    strangers_dropped: bool,
    roster: Roster,
    /// What each other member said it has, per author.
    acks: SortedMap<String, SortedMap<String, u64>>,
    /// Each other member's latest links list, with its version.
    links: SortedMap<String, (u64, SortedSet<String>)>,
    /// Members with an open, greeted direct channel to us.
    neighbors: SortedSet<String>,
    /// Neighbours whose sync we answered on their current channel: they have our log, so an
    /// introduction sent to them now comes after the entries that add the other member.
    synced: SortedSet<String>,
    /// Syncs from neighbours the log has not added yet, answered once it has.
    waiting_sync: SortedMap<String, Counters>,
    /// Version of our latest links list.
    links_version: u64,
    /// Version of our latest typing notice.
    typing_version: u64,
    /// The latest typing notice's version of each member: an older or repeated one (the same
    /// notice forwarded along another way) is neither shown nor passed on again.
    typing_seen: SortedMap<String, u64>,
    /// Our log holds every entry we ever wrote: we founded the group, wrote since, or our
    /// stored log came back. Until then (a newcomer, or a member whose storage was lost) our
    /// own earlier entries may come with a sync.
    own_complete: bool,
    /// Each member's DTLS fingerprint as our direct connection with it saw it.
    fingerprints: SortedMap<String, Fingerprint>,
    introductions: Introductions,
}

impl Group {
    fn empty(id: &str, me: &str) -> Result<Self, GroupError> {
        if !id_ok(id) || !id_ok(me) {
            return Err(GroupError::BadId);
        }
        Ok(Self {
            id: id.to_owned(),
            me: me.to_owned(),
            log: Vec::new(),
            upto: SortedMap::new(),
            held: SortedMap::new(),
            gap_asked: SortedMap::new(),
            strangers: Vec::new(),
            strangers_dropped: false,
            roster: Roster::default(),
            acks: SortedMap::new(),
            links: SortedMap::new(),
            neighbors: SortedSet::new(),
            synced: SortedSet::new(),
            waiting_sync: SortedMap::new(),
            links_version: 0,
            typing_version: 0,
            typing_seen: SortedMap::new(),
            own_complete: false,
            fingerprints: SortedMap::new(),
            introductions: Introductions::new(me),
        })
    }

    /// A new group `id`, started by this browser (`me`, its browser id) as its first member.
    pub fn found(id: &str, me: &str, name: Option<&str>, now_ms: f64) -> Result<Self, GroupError> {
        let mut group = Self::empty(id, me)?;
        group.append(
            Body::Joined {
                member: me.to_owned(),
                name: name.and_then(clean_name),
                gen: 1,
            },
            now_ms,
        );
        Ok(group)
    }

    /// This browser was added to group `id` by the member it connected to: the log (and so the
    /// members) arrives with the first sync.
    pub fn join(id: &str, me: &str) -> Result<Self, GroupError> {
        Self::empty(id, me)
    }

    /// The group as stored: `entries` as [`Group::history`] gave them. Each is checked and taken
    /// again in order; anything that would not have been taken that way makes the whole record
    /// damaged.
    pub fn restore(
        id: &str,
        me: &str,
        entries: Vec<Entry>,
        now_ms: f64,
    ) -> Result<Self, GroupError> {
        let mut group = Self::empty(id, me)?;
        for entry in entries {
            if !entry_ok(&entry) {
                return Err(GroupError::Damaged);
            }
            let mut scratch = Outcome::default();
            if group.take(entry, Vec::new(), &mut scratch) != Taken::Delivered {
                return Err(GroupError::Damaged);
            }
        }
        // Links lists and typing notices from here on are newer than any before the reload.
        group.links_version = clock_version(now_ms);
        group.typing_version = clock_version(now_ms);
        group.own_complete = group.roster.participant(me);
        Ok(group)
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn me(&self) -> &str {
        &self.me
    }

    /// Every entry, in the order this member took them (each author's in its order).
    pub fn history(&self) -> &[Entry] {
        &self.log
    }

    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    pub fn neighbors(&self) -> &SortedSet<String> {
        &self.neighbors
    }

    /// The highest number taken in order of each author.
    pub fn counters(&self) -> Counters {
        self.upto.iter().map(|(a, s)| (a.clone(), *s)).collect()
    }

    fn upto_of(&self, author: &str) -> u64 {
        self.upto.get(author).copied().unwrap_or(0)
    }

    /// Whether this browser left the group (it writes nothing more).
    pub fn has_left(&self) -> bool {
        self.roster.participant(&self.me) && !self.roster.is_present(&self.me)
    }

    // ----- this member's own actions -----

    /// Appends an entry of ours to the log and sends it to every neighbour.
    fn append(&mut self, body: Body, now_ms: f64) -> (u64, Outcome) {
        self.own_complete = true;
        let seq = self.upto_of(&self.me) + 1;
        let entry = Entry {
            author: self.me.clone(),
            seq,
            ts: now_ms,
            body,
        };
        let mut out = self.outcome();
        out.send = self
            .neighbors
            .iter()
            .map(|to| Envelope {
                to: to.clone(),
                frame: GroupFrame::Entry {
                    entry: entry.clone(),
                    path: vec![self.me.clone()],
                },
            })
            .collect();
        self.deliver(entry, &mut out);
        (seq, out)
    }

    /// A message: its number, and the frames that carry it. Refused before the log has come
    /// ([`GroupError::NotSynced`]) and after leaving.
    pub fn write(&mut self, text: String, now_ms: f64) -> Result<(u64, Vec<Envelope>), GroupError> {
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(GroupError::TooLong);
        }
        if self.has_left() {
            return Err(GroupError::Left);
        }
        // Until the entry that adds us arrives (with the first sync) we might be a member
        // whose stored log was lost: our own old entries come with it, and a number of ours
        // written before would repeat one of theirs.
        if !self.roster.participant(&self.me) {
            return Err(GroupError::NotSynced);
        }
        let (seq, out) = self.append(Body::Text(text), now_ms);
        Ok((seq, out.send))
    }

    /// "Add person": `newcomer` (the browser id of its hello, with the name it gave) connected
    /// to us with an invite link. Call before [`Group::neighbor_up`] for it, so that its first
    /// sync brings it the entry that adds it; then introduce it to the others.
    pub fn add_member(
        &mut self,
        newcomer: &str,
        name: Option<&str>,
        now_ms: f64,
    ) -> Result<Vec<Envelope>, GroupError> {
        if !id_ok(newcomer) || newcomer == self.me {
            return Err(GroupError::BadId);
        }
        if !self.roster.is_member(&self.me) {
            return Err(GroupError::NotAMember);
        }
        if self.roster.is_present(newcomer) {
            return Err(GroupError::AlreadyMember);
        }
        let authors = self.roster.participants().count();
        if self.roster.is_full() || (!self.roster.participant(newcomer) && authors >= MAX_AUTHORS) {
            return Err(GroupError::Full);
        }
        let gen = self.roster.generation(newcomer) + 1;
        let body = Body::Joined {
            member: newcomer.to_owned(),
            name: name.and_then(clean_name),
            gen,
        };
        Ok(self.append(body, now_ms).1.send)
    }

    /// "Leave": the others are told (then the app closes every channel of the group).
    pub fn leave(&mut self, now_ms: f64) -> Result<Vec<Envelope>, GroupError> {
        let Some(gen) = self
            .roster
            .record(&self.me)
            .filter(|_| self.roster.is_present(&self.me))
            .map(|record| record.gen)
        else {
            return Err(GroupError::NotAMember);
        };
        Ok(self.append(Body::Left { gen }, now_ms).1.send)
    }

    /// Our receipts, to every neighbour: how far we have each author's entries. The app sends
    /// them shortly after entries arrive (one frame per burst, as for two people).
    pub fn acknowledge(&self) -> Vec<Envelope> {
        let acks = self.counters();
        self.neighbors
            .iter()
            .map(|to| Envelope {
                to: to.clone(),
                frame: GroupFrame::Ack {
                    from: self.me.clone(),
                    acks: acks.clone(),
                    path: vec![self.me.clone()],
                },
            })
            .collect()
    }

    /// We are typing: a notice to every neighbour, which passes it on to the members it
    /// reaches that we do not. The app sends it at most every few seconds while keys go down.
    pub fn typing(&mut self, now_ms: f64) -> Vec<Envelope> {
        if !self.roster.is_member(&self.me) {
            return Vec::new();
        }
        self.typing_version = (self.typing_version + 1).max(clock_version(now_ms));
        self.neighbors
            .iter()
            .map(|to| Envelope {
                to: to.clone(),
                frame: GroupFrame::Typing {
                    from: self.me.clone(),
                    version: self.typing_version,
                    path: vec![self.me.clone()],
                },
            })
            .collect()
    }

    // ----- connections -----

    /// The direct channel with `member` is open and its hello accepted; `fingerprint`: the DTLS
    /// fingerprint of that connection's remote description. We ask it for what we lack, tell
    /// everyone our links, and tell it what we know of the others' links and receipts.
    pub fn neighbor_up(
        &mut self,
        member: &str,
        fingerprint: Option<Fingerprint>,
        now_ms: f64,
    ) -> Result<Vec<Envelope>, GroupError> {
        if !id_ok(member) || member == self.me {
            return Err(GroupError::BadId);
        }
        if !self.neighbors.contains(member) && self.neighbors.len() >= MAX_MEMBERS {
            return Err(GroupError::Full);
        }
        self.neighbors.insert(member.to_owned());
        if let Some(fingerprint) = fingerprint {
            self.fingerprints.insert(member.to_owned(), fingerprint);
        }
        self.introductions.connected(member, now_ms);
        let mut send = self.announce_links(now_ms);
        let to = |frame| Envelope {
            to: member.to_owned(),
            frame,
        };
        send.push(to(GroupFrame::Sync {
            seen: self.counters(),
        }));
        let path = vec![self.me.clone()];
        for (origin, (version, links)) in &self.links {
            if origin != member {
                send.push(to(GroupFrame::Links {
                    from: origin.clone(),
                    version: *version,
                    links: links.iter().cloned().collect(),
                    path: path.clone(),
                }));
            }
        }
        for (origin, acks) in &self.acks {
            if origin != member {
                send.push(to(GroupFrame::Ack {
                    from: origin.clone(),
                    acks: acks.iter().map(|(a, s)| (a.clone(), *s)).collect(),
                    path: path.clone(),
                }));
            }
        }
        send.push(to(GroupFrame::Ack {
            from: self.me.clone(),
            acks: self.counters(),
            path,
        }));
        Ok(send)
    }

    /// The direct channel with `member` closed. We tell the others our links, then ask them
    /// for what we lack: what was on the way over the lost channel comes another way.
    pub fn neighbor_down(&mut self, member: &str, now_ms: f64) -> Vec<Envelope> {
        if !self.neighbors.remove(member) {
            return Vec::new();
        }
        self.synced.remove(member);
        self.waiting_sync.remove(member);
        self.introductions.disconnected(member);
        let mut send = self.announce_links(now_ms);
        let seen = self.counters();
        send.extend(self.neighbors.iter().map(|to| Envelope {
            to: to.clone(),
            frame: GroupFrame::Sync { seen: seen.clone() },
        }));
        send
    }

    fn announce_links(&mut self, now_ms: f64) -> Vec<Envelope> {
        self.links_version = (self.links_version + 1).max(clock_version(now_ms));
        let links: Vec<String> = self.neighbors.iter().cloned().collect();
        self.neighbors
            .iter()
            .map(|to| Envelope {
                to: to.clone(),
                frame: GroupFrame::Links {
                    from: self.me.clone(),
                    version: self.links_version,
                    links: links.clone(),
                    path: vec![self.me.clone()],
                },
            })
            .collect()
    }

    /// Whether `a` and `b` are directly connected, as both last said (we know our own).
    fn knows_direct(&self, a: &str, b: &str) -> bool {
        if a == self.me {
            return self.neighbors.contains(b);
        }
        if b == self.me {
            return self.neighbors.contains(a);
        }
        self.claims(a, b) && self.claims(b, a)
    }

    /// Whether `a`'s latest links list names `b`.
    fn claims(&self, a: &str, b: &str) -> bool {
        self.links
            .get(a)
            .is_some_and(|(_, links)| links.contains(b))
    }

    /// The other members `member` is directly connected to, as both last said (pairs we are
    /// not in: the ones we may introduce).
    fn direct_pairs_of(&self, member: &str) -> Vec<String> {
        self.links
            .get(member)
            .map(|(_, links)| {
                links
                    .iter()
                    .filter(|other| **other != self.me && self.knows_direct(member, other))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    // ----- frames from neighbours -----

    fn outcome(&self) -> Outcome {
        Outcome {
            delivered: self.log.len()..self.log.len(),
            ..Outcome::default()
        }
    }

    /// A frame from the neighbour `from` (over its direct channel, past the gate).
    pub fn receive(
        &mut self,
        from: &str,
        frame: GroupFrame,
        now_ms: f64,
    ) -> Result<Outcome, GroupError> {
        if !self.neighbors.contains(from) {
            return Err(GroupError::NotANeighbor);
        }
        let mut out = self.outcome();
        match frame {
            GroupFrame::Entry { entry, path } => {
                self.check_path(from, &path)?;
                if !entry_ok(&entry) {
                    return Err(GroupError::OutOfBounds);
                }
                self.take(entry, path, &mut out);
            }
            GroupFrame::Ack {
                from: origin,
                acks,
                path,
            } => {
                self.check_path(from, &path)?;
                if self.merge_acks(&origin, &acks)? {
                    self.forward(&origin, &path, &mut out, |path| GroupFrame::Ack {
                        from: origin.clone(),
                        acks: acks.clone(),
                        path,
                    });
                }
            }
            GroupFrame::Links {
                from: origin,
                version,
                links,
                path,
            } => {
                self.check_path(from, &path)?;
                if links.len() > MAX_MEMBERS || !id_ok(&origin) {
                    return Err(GroupError::OutOfBounds);
                }
                let newer = self
                    .links
                    .get(&origin)
                    .is_none_or(|(known, _)| version > *known);
                if origin == self.me || !newer {
                    return Ok(out);
                }
                if !self.links.contains_key(&origin) && self.links.len() >= MAX_AUTHORS {
                    return Err(GroupError::OutOfBounds);
                }
                let was_direct = self.direct_pairs_of(&origin);
                self.links
                    .insert(origin.clone(), (version, links.iter().cloned().collect()));
                // Pairs of `origin` that connected or broke: an introducer of theirs learns
                // how its introduction went, or that the pair needs a new one.
                let is_direct = self.direct_pairs_of(&origin);
                for other in is_direct.iter().filter(|o| !was_direct.contains(o)) {
                    self.introductions.pair_connected(&origin, other, now_ms);
                }
                for other in was_direct.iter().filter(|o| !is_direct.contains(o)) {
                    self.introductions.pair_broke(&origin, other, now_ms);
                }
                self.forward(&origin, &path, &mut out, |path| GroupFrame::Links {
                    from: origin.clone(),
                    version,
                    links: links.clone(),
                    path,
                });
            }
            GroupFrame::Sync { seen } => {
                // Only members get the log (a newcomer has nothing of it to guard). A neighbour
                // the log has not added yet (its addition is on the way) waits for it.
                if self.roster.is_member(&self.me) && !self.roster.is_member(from) {
                    self.waiting_sync.insert(from.to_owned(), seen);
                } else {
                    self.answer_sync(from, seen, &mut out)?;
                }
            }
            GroupFrame::Typing {
                from: origin,
                version,
                path,
            } => {
                self.check_path(from, &path)?;
                let newer = self
                    .typing_seen
                    .get(&origin)
                    .is_none_or(|seen| version > *seen);
                // Members only (which bounds what we keep), never in our name.
                if origin == self.me || !self.roster.is_member(&origin) || !newer {
                    return Ok(out);
                }
                self.typing_seen.insert(origin.clone(), version);
                self.forward(&origin, &path, &mut out, |path| GroupFrame::Typing {
                    from: origin.clone(),
                    version,
                    path,
                });
                out.typing = Some(origin);
            }
            GroupFrame::Introduce { .. } | GroupFrame::Signal { .. } => {
                let step = self
                    .introductions
                    .receive(from, &frame, &self.roster, &self.neighbors, now_ms)
                    .map_err(GroupError::Introduction)?;
                out.send = step.send;
                out.connect = step.connect;
            }
            GroupFrame::Unknown => {}
        }
        Ok(out)
    }

    /// A neighbour's sync: we send it what it lacks, in our log's order.
    fn answer_sync(
        &mut self,
        from: &str,
        seen: Counters,
        out: &mut Outcome,
    ) -> Result<(), GroupError> {
        // What it has is what it acknowledges: news passes on as its receipt would (which,
        // coming after this, will be no news here).
        if self.merge_acks(from, &seen)? {
            let own = [from.to_owned()];
            self.forward(from, &own, out, |path| GroupFrame::Ack {
                from: from.to_owned(),
                acks: seen.clone(),
                path,
            });
        }
        self.synced.insert(from.to_owned());
        let seen: SortedMap<&str, u64> = seen.iter().map(|(a, s)| (a.as_str(), *s)).collect();
        out.send.extend(
            self.log
                .iter()
                .filter(|e| e.seq > seen.get(e.author.as_str()).copied().unwrap_or(0))
                .map(|entry| Envelope {
                    to: from.to_owned(),
                    frame: GroupFrame::Entry {
                        entry: entry.clone(),
                        path: vec![self.me.clone()],
                    },
                }),
        );
        Ok(())
    }

    /// A forwarded frame's path ends with the neighbour that sent it and does not pass us.
    fn check_path(&self, from: &str, path: &[String]) -> Result<(), GroupError> {
        if path.last().map(String::as_str) != Some(from) || path.contains(&self.me) {
            return Err(GroupError::BadPath);
        }
        Ok(())
    }

    /// Takes what `origin` says it has; whether that is news.
    fn merge_acks(&mut self, origin: &str, acks: &Counters) -> Result<bool, GroupError> {
        if origin == self.me {
            return Ok(false);
        }
        if !self.acks.contains_key(origin) && self.acks.len() >= MAX_AUTHORS {
            return Err(GroupError::OutOfBounds);
        }
        let known = self.acks.entry(origin.to_owned()).or_default();
        let mut news = false;
        for (author, seq) in acks {
            if known.len() >= MAX_AUTHORS && !known.contains_key(author) {
                continue;
            }
            let had = known.entry(author.clone()).or_default();
            if *seq > *had {
                *had = *seq;
                news = true;
            }
        }
        Ok(news)
    }

    /// Passes something new from `origin` on to each neighbour not on `path` and not directly
    /// connected to `origin`.
    fn forward(
        &self,
        origin: &str,
        path: &[String],
        out: &mut Outcome,
        frame: impl Fn(Vec<String>) -> GroupFrame,
    ) {
        if path.len() >= MAX_MEMBERS {
            return;
        }
        let mut onward = path.to_vec();
        onward.push(self.me.clone());
        for to in &self.neighbors {
            if path.contains(to) || to == origin || self.knows_direct(to, origin) {
                continue;
            }
            out.send.push(Envelope {
                to: to.clone(),
                frame: frame(onward.clone()),
            });
        }
    }

    /// One entry, from the wire (with its path) or from storage (no path).
    fn take(&mut self, entry: Entry, path: Vec<String>, out: &mut Outcome) -> Taken {
        let upto = self.upto_of(&entry.author);
        let held = self
            .held
            .get(&entry.author)
            .is_some_and(|held| held.contains_key(&entry.seq));
        let waiting = self.strangers.iter().any(|(e, _)| e.key() == entry.key());
        if entry.seq <= upto || held || waiting {
            return Taken::Duplicate;
        }
        if entry.author == self.me && self.own_complete {
            // Only we write our entries, and we have all of them: this one is forged.
            return Taken::Forged;
        }
        let adds_itself =
            matches!(&entry.body, Body::Joined { member, .. } if *member == entry.author);
        let known = entry.author == self.me
            || self.roster.participant(&entry.author)
            || (adds_itself && self.roster.participants().count() < MAX_AUTHORS);
        if !known {
            if self.strangers.len() < MAX_STRANGERS {
                self.strangers.push((entry, path));
            } else {
                self.strangers_dropped = true;
            }
            return Taken::Stranger;
        }
        let author = entry.author.clone();
        if entry.seq == upto + 1 {
            self.pass_on(&entry, &path, out);
            self.deliver(entry, out);
            loop {
                let next_seq = self.upto_of(&author) + 1;
                let Some((next, path)) = self
                    .held
                    .get_mut(&author)
                    .and_then(|held| held.remove(&next_seq))
                else {
                    break;
                };
                self.pass_on(&next, &path, out);
                self.deliver(next, out);
            }
            if self.held.get(&author).is_some_and(SortedMap::is_empty) {
                self.held.remove(&author);
            }
            return Taken::Delivered;
        }
        let from = path.last().cloned();
        let held = self.held.entry(author.clone()).or_default();
        if held.len() < MAX_HELD_PER_AUTHOR {
            held.insert(entry.seq, (entry, path));
        }
        if self.gap_asked.get(&author) != Some(&upto) {
            self.gap_asked.insert(author, upto);
            if let Some(from) = from.filter(|from| self.neighbors.contains(from)) {
                out.send.push(Envelope {
                    to: from,
                    frame: GroupFrame::Sync {
                        seen: self.counters(),
                    },
                });
            }
        }
        Taken::Held
    }

    /// Forwards an entry as it enters the log, not as it arrives: one held past a gap goes on
    /// when the gap is filled, to the neighbours we have then. (Held entries are in no sync
    /// answer; a neighbour that synced meanwhile would otherwise never get it from us.)
    fn pass_on(&self, entry: &Entry, path: &[String], out: &mut Outcome) {
        self.forward(&entry.author, path, out, |path| GroupFrame::Entry {
            entry: entry.clone(),
            path,
        });
    }

    /// The next entry of its author: into the log, and into the roster if it adds or removes.
    fn deliver(&mut self, entry: Entry, out: &mut Outcome) {
        self.upto.insert(entry.author.clone(), entry.seq);
        let mut added = None;
        match &entry.body {
            Body::Joined { member, name, gen } => {
                self.roster
                    .joined(&entry.author, member, name.clone(), *gen, entry.ts);
                added = Some(member.clone());
            }
            Body::Left { gen } => self.roster.left(&entry.author, *gen),
            Body::Text(_) => {}
        }
        self.log.push(entry);
        out.delivered.end = self.log.len();
        let Some(added) = added else {
            return;
        };
        if !self.strangers.is_empty() || self.strangers_dropped {
            self.release_strangers(out);
        }
        if self.roster.is_member(&added) {
            if let Some(seen) = self.waiting_sync.remove(&added) {
                // Within bounds: it was checked when it came.
                let _ = self.answer_sync(&added, seen, out);
            }
        }
    }

    /// Someone was added: entries of theirs that waited are taken now.
    fn release_strangers(&mut self, out: &mut Outcome) {
        for (entry, path) in std::mem::take(&mut self.strangers) {
            self.take(entry, path, out);
        }
        if std::mem::take(&mut self.strangers_dropped) {
            let seen = self.counters();
            out.send.extend(self.neighbors.iter().map(|to| Envelope {
                to: to.clone(),
                frame: GroupFrame::Sync { seen: seen.clone() },
            }));
        }
    }

    // ----- what the screen shows -----

    /// How many of the other members have `author`'s entry `seq` ("delivered to 2 of 3").
    pub fn receipt(&self, author: &str, seq: u64) -> Receipt {
        let others: Vec<&str> = self
            .roster
            .members()
            .into_iter()
            .map(|r| r.id.as_str())
            .filter(|id| *id != author)
            .collect();
        let delivered_to = others
            .iter()
            .filter(|id| {
                let has = if **id == self.me {
                    self.upto_of(author)
                } else {
                    self.acks
                        .get(**id)
                        .and_then(|acks| acks.get(author))
                        .copied()
                        .unwrap_or(0)
                };
                has >= seq
            })
            .count();
        Receipt {
            delivered_to,
            of: others.len(),
        }
    }

    /// How `member` is reached: directly, or through whom (the shortest way the links lists
    /// show).
    pub fn reach(&self, member: &str) -> Reach {
        if member == self.me {
            return Reach::Me;
        }
        if self.neighbors.contains(member) {
            return Reach::Direct;
        }
        // Breadth first over what each member said it is connected to.
        let mut first_hop: SortedMap<&str, &str> = SortedMap::new();
        let mut queue: VecDeque<&str> = VecDeque::new();
        for neighbor in &self.neighbors {
            first_hop.insert(neighbor, neighbor);
            queue.push_back(neighbor);
        }
        while let Some(at) = queue.pop_front() {
            let hop = first_hop.get(at).copied().unwrap_or(at);
            let Some((_, links)) = self.links.get(at) else {
                continue;
            };
            for next in links {
                if next == &self.me || first_hop.contains_key(next.as_str()) {
                    continue;
                }
                if next == member {
                    return Reach::Via(hop.to_owned());
                }
                first_hop.insert(next, hop);
                queue.push_back(next);
            }
        }
        Reach::Unreachable
    }

    /// The member list, in the order members were added.
    pub fn members(&self) -> Vec<MemberView> {
        self.roster
            .members()
            .into_iter()
            .map(|record| MemberView {
                id: record.id.clone(),
                name: record.name.clone(),
                introduced_by: record.introduced_by.clone(),
                reach: self.reach(&record.id),
                fingerprint: self.fingerprints.get(&record.id).cloned(),
                introduction: self.introductions.state(&record.id).cloned(),
            })
            .collect()
    }

    /// The safety code between this browser (`mine`: our certificate's fingerprint) and
    /// `member`, from the fingerprint our direct connection with it saw.
    pub fn safety_code_with(&self, member: &str, mine: &Fingerprint) -> Option<String> {
        self.fingerprints
            .get(member)
            .map(|theirs| safety_code(mine, theirs))
    }

    // ----- introductions -----

    /// Pairs of our neighbours that are members without a direct connection to each other,
    /// which we should introduce: of all members connected to both, we have the lowest id (so
    /// exactly one member introduces each pair). Not while either of them still says it is
    /// connected to the other (after a break, until both noticed): it would refuse the
    /// introduction. Only neighbours whose sync we answered: a newcomer must hold the entries
    /// that add the other before the introduction comes (the channel keeps that order).
    /// Filtered by [`Introductions::due`] in [`Group::introductions_due`].
    pub fn introductions_wanted(&self) -> Vec<(String, String)> {
        let members: Vec<&str> = self
            .roster
            .members()
            .into_iter()
            .map(|r| r.id.as_str())
            .collect();
        if !members.contains(&self.me.as_str()) {
            return Vec::new();
        }
        let mut wanted = Vec::new();
        let ready = |id: &&String| members.contains(&id.as_str()) && self.synced.contains(*id);
        for a in self.neighbors.iter().filter(ready) {
            for b in self.neighbors.iter().filter(|b| *b > a).filter(ready) {
                if self.claims(a, b) || self.claims(b, a) {
                    continue;
                }
                let lowest = members
                    .iter()
                    .filter(|c| **c != a && **c != b)
                    .filter(|c| self.knows_direct(c, a) && self.knows_direct(c, b))
                    .min();
                if lowest == Some(&self.me.as_str()) {
                    wanted.push((a.clone(), b.clone()));
                }
            }
        }
        wanted
    }

    /// The pairs to introduce now (wanted, and not tried lately).
    pub fn introductions_due(&self, now_ms: f64) -> Vec<(String, String)> {
        self.introductions.due(self.introductions_wanted(), now_ms)
    }

    /// We introduce `a` and `b` to each other (both our neighbours, both synced with us: take
    /// the pairs from [`Group::introductions_due`]).
    pub fn introduce(
        &mut self,
        a: &str,
        b: &str,
        now_ms: f64,
    ) -> Result<Vec<Envelope>, GroupError> {
        if !self.synced.contains(a) || !self.synced.contains(b) {
            return Err(GroupError::NotSynced);
        }
        self.introductions
            .introduce(a, b, &self.roster, &self.neighbors, now_ms)
            .map_err(GroupError::Introduction)
    }

    /// Our offer for `other` is made: the frame to send to the introducer.
    pub fn offer_made(&mut self, other: &str, sdp: String) -> Result<Envelope, GroupError> {
        self.introductions
            .offer_made(other, sdp)
            .map_err(GroupError::Introduction)
    }

    /// Our answer for `other` is made: the frame to send to the introducer.
    pub fn answer_made(&mut self, other: &str, sdp: String) -> Result<Envelope, GroupError> {
        self.introductions
            .answer_made(other, sdp)
            .map_err(GroupError::Introduction)
    }

    /// Introductions that ran out of time (call every few seconds).
    pub fn tick(&mut self, now_ms: f64) -> Vec<Connect> {
        self.introductions.tick(now_ms)
    }
}

/// A links-list version from the clock, so that one announced after a reload is newer.
fn clock_version(now_ms: f64) -> u64 {
    if now_ms.is_finite() && now_ms > 0.0 {
        (now_ms as u64).min(MAX_NUMBER)
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::super::introduction::{
        retry_delay, CONNECTION_HELD_MS, INTRODUCTION_TIMEOUT_MS, RETRY_FIRST_MS, RETRY_MAX_MS,
    };
    use super::super::testnet::{certificate, Net};
    use super::*;

    fn entry(author: &str, seq: u64, text: &str) -> Entry {
        Entry {
            author: author.into(),
            seq,
            ts: 5.0,
            body: Body::Text(text.into()),
        }
    }

    fn text_frame(author: &str, seq: u64, text: &str, path: &[&str]) -> GroupFrame {
        GroupFrame::Entry {
            entry: entry(author, seq, text),
            path: path.iter().map(|p| p.to_string()).collect(),
        }
    }

    /// Ann founds, adds Bob and Cid; all three connected to one another.
    fn three() -> Net {
        let mut net = Net::new("g1", "ann");
        net.add("ann", "bob");
        net.settle();
        net.add("ann", "cid");
        net.settle();
        net.connect("bob", "cid");
        net.settle();
        net
    }

    fn names(group: &Group) -> Vec<String> {
        group.members().into_iter().map(|m| m.id).collect()
    }

    #[test]
    fn a_newcomer_gets_the_log_and_the_members_from_its_first_sync() {
        let mut net = Net::new("g1", "ann");
        net.write("ann", "before bob");
        net.add("ann", "bob");
        // Not before the log has come: Bob might be a member whose stored log was lost.
        assert_eq!(
            net.group_mut("bob").write("too early".into(), 0.0),
            Err(GroupError::NotSynced)
        );
        net.settle();
        let bob = net.group("bob");
        assert_eq!(names(bob), ["ann", "bob"]);
        assert_eq!(bob.history(), net.group("ann").history());
        let members = bob.members();
        assert_eq!(members[1].introduced_by, "ann");
        assert_eq!(members[0].name.as_deref(), Some("ann"));
        assert_eq!(members[0].reach, Reach::Direct);
        assert_eq!(members[1].reach, Reach::Me);
        // Ann's first entry added herself.
        assert_eq!(net.texts("bob"), [("ann".into(), 2, "before bob".into())]);
    }

    #[test]
    fn messages_reach_everyone_once_with_receipts() {
        let mut net = three();
        let seq = net.write("bob", "hello all");
        assert_eq!(
            net.group("bob").receipt("bob", seq),
            Receipt {
                delivered_to: 0,
                of: 2
            }
        );
        net.settle();
        for who in ["ann", "bob", "cid"] {
            assert_eq!(net.texts(who), [("bob".into(), 1, "hello all".into())]);
            assert_eq!(
                net.group(who).receipt("bob", seq),
                Receipt {
                    delivered_to: 2,
                    of: 2
                },
                "{who}"
            );
        }
        // A second copy (say, forwarded after all) changes nothing.
        let again = net
            .group_mut("cid")
            .receive(
                "ann",
                text_frame("bob", 1, "hello all", &["bob", "ann"]),
                0.0,
            )
            .unwrap();
        assert!(again.delivered.is_empty() && again.send.is_empty());
    }

    #[test]
    fn a_gap_is_held_and_filled_in_order() {
        let mut net = three();
        let cid = net.group_mut("cid");
        let out = cid
            .receive("bob", text_frame("bob", 2, "second", &["bob"]), 0.0)
            .unwrap();
        assert!(out.delivered.is_empty(), "held, not shown");
        // The gap asks Bob for what is missing, once.
        assert!(matches!(
            out.send.as_slice(),
            [Envelope { to, frame: GroupFrame::Sync { .. } }] if to == "bob"
        ));
        let out = cid
            .receive("bob", text_frame("bob", 3, "third", &["bob"]), 0.0)
            .unwrap();
        assert!(out.send.is_empty());
        let out = cid
            .receive("bob", text_frame("bob", 1, "first", &["bob"]), 0.0)
            .unwrap();
        assert_eq!(out.delivered.len(), 3);
        let texts: Vec<String> = net.texts("cid").into_iter().map(|t| t.2).collect();
        assert_eq!(texts, ["first", "second", "third"]);
    }

    #[test]
    fn members_that_cannot_connect_are_served_by_forwarding() {
        // Ann–Bob and Bob–Cid only: Ann and Cid never connect directly.
        let mut net = Net::new("g1", "ann");
        net.add("ann", "bob");
        net.settle();
        net.add("bob", "cid");
        net.settle();
        assert_eq!(names(net.group("ann")), ["ann", "bob", "cid"]);
        assert_eq!(
            net.group("ann").reach("cid"),
            Reach::Via("bob".into()),
            "the member list says so"
        );
        let seq = net.write("ann", "to cid through bob");
        net.write("cid", "to ann through bob");
        net.settle();
        for who in ["ann", "bob", "cid"] {
            assert_eq!(net.texts(who).len(), 2, "{who}");
        }
        assert_eq!(
            net.group("ann").receipt("ann", seq),
            Receipt {
                delivered_to: 2,
                of: 2
            }
        );
        // Bob introduces them; once they are connected, nothing is forwarded any more.
        assert_eq!(
            net.group("bob").introductions_wanted(),
            [("ann".to_owned(), "cid".to_owned())]
        );
        assert!(net.group("ann").introductions_wanted().is_empty());
        net.connect("ann", "cid");
        net.settle();
        assert!(net.group("bob").introductions_wanted().is_empty());
        net.write("ann", "direct now");
        let forwarded_by_bob = net
            .busy()
            .into_iter()
            .filter(|(from, _)| from == "bob")
            .count();
        assert_eq!(forwarded_by_bob, 0);
        net.settle();
        assert_eq!(net.texts("cid").len(), 3);
    }

    #[test]
    fn paths_never_loop() {
        let mut net = three();
        let ann = net.group_mut("ann");
        // A frame that passed us already, or whose path does not end with its sender.
        assert_eq!(
            ann.receive(
                "bob",
                text_frame("cid", 1, "x", &["cid", "ann", "bob"]),
                0.0
            ),
            Err(GroupError::BadPath)
        );
        assert_eq!(
            ann.receive("bob", text_frame("cid", 1, "x", &["cid"]), 0.0),
            Err(GroupError::BadPath)
        );
        assert_eq!(
            ann.receive("eve", text_frame("cid", 1, "x", &["eve"]), 0.0),
            Err(GroupError::NotANeighbor)
        );
        assert!(ann.history().iter().all(|e| e.author != "cid"));
    }

    #[test]
    fn a_member_who_drops_rejoins_through_another_and_gets_the_gap_once() {
        let mut net = three();
        net.write("cid", "c1");
        net.settle();
        // Cid reloads (its log comes back from storage) while the others write.
        net.disconnect("cid", "ann");
        net.disconnect("cid", "bob");
        let stored = net.group("cid").history().to_vec();
        net.write("ann", "a1");
        net.write("bob", "b1");
        net.write("ann", "a2");
        net.settle();
        let restored = Group::restore("g1", "cid", stored, net.now + 1.0).unwrap();
        net.groups.insert("cid".into(), restored);
        net.write("cid", "written offline");
        // Back through Bob only (Ann wrote most of it).
        net.connect("cid", "bob");
        net.settle();
        let texts: Vec<(String, u64)> = net.texts("cid").into_iter().map(|t| (t.0, t.1)).collect();
        // In Bob's order (his own first); Ann's 1-3 added members, Cid's 1 is "c1".
        assert_eq!(
            texts,
            [
                ("cid".into(), 1),
                ("cid".into(), 2),
                ("bob".into(), 1),
                ("ann".into(), 4),
                ("ann".into(), 5)
            ]
        );
        // Ann got Cid's offline message through Bob, and knows Cid has hers.
        assert!(net
            .texts("ann")
            .contains(&("cid".into(), 2, "written offline".into())));
        assert_eq!(
            net.group("ann").receipt("ann", 2),
            Receipt {
                delivered_to: 2,
                of: 2
            }
        );
        assert_eq!(net.group("ann").reach("cid"), Reach::Via("bob".into()));
    }

    #[test]
    fn nobody_writes_in_our_name() {
        let mut net = three();
        net.write("cid", "mine");
        net.settle();
        // Bob forwards an entry "by Cid" that Cid never wrote: Cid ignores it…
        let forged = text_frame("cid", 2, "not mine", &["bob"]);
        let out = net.group_mut("cid").receive("bob", forged, 0.0).unwrap();
        assert!(out.delivered.is_empty() && out.send.is_empty());
        // …also after a reload from storage.
        let stored = net.group("cid").history().to_vec();
        let mut cid = Group::restore("g1", "cid", stored.clone(), 9.0).unwrap();
        cid.neighbor_up("bob", None, 9.0).unwrap();
        let forged = text_frame("cid", 2, "not mine", &["bob"]);
        assert!(cid
            .receive("bob", forged, 9.0)
            .unwrap()
            .delivered
            .is_empty());
        // A member whose stored log was lost takes its own entries back from the others.
        let mut fresh = Group::join("g1", "cid").unwrap();
        fresh.neighbor_up("bob", None, 9.0).unwrap();
        for entry in stored {
            let frame = GroupFrame::Entry {
                entry,
                path: vec!["bob".into()],
            };
            fresh.receive("bob", frame, 9.0).unwrap();
        }
        assert!(fresh
            .history()
            .iter()
            .any(|e| e.author == "cid" && e.body == Body::Text("mine".into())));
    }

    #[test]
    fn a_stored_log_is_taken_only_as_it_was_written() {
        let net = three();
        let history = net.group("cid").history().to_vec();
        let restored = Group::restore("g1", "cid", history.clone(), 9.0).unwrap();
        assert_eq!(restored.history(), history.as_slice());
        assert_eq!(names(&restored), ["ann", "bob", "cid"]);
        let mut gap = history.clone();
        gap.remove(1);
        assert_eq!(
            Group::restore("g1", "cid", gap, 9.0).err(),
            Some(GroupError::Damaged)
        );
        let mut twice = history.clone();
        twice.push(history[0].clone());
        assert_eq!(
            Group::restore("g1", "cid", twice, 9.0).err(),
            Some(GroupError::Damaged)
        );
        let mut bad = history;
        bad[0].seq = 0;
        assert_eq!(
            Group::restore("g1", "cid", bad, 9.0).err(),
            Some(GroupError::Damaged)
        );
        assert_eq!(
            Group::restore("<g>", "cid", vec![], 9.0).err(),
            Some(GroupError::BadId)
        );
    }

    #[test]
    fn adding_is_for_members_and_stops_at_eight() {
        let mut net = Net::new("g1", "m0");
        for n in 1..MAX_MEMBERS {
            net.add(&format!("m{}", n - 1), &format!("m{n}"));
            net.settle();
        }
        assert_eq!(net.group("m7").members().len(), MAX_MEMBERS);
        assert_eq!(
            net.group_mut("m3").add_member("m8", None, 0.0),
            Err(GroupError::Full)
        );
        assert_eq!(
            net.group_mut("m3").add_member("m2", None, 0.0),
            Err(GroupError::AlreadyMember)
        );
        assert_eq!(
            net.group_mut("m3").add_member("m3", None, 0.0),
            Err(GroupError::BadId)
        );
        let mut outsider = Group::join("g1", "eve").unwrap();
        assert_eq!(
            outsider.add_member("zed", None, 0.0),
            Err(GroupError::NotAMember)
        );
        // Someone leaves: everyone sees it, and the place is free again.
        let sends = net.group_mut("m5").leave(2.0).unwrap();
        net.post("m5", sends);
        net.settle();
        assert!(net.group("m5").has_left());
        assert_eq!(
            net.group_mut("m5").write("after leaving".into(), 3.0),
            Err(GroupError::Left)
        );
        assert!(!names(net.group("m0")).contains(&"m5".to_owned()));
        assert!(net.group_mut("m3").add_member("m8", None, 0.0).is_ok());
    }

    #[test]
    fn only_members_get_the_log() {
        let mut net = three();
        let ann = net.group_mut("ann");
        ann.neighbor_up("eve", None, 0.0).unwrap();
        let out = ann
            .receive("eve", GroupFrame::Sync { seen: vec![] }, 0.0)
            .unwrap();
        assert!(out.send.is_empty(), "no entry goes to a stranger");
        // What a stranger writes waits for someone to add it, and is never shown before.
        let out = ann
            .receive("eve", text_frame("eve", 1, "let me in", &["eve"]), 0.0)
            .unwrap();
        assert!(out.delivered.is_empty());
        // Once added, Eve gets the log her sync asked for.
        let sends = ann.add_member("eve", Some("Eve"), 0.0).unwrap();
        let to_eve: SortedSet<(String, u64)> = sends
            .iter()
            .filter(|send| send.to == "eve")
            .filter_map(|send| match &send.frame {
                GroupFrame::Entry { entry, .. } => Some((entry.author.clone(), entry.seq)),
                _ => None,
            })
            .collect();
        let log: SortedSet<(String, u64)> = ann
            .history()
            .iter()
            .map(|e| (e.author.clone(), e.seq))
            .collect();
        assert_eq!(to_eve, log);
        assert!(net
            .texts("ann")
            .contains(&("eve".into(), 1, "let me in".into())));
    }

    #[test]
    fn introductions_run_through_the_group() {
        // Ann added Bob and Cid, who are not connected to each other yet.
        let mut net = Net::new("g1", "ann");
        net.add("ann", "bob");
        net.settle();
        net.add("ann", "cid");
        net.settle();
        let due = net.group("ann").introductions_due(net.now);
        assert_eq!(due, [("bob".to_owned(), "cid".to_owned())]);
        let now = net.now;
        let sends = net.group_mut("ann").introduce("bob", "cid", now).unwrap();
        assert!(net.group("ann").introductions_due(net.now).is_empty());
        let (mut to_bob, mut to_cid) = (None, None);
        for send in sends {
            match send.to.as_str() {
                "bob" => to_bob = Some(send.frame),
                _ => to_cid = Some(send.frame),
            }
        }
        let out = net
            .group_mut("bob")
            .receive("ann", to_bob.unwrap(), 0.0)
            .unwrap();
        assert_eq!(
            out.connect,
            [Connect::MakeOffer {
                other: "cid".into()
            }]
        );
        let out = net
            .group_mut("cid")
            .receive("ann", to_cid.unwrap(), 0.0)
            .unwrap();
        assert!(out.connect.is_empty());
        let offer = net
            .group_mut("bob")
            .offer_made("cid", "OFFER".into())
            .unwrap();
        let out = net
            .group_mut("ann")
            .receive("bob", offer.frame, 0.0)
            .unwrap();
        let out = net
            .group_mut("cid")
            .receive("ann", out.send[0].frame.clone(), 0.0)
            .unwrap();
        assert!(matches!(&out.connect[0], Connect::TakeOffer { sdp, .. } if sdp == "OFFER"));
        assert_eq!(
            net.group("cid").members()[1].introduction,
            Some(PairState::OfferReceived { by: "ann".into() })
        );
        // A member that did not introduce them cannot answer for them.
        assert!(matches!(
            net.group_mut("bob").receive(
                "ann",
                GroupFrame::Signal {
                    pair: ("bob".into(), "cid".into()),
                    offer: true,
                    sdp: "FORGED".into()
                },
                0.0
            ),
            Err(GroupError::Introduction(_))
        ));
    }

    /// Ann founds; each next member is added by the one before, over a link: ann–bob,
    /// bob–cid, cid–dee. Everyone's certificate is known to the net.
    fn chain_of_four() -> Net {
        let mut net = Net::new("g1", "ann");
        for name in ["ann", "bob", "cid", "dee"] {
            net.certificates.insert(name.into(), certificate(name));
        }
        for (by, newcomer) in [("ann", "bob"), ("bob", "cid"), ("cid", "dee")] {
            net.add(by, newcomer);
            net.settle();
        }
        net
    }

    const FOUR: [&str; 4] = ["ann", "bob", "cid", "dee"];

    /// Whether both ends of each pair compute the same safety code.
    fn codes_match(net: &Net, a: &str, b: &str) -> bool {
        let at_a = net.group(a).safety_code_with(b, &certificate(a));
        let at_b = net.group(b).safety_code_with(a, &certificate(b));
        at_a.is_some() && at_a == at_b
    }

    #[test]
    fn a_full_mesh_forms_from_one_link_each() {
        let mut net = chain_of_four();
        net.form_mesh();
        for a in FOUR {
            for b in FOUR.iter().filter(|b| **b > a) {
                assert!(net.linked(a, b), "{a}–{b}");
                assert!(codes_match(&net, a, b), "{a}–{b}");
                assert_eq!(net.group(a).reach(b), Reach::Direct);
            }
        }
        // Nothing is forwarded in a full mesh: a message is one frame per neighbour.
        net.write("dee", "all direct");
        assert_eq!(net.busy().len(), 3);
        net.settle();
        for who in FOUR {
            assert_eq!(net.texts(who).len(), 1);
        }
    }

    #[test]
    fn a_tampered_introduction_shows_in_that_pairs_safety_code() {
        let mut net = chain_of_four();
        // Bob swaps the fingerprints in what he relays: he introduces Ann and Cid (he is
        // connected to both), then Ann and Dee (the lowest id connected to both).
        net.tamperer = Some("bob".into());
        net.form_mesh();
        let mut differ = Vec::new();
        for a in FOUR {
            for b in FOUR.iter().filter(|b| **b > a) {
                assert!(net.linked(a, b), "{a}–{b}");
                if !codes_match(&net, a, b) {
                    differ.push(format!("{a}–{b}"));
                }
            }
        }
        assert_eq!(differ, ["ann–cid", "ann–dee"]);
    }

    #[test]
    fn a_pair_that_cannot_connect_fails_and_is_served_by_forwarding() {
        let mut net = chain_of_four();
        net.blocked.insert(("ann".into(), "cid".into()));
        net.form_mesh();
        assert!(!net.linked("ann", "cid"));
        assert_eq!(
            net.group("ann").members()[2].introduction,
            Some(PairState::AnswerReceived { by: "bob".into() })
        );
        // Time runs out: the attempt is given up, the member list says how Cid is reached.
        net.now += INTRODUCTION_TIMEOUT_MS;
        let now = net.now;
        assert_eq!(
            net.group_mut("ann").tick(now),
            [Connect::GiveUp {
                other: "cid".into()
            }]
        );
        let cid = &net.group("ann").members()[2];
        assert_eq!(cid.introduction, Some(PairState::Failed));
        assert!(matches!(cid.reach, Reach::Via(_)));
        // Not introduced again at once (by Bob, or Dee: whoever is lowest connected to both).
        assert!(FOUR
            .iter()
            .all(|who| net.group(who).introductions_due(now).is_empty()));
        let seq = net.write("ann", "to cid, forwarded");
        net.write("cid", "to ann, forwarded");
        net.settle();
        assert_eq!(net.texts("cid").len(), 2);
        assert_eq!(net.texts("ann").len(), 2);
        assert_eq!(
            net.group("ann").receipt("ann", seq),
            Receipt {
                delivered_to: 3,
                of: 3
            }
        );
    }

    #[test]
    fn each_pair_has_its_own_safety_code() {
        let fp = |byte: &str| Fingerprint::new("sha-256", &vec![byte; 32].join(":")).unwrap();
        let (ann_fp, bob_fp, mallory_fp) = (fp("AA"), fp("BB"), fp("EE"));
        let mut ann = Group::found("g1", "ann", None, 0.0).unwrap();
        ann.neighbor_up("bob", Some(bob_fp.clone()), 0.0).unwrap();
        let mut bob = Group::join("g1", "bob").unwrap();
        bob.neighbor_up("ann", Some(ann_fp.clone()), 0.0).unwrap();
        assert_eq!(
            ann.safety_code_with("bob", &ann_fp),
            bob.safety_code_with("ann", &bob_fp)
        );
        // An introducer that swapped fingerprints: each end sees the attacker's.
        let mut bob_fooled = Group::join("g1", "bob").unwrap();
        bob_fooled
            .neighbor_up("ann", Some(mallory_fp), 0.0)
            .unwrap();
        assert_ne!(
            ann.safety_code_with("bob", &ann_fp),
            bob_fooled.safety_code_with("ann", &bob_fp)
        );
        assert_eq!(ann.safety_code_with("cid", &ann_fp), None);
    }

    /// Ann adds Bob and Cid over links and introduces them to each other (at `net.now`).
    fn three_introduced() -> Net {
        let mut net = Net::new("g1", "ann");
        for name in ["ann", "bob", "cid"] {
            net.certificates.insert(name.into(), certificate(name));
        }
        net.add("ann", "bob");
        net.settle();
        net.add("ann", "cid");
        net.settle();
        net.form_mesh();
        assert!(net.linked("bob", "cid"));
        net
    }

    /// Ann adds Bob and Cid over links and introduces them, but they have no path to each
    /// other (symmetric NATs, no relay): the introduction runs (at `net.now`) and will run out.
    fn bob_and_cid_cannot_connect() -> Net {
        let mut net = Net::new("g1", "ann");
        net.add("ann", "bob");
        net.settle();
        net.add("ann", "cid");
        net.settle();
        net.blocked.insert(("bob".into(), "cid".into()));
        net.form_mesh();
        net
    }

    fn bob_and_cid() -> Vec<(String, String)> {
        vec![("bob".to_owned(), "cid".to_owned())]
    }

    /// Every member ticks (introductions run out).
    fn tick_all(net: &mut Net) {
        let now = net.now;
        for member in ["ann", "bob", "cid"] {
            net.group_mut(member).tick(now);
        }
    }

    #[test]
    fn a_broken_pair_is_introduced_again_within_seconds() {
        let mut net = three_introduced();
        let codes_before = net
            .group("bob")
            .safety_code_with("cid", &certificate("bob"));
        // Ten seconds after Ann introduced them (far sooner than the longest wait), the
        // connection between Bob and Cid breaks; both stay connected to Ann.
        net.now += 10_000.0;
        net.disconnect("bob", "cid");
        net.settle();
        assert_eq!(net.group("bob").reach("cid"), Reach::Via("ann".into()));
        assert_eq!(net.group("cid").reach("bob"), Reach::Via("ann".into()));
        // Meanwhile messages go through Ann.
        net.write("bob", "while apart");
        net.settle();
        assert_eq!(net.texts("cid"), [("bob".into(), 1, "while apart".into())]);

        let broke = net.now;
        assert!(net.group("ann").introductions_due(broke).is_empty());
        assert!(net
            .group("ann")
            .introductions_due(broke + RETRY_FIRST_MS - 1.0)
            .is_empty());
        assert_eq!(
            net.group("ann").introductions_due(broke + RETRY_FIRST_MS),
            bob_and_cid()
        );
        // Only Ann (the only member connected to both) introduces them.
        for member in ["bob", "cid"] {
            assert!(net
                .group(member)
                .introductions_due(broke + RETRY_FIRST_MS)
                .is_empty());
        }
        // Both ends forgot the broken pair: they take the new introduction (`form_mesh`
        // panics on any refusal) and connect again, with the same safety code at both ends.
        net.now = broke + RETRY_FIRST_MS;
        net.form_mesh();
        assert!(net.linked("bob", "cid"));
        assert!(codes_match(&net, "bob", "cid"));
        assert_eq!(
            net.group("bob")
                .safety_code_with("cid", &certificate("bob")),
            codes_before
        );
        assert_eq!(net.group("bob").reach("cid"), Reach::Direct);
        assert_eq!(net.group("cid").reach("bob"), Reach::Direct);
        assert_eq!(
            net.group("cid").members()[1].introduction,
            Some(PairState::Connected)
        );
        net.write("cid", "direct again");
        net.settle();
        assert_eq!(
            net.texts("bob"),
            [
                ("bob".into(), 1, "while apart".into()),
                ("cid".into(), 1, "direct again".into())
            ]
        );
        assert_eq!(net.texts("cid").len(), 2);
    }

    #[test]
    fn a_pair_is_introduced_again_only_once_both_ends_said_it_broke() {
        let mut net = three_introduced();
        net.now += 10_000.0;
        // The connection is gone, but only Bob noticed yet (Cid's side notices later): Cid
        // would refuse an introduction for a pair it thinks connected.
        net.links.remove(&("bob".to_owned(), "cid".to_owned()));
        net.queues.remove(&("bob".to_owned(), "cid".to_owned()));
        net.queues.remove(&("cid".to_owned(), "bob".to_owned()));
        let now = net.now;
        let sends = net.group_mut("bob").neighbor_down("cid", now);
        net.post("bob", sends);
        net.settle();
        assert!(net
            .group("ann")
            .introductions_due(now + RETRY_MAX_MS)
            .is_empty());
        net.now += 5_000.0;
        let now = net.now;
        let sends = net.group_mut("cid").neighbor_down("bob", now);
        net.post("cid", sends);
        net.settle();
        // The wait counts from the first sign of the break: due now.
        assert_eq!(net.group("ann").introductions_due(now), bob_and_cid());
        net.form_mesh();
        assert!(net.linked("bob", "cid"));
        assert!(codes_match(&net, "bob", "cid"));
    }

    #[test]
    fn repeated_failures_back_off() {
        // Bob and Cid never connect (symmetric NATs, no relay): each introduction runs out,
        // and the wait before the next one is as long as it ran, then doubles up to the
        // longest.
        let mut net = bob_and_cid_cannot_connect();
        let mut waits = Vec::new();
        for _ in 0..8 {
            net.now += INTRODUCTION_TIMEOUT_MS;
            tick_all(&mut net);
            assert_eq!(
                net.group("bob").members()[2].introduction,
                Some(PairState::Failed)
            );
            let failed = net.now;
            let mut wait = 0.0;
            while net.group("ann").introductions_due(failed + wait).is_empty() {
                wait += 1_000.0;
                assert!(wait <= RETRY_MAX_MS, "never introduced again");
            }
            waits.push(wait);
            // Not before, by anyone.
            for member in ["ann", "bob", "cid"] {
                assert!(net
                    .group(member)
                    .introductions_due(failed + wait - 1.0)
                    .is_empty());
            }
            net.now = failed + wait;
            net.form_mesh();
            assert!(!net.linked("bob", "cid"));
        }
        assert_eq!(
            waits,
            [30_000.0, 30_000.0, 30_000.0, 30_000.0, 32_000.0, 64_000.0, 120_000.0, 120_000.0]
        );
        // Messages go through Ann all along.
        net.write("bob", "through ann");
        net.settle();
        assert_eq!(net.texts("cid").len(), 1);
    }

    #[test]
    fn a_connection_that_keeps_breaking_backs_off_and_one_that_held_starts_over() {
        let mut net = three_introduced();
        // Each time, the pair connects and breaks a second later: a failure each time.
        for failures in 1..=4 {
            net.now += 1_000.0;
            net.disconnect("bob", "cid");
            net.settle();
            let broke = net.now;
            let wait = retry_delay(failures);
            assert!(net
                .group("ann")
                .introductions_due(broke + wait - 1.0)
                .is_empty());
            assert_eq!(
                net.group("ann").introductions_due(broke + wait),
                bob_and_cid()
            );
            net.now = broke + wait;
            net.form_mesh();
            assert!(net.linked("bob", "cid"));
        }
        assert_eq!(retry_delay(4), 16_000.0);
        // This time it held: its break starts the waits over.
        net.now += CONNECTION_HELD_MS;
        net.disconnect("bob", "cid");
        net.settle();
        let broke = net.now;
        assert_eq!(
            net.group("ann").introductions_due(broke + RETRY_FIRST_MS),
            bob_and_cid()
        );
    }

    #[test]
    fn an_introducer_that_forgot_a_member_introduces_it_again_at_once() {
        // Two introductions of Bob and Cid failed: the next would wait 30 s after the second
        // ran out. Cid drops its connection to Ann meanwhile (a reload, another network):
        // Ann forgets the running introduction and the failures, and introduces the pair
        // again as soon as Cid is back; Bob, still waiting in Ann's earlier introduction,
        // takes Ann's new start.
        let mut net = bob_and_cid_cannot_connect();
        net.now += INTRODUCTION_TIMEOUT_MS;
        tick_all(&mut net);
        net.now += INTRODUCTION_TIMEOUT_MS;
        net.form_mesh();
        assert_eq!(
            net.group("bob").members()[2].introduction,
            Some(PairState::AnswerReceived { by: "ann".into() })
        );
        net.now += 1_000.0;
        net.disconnect("ann", "cid");
        net.settle();
        net.blocked.clear();
        net.now += 1_000.0;
        net.connect("ann", "cid");
        net.settle();
        assert_eq!(net.group("ann").introductions_due(net.now), bob_and_cid());
        net.form_mesh();
        assert!(net.linked("bob", "cid"));
        assert_eq!(net.group("bob").reach("cid"), Reach::Direct);
    }

    fn typing_frame(from: &str, version: u64, path: &[&str]) -> GroupFrame {
        GroupFrame::Typing {
            from: from.into(),
            version,
            path: path.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn typing_reaches_members_through_others_once() {
        // Ann–Bob and Bob–Cid only.
        let mut net = Net::new("g1", "ann");
        net.add("ann", "bob");
        net.settle();
        net.add("bob", "cid");
        net.settle();
        let sends = net.group_mut("cid").typing(5_000.0);
        assert_eq!(sends.len(), 1);
        assert_eq!(sends[0].to, "bob");
        let out = net
            .group_mut("bob")
            .receive("cid", sends[0].frame.clone(), 5_000.0)
            .unwrap();
        assert_eq!(out.typing.as_deref(), Some("cid"));
        // Bob passes it on to Ann, who does not reach Cid herself…
        assert_eq!(
            out.send,
            [Envelope {
                to: "ann".into(),
                frame: typing_frame("cid", 5_000, &["cid", "bob"])
            }]
        );
        let at_ann = net
            .group_mut("ann")
            .receive("bob", out.send[0].frame.clone(), 5_000.0)
            .unwrap();
        assert_eq!(at_ann.typing.as_deref(), Some("cid"));
        assert!(at_ann.send.is_empty());
        // …once: the same notice again, or an older one, is neither shown nor passed on.
        for version in [5_000, 4_000] {
            let again = net
                .group_mut("ann")
                .receive(
                    "bob",
                    typing_frame("cid", version, &["cid", "bob"]),
                    6_000.0,
                )
                .unwrap();
            assert_eq!(
                again,
                Outcome {
                    delivered: again.delivered.clone(),
                    ..Outcome::default()
                }
            );
        }
        // The next notice, a moment later, is.
        let sends = net.group_mut("cid").typing(5_001.0);
        let out = net
            .group_mut("bob")
            .receive("cid", sends[0].frame.clone(), 5_001.0)
            .unwrap();
        assert_eq!(out.typing.as_deref(), Some("cid"));
        assert_eq!(out.send.len(), 1);
    }

    #[test]
    fn typing_in_a_full_mesh_is_one_frame_per_neighbour_and_nobody_types_for_strangers() {
        let mut net = three();
        let sends = net.group_mut("ann").typing(7_000.0);
        let to: SortedSet<&str> = sends.iter().map(|send| send.to.as_str()).collect();
        assert_eq!(to, ["bob", "cid"].into_iter().collect());
        for send in sends {
            let out = net
                .group_mut(&send.to)
                .receive("ann", send.frame, 7_000.0)
                .unwrap();
            assert_eq!(out.typing.as_deref(), Some("ann"));
            assert!(out.send.is_empty(), "everyone reaches Ann directly");
        }
        let cid = net.group_mut("cid");
        // Not for someone who is no member, not in our own name, not on a looping path.
        for frame in [
            typing_frame("eve", 1, &["bob"]),
            typing_frame("cid", 1, &["bob"]),
        ] {
            assert_eq!(cid.receive("bob", frame, 7_000.0).unwrap().typing, None);
        }
        assert_eq!(
            cid.receive("bob", typing_frame("ann", 9, &["cid", "bob"]), 7_000.0),
            Err(GroupError::BadPath)
        );
        // A member who is not in yet (no log) says nothing.
        assert!(Group::join("g1", "dan").unwrap().typing(7_000.0).is_empty());
    }
}
