//! A stable insertion sort for the few short lists the app sorts (at most 32 ICE candidates, at
//! most 100 stored conversations). The standard library's stable sort is built for any length
//! and costs about 3.8 KB of wasm for every element type it is used with; this is a few hundred
//! bytes, and on lists this short just as fast.

/// Sorts `items` ascending; equal ones keep their order. Quadratic: short lists only.
pub fn sort_small<T: PartialOrd>(items: &mut [T]) {
    sort_small_by(items, |a, b| a > b);
}

/// Sorts `items` by `key`, ascending; equal keys keep their order. Quadratic: short lists only.
pub fn sort_small_by_key<T, K: PartialOrd>(items: &mut [T], key: impl Fn(&T) -> K) {
    sort_small_by(items, |a, b| key(a) > key(b));
}

/// Insertion sort: `after(a, b)` says that `a` goes after `b`.
fn sort_small_by<T>(items: &mut [T], after: impl Fn(&T, &T) -> bool) {
    for unsorted in 1..items.len() {
        let mut at = unsorted;
        while at > 0 && after(&items[at - 1], &items[at]) {
            items.swap(at - 1, at);
            at -= 1;
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn sorts_and_keeps_ties_in_order() {
        let mut items = [(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e')];
        sort_small_by_key(&mut items, |(key, _)| *key);
        assert_eq!(items, [(1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')]);
        let mut empty: [u8; 0] = [];
        sort_small_by_key(&mut empty, |x| *x);
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_standard_stable_sort(items in proptest::collection::vec((0u8..8, proptest::num::u16::ANY), 0..64)) {
            let mut ours = items.clone();
            let mut std = items;
            sort_small_by_key(&mut ours, |(key, _)| *key);
            std.sort_by_key(|(key, _)| *key);
            proptest::prop_assert_eq!(ours, std);
        }

        #[test]
        fn sorts_whole_items_like_the_standard_sort(items in proptest::collection::vec("[a-c]{0,3}", 0..32)) {
            let mut ours = items.clone();
            let mut std = items;
            sort_small(&mut ours);
            std.sort();
            proptest::prop_assert_eq!(ours, std);
        }
    }
}
