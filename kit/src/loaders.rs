//! Helpers for DataLoader batches: one query returns rows for many keys,
//! and each key gets its own.

use std::{collections::HashMap, hash::Hash};

/// Rows grouped under the key each belongs to, in query order. Every asked
/// key gets an entry, an empty list when no row has it, so the DataLoader
/// caches "none" too and resolvers need no fallback.
pub fn group_by<K: Hash + Eq + Clone, V>(
    keys: &[K],
    rows: impl IntoIterator<Item = V>,
    key: impl Fn(&V) -> K,
) -> HashMap<K, Vec<V>> {
    let mut groups: HashMap<K, Vec<V>> = keys.iter().map(|k| (k.clone(), Vec::new())).collect();
    for row in rows {
        groups.entry(key(&row)).or_default().push(row);
    }
    groups
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups_keep_query_order_and_every_key() {
        let groups = super::group_by(&["a", "b", "c"], [("a", 1), ("b", 2), ("a", 3)], |(k, _)| *k);
        assert_eq!(groups["a"], [("a", 1), ("a", 3)]);
        assert_eq!(groups["b"], [("b", 2)]);
        assert!(groups["c"].is_empty());
        assert_eq!(groups.len(), 3);
    }
}
