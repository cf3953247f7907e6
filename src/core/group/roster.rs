//! Who is in the group, derived from the log's `Joined` and `Left` entries.
//!
//! Membership is a function of the *set* of those entries, never of the order they arrived in,
//! so every member that holds the same entries agrees on the same members:
//!
//! - a member is in while its highest `Joined` generation is above its highest `Left` one (a
//!   member who left and is added again comes back with the next generation);
//! - two members adding the same person at the same generation is one addition: the earlier
//!   (by the adder's clock, then the adder's id) names who introduced whom;
//! - at most [`MAX_MEMBERS`] are in: should two members each add someone at the limit in the
//!   same moment, the ones added first (by the adder's clock, then id) are in and the rest wait
//!   outside, on every member alike. Adding checks the limit first, so this takes a race.

use std::cmp::Ordering;

use super::{MAX_AUTHORS, MAX_MEMBERS};
use crate::core::sorted_vec::SortedMap;

/// What the log says about one person.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberRecord {
    pub id: String,
    /// As the member's hello gave it to whoever added it.
    pub name: Option<String>,
    /// Who added this member (the member itself for whoever started the group).
    pub introduced_by: String,
    /// The member's latest membership generation (1 for a first join).
    pub gen: u32,
    /// When it was added, by the adder's clock: the order the limit keeps.
    pub joined_ts: f64,
}

impl MemberRecord {
    fn rank(&self, other: &Self) -> Ordering {
        self.joined_ts
            .total_cmp(&other.joined_ts)
            .then_with(|| self.id.cmp(&other.id))
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Roster {
    records: SortedMap<String, MemberRecord>,
    /// The highest generation each member left: kept apart, so that a leave read before the
    /// join it ends still counts.
    left: SortedMap<String, u32>,
}

impl Roster {
    /// `author` added `member` (its `gen`-th time), at `ts` by the author's clock.
    pub fn joined(&mut self, author: &str, member: &str, name: Option<String>, gen: u32, ts: f64) {
        let record = MemberRecord {
            id: member.to_owned(),
            name,
            introduced_by: author.to_owned(),
            gen,
            joined_ts: ts,
        };
        let room = self.records.len() < MAX_AUTHORS;
        match self.records.get_mut(member) {
            // Beyond `MAX_AUTHORS` people ever added the group is misbehaving: no more records
            // (every list of counters stays within what a frame may carry).
            None if !room => {}
            None => {
                self.records.insert(member.to_owned(), record);
            }
            Some(known) => {
                let earlier = ts
                    .total_cmp(&known.joined_ts)
                    .then_with(|| author.cmp(&known.introduced_by))
                    == Ordering::Less;
                if gen > known.gen || (gen == known.gen && earlier) {
                    *known = record;
                }
            }
        }
    }

    /// `member` left (its `gen`-th membership).
    pub fn left(&mut self, member: &str, gen: u32) {
        let left = self.left.entry(member.to_owned()).or_default();
        *left = (*left).max(gen);
    }

    /// Whether `record`'s member is in (before the limit is applied).
    fn present(&self, record: &MemberRecord) -> bool {
        record.gen > self.left.get(&record.id).copied().unwrap_or(0)
    }

    /// Whether `id` was added and has not left since (a member, or waiting over the limit).
    pub fn is_present(&self, id: &str) -> bool {
        self.records.get(id).is_some_and(|r| self.present(r))
    }

    /// The generation the member's next `Joined` or `Left` entry carries.
    pub fn generation(&self, id: &str) -> u32 {
        let joined = self.records.get(id).map_or(0, |r| r.gen);
        let left = self.left.get(id).copied().unwrap_or(0);
        joined.max(left)
    }

    /// Whether the log has ever added `id`: its entries are taken.
    pub fn participant(&self, id: &str) -> bool {
        self.records.contains_key(id)
    }

    pub fn record(&self, id: &str) -> Option<&MemberRecord> {
        self.records.get(id)
    }

    /// The members, in the order they were added; at most [`MAX_MEMBERS`].
    pub fn members(&self) -> Vec<&MemberRecord> {
        let mut present: Vec<&MemberRecord> =
            self.records.values().filter(|r| self.present(r)).collect();
        crate::core::small_sort::sort_small_by_key(&mut present, |r| RankKey(r));
        present.truncate(MAX_MEMBERS);
        present
    }

    pub fn is_member(&self, id: &str) -> bool {
        self.members().iter().any(|r| r.id == id)
    }

    pub fn is_full(&self) -> bool {
        self.members().len() >= MAX_MEMBERS
    }

    /// People added beyond the limit in a race (see the module doc): not members.
    pub fn waiting(&self) -> Vec<&MemberRecord> {
        let members = self.members();
        self.records
            .values()
            .filter(|r| self.present(r) && !members.iter().any(|m| m.id == r.id))
            .collect()
    }

    /// Everyone the log ever added, in id order (authors of entries: at most `MAX_AUTHORS`).
    pub fn participants(&self) -> impl Iterator<Item = &MemberRecord> {
        self.records.values()
    }
}

/// Orders records for the limit (joined first, then by id).
struct RankKey<'a>(&'a MemberRecord);

impl PartialEq for RankKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.rank(other.0) == Ordering::Equal
    }
}

impl PartialOrd for RankKey<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.0.rank(other.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(records: Vec<&MemberRecord>) -> Vec<&str> {
        records.into_iter().map(|r| r.id.as_str()).collect()
    }

    #[test]
    fn joins_and_leaves() {
        let mut roster = Roster::default();
        roster.joined("ann", "ann", Some("Ann".into()), 1, 0.0);
        roster.joined("ann", "bob", None, 1, 1.0);
        assert_eq!(ids(roster.members()), ["ann", "bob"]);
        assert_eq!(
            roster.record("bob").map(|r| r.introduced_by.as_str()),
            Some("ann")
        );
        roster.left("bob", 1);
        assert_eq!(ids(roster.members()), ["ann"]);
        assert!(roster.participant("bob") && !roster.is_member("bob"));
        // Added again: the next generation.
        roster.joined("ann", "bob", Some("Bob".into()), 2, 5.0);
        assert_eq!(ids(roster.members()), ["ann", "bob"]);
        // A stale second copy of the first join changes nothing.
        roster.joined("cid", "bob", None, 1, 0.5);
        assert_eq!(roster.record("bob").map(|r| r.gen), Some(2));
        assert_eq!(
            roster.record("bob").and_then(|r| r.name.clone()),
            Some("Bob".into())
        );
    }

    #[test]
    fn the_same_entries_in_any_order_give_the_same_members() {
        type Event = (&'static str, &'static str, u32, f64, bool);
        let events: [Event; 6] = [
            ("ann", "ann", 1, 0.0, false),
            ("ann", "bob", 1, 1.0, false),
            ("cid", "bob", 1, 1.0, false), // the same join by another adder
            ("bob", "bob", 1, 0.0, true),  // bob left
            ("ann", "bob", 2, 3.0, false), // and was added again
            ("bob", "cid", 1, 2.0, false),
        ];
        let apply = |order: &[usize]| {
            let mut roster = Roster::default();
            for &at in order {
                let (author, member, gen, ts, left) = events[at];
                if left {
                    roster.left(member, gen);
                } else {
                    roster.joined(author, member, None, gen, ts);
                }
            }
            roster
        };
        let first = apply(&[0, 1, 2, 3, 4, 5]);
        for order in [[5, 4, 3, 2, 1, 0], [3, 4, 0, 2, 5, 1], [2, 1, 4, 3, 0, 5]] {
            assert_eq!(apply(&order), first, "{order:?}");
        }
        assert_eq!(ids(first.members()), ["ann", "cid", "bob"]);
    }

    #[test]
    fn at_most_eight_and_a_race_at_the_limit_is_decided_alike() {
        let mut roster = Roster::default();
        roster.joined("m0", "m0", None, 1, 0.0);
        for n in 1..MAX_MEMBERS - 1 {
            roster.joined("m0", &format!("m{n}"), None, 1, n as f64);
        }
        assert!(!roster.is_full());
        // Two adders take the last place at once.
        roster.joined("m1", "late", None, 1, 20.0);
        roster.joined("m2", "early", None, 1, 10.0);
        assert!(roster.is_full());
        assert_eq!(roster.members().len(), MAX_MEMBERS);
        assert!(roster.is_member("early") && !roster.is_member("late"));
        assert_eq!(ids(roster.waiting()), ["late"]);
        // When someone leaves, the one waiting is in.
        roster.left("m3", 1);
        assert!(roster.is_member("late"));
    }
}
