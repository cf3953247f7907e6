//! A simulated network of members for tests: one ordered queue per direction of each direct
//! connection (as a data channel is), frames dropped when a connection closes.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::{Body, Connect, Envelope, Group, GroupError, GroupFrame};
use crate::core::safety::Fingerprint;

pub(super) struct Net {
    pub groups: BTreeMap<String, Group>,
    /// Frames on the way from the first member to the second.
    pub queues: BTreeMap<(String, String), VecDeque<GroupFrame>>,
    /// Open direct connections, each as a sorted pair.
    pub links: BTreeSet<(String, String)>,
    pub now: f64,
    /// What members asked of their browsers (introductions), in order.
    pub connects: VecDeque<(String, Connect)>,
    /// Each member's certificate, as its offers and answers carry it.
    pub certificates: BTreeMap<String, Fingerprint>,
    /// The fingerprint each member learnt for another from a relayed offer or answer.
    learnt: BTreeMap<(String, String), Fingerprint>,
    /// Pairs whose connection never opens (symmetric NATs, no relay).
    pub blocked: BTreeSet<(String, String)>,
    /// A member that swaps the fingerprint in every offer and answer it relays for its own.
    pub tamperer: Option<String>,
}

/// A member's made-up certificate fingerprint: its id's first byte, 32 times.
pub fn certificate(member: &str) -> Fingerprint {
    let byte = format!("{:02X}", member.as_bytes().first().copied().unwrap_or(0));
    Fingerprint::new("sha-256", &vec![byte; 32].join(":")).unwrap_or_else(|| panic!("fp"))
}

fn sdp_with(fingerprint: &Fingerprint) -> String {
    format!("v=0\r\na=fingerprint:{}\r\n", fingerprint.to_sdp_value())
}

fn link(a: &str, b: &str) -> (String, String) {
    if a < b {
        (a.to_owned(), b.to_owned())
    } else {
        (b.to_owned(), a.to_owned())
    }
}

impl Net {
    /// `founder` starts the group; nobody else yet.
    pub fn new(group_id: &str, founder: &str) -> Self {
        let mut groups = BTreeMap::new();
        let group = Group::found(group_id, founder, Some(founder), 1.0);
        groups.insert(founder.to_owned(), group.unwrap_or_else(|e| panic!("{e}")));
        Self {
            groups,
            queues: BTreeMap::new(),
            links: BTreeSet::new(),
            now: 1_000.0,
            connects: VecDeque::new(),
            certificates: BTreeMap::new(),
            learnt: BTreeMap::new(),
            blocked: BTreeSet::new(),
            tamperer: None,
        }
    }

    pub fn group(&self, id: &str) -> &Group {
        &self.groups[id]
    }

    pub fn group_mut(&mut self, id: &str) -> &mut Group {
        self.groups
            .get_mut(id)
            .unwrap_or_else(|| panic!("no member {id}"))
    }

    /// `by` adds `newcomer`, which connected to it with a link.
    pub fn add(&mut self, by: &str, newcomer: &str) {
        let now = self.now;
        let id = self.group(by).id().to_owned();
        let sends = self
            .group_mut(by)
            .add_member(newcomer, Some(newcomer), now)
            .unwrap_or_else(|e| panic!("{by} adds {newcomer}: {e}"));
        self.post(by, sends);
        let joined = Group::join(&id, newcomer).unwrap_or_else(|e| panic!("{e}"));
        self.groups.insert(newcomer.to_owned(), joined);
        self.connect(by, newcomer);
    }

    pub fn linked(&self, a: &str, b: &str) -> bool {
        self.links.contains(&link(a, b))
    }

    /// A direct connection between `a` and `b` opens (hellos accepted on both sides).
    pub fn connect(&mut self, a: &str, b: &str) {
        if !self.links.insert(link(a, b)) {
            return;
        }
        let now = self.now;
        for (me, other) in [(a, b), (b, a)] {
            // Over a link each side reads the other's certificate from the link itself; over an
            // introduction, from the relayed offer or answer.
            let seen = self
                .learnt
                .remove(&(me.to_owned(), other.to_owned()))
                .or_else(|| self.certificates.get(other).cloned());
            let sends = self
                .group_mut(me)
                .neighbor_up(other, seen, now)
                .unwrap_or_else(|e| panic!("{me} meets {other}: {e}"));
            self.post(me, sends);
        }
    }

    /// The direct connection between `a` and `b` closes: what was on it is lost.
    pub fn disconnect(&mut self, a: &str, b: &str) {
        if !self.links.remove(&link(a, b)) {
            return;
        }
        self.queues.remove(&(a.to_owned(), b.to_owned()));
        self.queues.remove(&(b.to_owned(), a.to_owned()));
        let now = self.now;
        for (me, other) in [(a, b), (b, a)] {
            let sends = self.group_mut(me).neighbor_down(other, now);
            self.post(me, sends);
        }
    }

    /// Puts frames on the wire; those for a closed connection are lost.
    pub fn post(&mut self, from: &str, sends: Vec<Envelope>) {
        for mut send in sends {
            if self.tamperer.as_deref() == Some(from) {
                // Only what it relays for others; its own offers and answers are its own.
                if let GroupFrame::Signal { pair, sdp, .. } = &mut send.frame {
                    if pair.0 != from && pair.1 != from {
                        *sdp = sdp_with(&certificate("mallory"));
                    }
                }
            }
            if self.linked(from, &send.to) {
                self.queues
                    .entry((from.to_owned(), send.to))
                    .or_default()
                    .push_back(send.frame);
            }
        }
    }

    pub fn write(&mut self, who: &str, text: &str) -> u64 {
        self.try_write(who, text)
            .unwrap_or_else(|e| panic!("{who} writes: {e}"))
    }

    pub fn try_write(&mut self, who: &str, text: &str) -> Result<u64, GroupError> {
        let now = self.now;
        let (seq, sends) = self.group_mut(who).write(text.to_owned(), now)?;
        self.post(who, sends);
        Ok(seq)
    }

    /// Delivers the first frame on the way from `from` to `to` (a copy of it, with
    /// `duplicate`). Every refusal is a bug here: everyone is honest.
    pub fn deliver(&mut self, from: &str, to: &str, duplicate: bool) {
        let key = (from.to_owned(), to.to_owned());
        let Some(queue) = self.queues.get_mut(&key) else {
            return;
        };
        let frame = if duplicate {
            queue.front().cloned()
        } else {
            queue.pop_front()
        };
        let Some(frame) = frame else {
            return;
        };
        let now = self.now;
        let shown = format!("{frame:?}");
        let outcome = self
            .group_mut(to)
            .receive(from, frame, now)
            .unwrap_or_else(|e| panic!("{to} refused {shown} from {from}: {e}"));
        self.post(to, outcome.send);
        for connect in outcome.connect {
            self.connects.push_back((to.to_owned(), connect));
        }
        if !outcome.delivered.is_empty() {
            let acks = self.group(to).acknowledge();
            self.post(to, acks);
        }
    }

    /// Channels with something on the way, in a fixed order.
    pub fn busy(&self) -> Vec<(String, String)> {
        self.queues
            .iter()
            .filter(|(_, queue)| !queue.is_empty())
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// Delivers everything, one frame per busy channel in turn, until nothing is on the way.
    pub fn settle(&mut self) {
        for _ in 0..100_000 {
            let busy = self.busy();
            if busy.is_empty() {
                return;
            }
            for (from, to) in busy {
                self.deliver(&from, &to, false);
            }
        }
        panic!("the network never settled");
    }

    /// Does what members asked of their browsers: offers and answers carry the member's
    /// certificate; an applied answer opens the connection, unless the pair is blocked.
    fn run_connects(&mut self) {
        while let Some((me, connect)) = self.connects.pop_front() {
            let made = match connect {
                Connect::MakeOffer { other } => {
                    let sdp = sdp_with(&certificate(&me));
                    Some(self.group_mut(&me).offer_made(&other, sdp))
                }
                Connect::TakeOffer { other, sdp } => {
                    if let Some(theirs) = Fingerprint::from_sdp(&sdp) {
                        self.learnt.insert((me.clone(), other.clone()), theirs);
                    }
                    let sdp = sdp_with(&certificate(&me));
                    Some(self.group_mut(&me).answer_made(&other, sdp))
                }
                Connect::TakeAnswer { other, sdp } => {
                    if let Some(theirs) = Fingerprint::from_sdp(&sdp) {
                        self.learnt.insert((me.clone(), other.clone()), theirs);
                    }
                    if !self.blocked.contains(&link(&me, &other)) {
                        self.connect(&me, &other);
                    }
                    None
                }
                Connect::GiveUp { .. } => None,
            };
            if let Some(made) = made {
                let send = made.unwrap_or_else(|e| panic!("{me}: {e}"));
                self.post(&me, vec![send]);
            }
        }
    }

    /// Every member introduces the pairs it should, and everything runs until nothing is on
    /// the way; again, until no introduction is due.
    pub fn form_mesh(&mut self) {
        for _ in 0..20 {
            let mut introduced = false;
            let members: Vec<String> = self.groups.keys().cloned().collect();
            for member in members {
                let now = self.now;
                for (a, b) in self.group(&member).introductions_due(now) {
                    let sends = self
                        .group_mut(&member)
                        .introduce(&a, &b, now)
                        .unwrap_or_else(|e| panic!("{member} introduces {a} and {b}: {e}"));
                    self.post(&member, sends);
                    introduced = true;
                }
            }
            loop {
                self.settle();
                if self.connects.is_empty() {
                    break;
                }
                self.run_connects();
            }
            if !introduced {
                return;
            }
        }
        panic!("introductions never ended");
    }

    /// A member's messages as (author, seq, text), in its log's order.
    pub fn texts(&self, who: &str) -> Vec<(String, u64, String)> {
        self.group(who)
            .history()
            .iter()
            .filter_map(|entry| match &entry.body {
                Body::Text(text) => Some((entry.author.clone(), entry.seq, text.clone())),
                _ => None,
            })
            .collect()
    }
}
