//! Relay connections: `first` and `after` parsing, opaque cursors, and a
//! macro for the connection and edge types.
//!
//! `PageInfo` is `@shareable`: every subgraph defines the same type, which
//! Federation 2 requires to be marked so.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::error::AppError;

pub const DEFAULT_PAGE_SIZE: i64 = 20;
pub const MAX_PAGE_SIZE: i64 = 100;

#[derive(Debug, Clone, PartialEq, Eq, async_graphql::SimpleObject)]
#[graphql(shareable)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// How many items to return.
    pub limit: i64,
    /// The decoded `after` cursor.
    pub after: Option<String>,
}

impl PageRequest {
    /// `first` defaults to 20 and is capped at 100; a negative `first` or an
    /// undecodable cursor is BAD_USER_INPUT.
    pub fn parse(first: Option<i32>, after: Option<String>) -> Result<Self, AppError> {
        let limit = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n < 0 => return Err(AppError::bad_input("`first` must not be negative")),
            Some(n) => i64::from(n).min(MAX_PAGE_SIZE),
        };
        let after = after.map(|c| decode_cursor(&c)).transpose()?;
        Ok(Self { limit, after })
    }

    /// Rows to fetch: one extra tells whether there is a next page.
    pub fn fetch_limit(&self) -> i64 {
        self.limit + 1
    }
}

pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key)
}

pub fn decode_cursor(cursor: &str) -> Result<String, AppError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| AppError::bad_input("invalid `after` cursor"))
}

/// Declares `$connection { edges pageInfo totalCount }` and `$edge { cursor node }`
/// for `$node`, plus `$connection::new(rows, page, total, key)` which trims the
/// look-ahead row and builds cursors with `key(&row)`.
#[macro_export]
macro_rules! connection_types {
    ($connection:ident, $edge:ident, $node:ty) => {
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            pub cursor: String,
            pub node: $node,
        }

        #[derive(async_graphql::SimpleObject)]
        pub struct $connection {
            pub edges: Vec<$edge>,
            pub page_info: $crate::pagination::PageInfo,
            pub total_count: i64,
        }

        impl $connection {
            pub fn new(
                mut rows: Vec<$node>,
                page: &$crate::pagination::PageRequest,
                total_count: i64,
                key: impl Fn(&$node) -> String,
            ) -> Self {
                let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
                let has_next_page = rows.len() > limit;
                rows.truncate(limit);
                let edges: Vec<$edge> = rows
                    .into_iter()
                    .map(|node| $edge {
                        cursor: $crate::pagination::encode_cursor(&key(&node)),
                        node,
                    })
                    .collect();
                let end_cursor = edges.last().map(|e| e.cursor.clone());
                Self {
                    edges,
                    page_info: $crate::pagination::PageInfo { has_next_page, end_cursor },
                    total_count,
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_defaults_caps_and_rejects_negatives() {
        assert_eq!(PageRequest::parse(None, None).map(|p| p.limit).ok(), Some(20));
        assert_eq!(PageRequest::parse(Some(500), None).map(|p| p.limit).ok(), Some(100));
        assert!(PageRequest::parse(Some(-1), None).is_err());
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_rejected() {
        let cursor = encode_cursor("2026-11-22T00:00:00Z|abc");
        let page = PageRequest::parse(Some(5), Some(cursor)).expect("valid");
        assert_eq!(page.after.as_deref(), Some("2026-11-22T00:00:00Z|abc"));
        assert!(PageRequest::parse(None, Some("!!!".into())).is_err());
    }
}
