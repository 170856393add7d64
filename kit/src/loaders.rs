//! Helpers for DataLoader batches: one query returns rows for many keys,
//! and each key gets its own.

use std::{collections::HashMap, hash::Hash};

/// Rows grouped under the key each belongs to, in query order.
pub fn group_by<K: Hash + Eq, V>(
    rows: impl IntoIterator<Item = V>,
    key: impl Fn(&V) -> K,
) -> HashMap<K, Vec<V>> {
    let mut groups: HashMap<K, Vec<V>> = HashMap::new();
    for row in rows {
        groups.entry(key(&row)).or_default().push(row);
    }
    groups
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups_keep_query_order() {
        let groups = super::group_by([("a", 1), ("b", 2), ("a", 3)], |(k, _)| *k);
        assert_eq!(groups["a"], [("a", 1), ("a", 3)]);
        assert_eq!(groups["b"], [("b", 2)]);
    }
}
