//! The federation directives a router reads from a subgraph's schema, so
//! the rules a guard enforces inside the subgraph are also visible in the
//! supergraph, and the router can apply them before anything is fetched:
//! - `@authenticated` (federation 2.5) on what the `SignedIn` guard protects;
//! - `@policy(policies: [["admin"]])` (federation 2.6) on what `AdminOnly`
//!   protects; the router maps the `admin` policy to the token's
//!   `role: "ADMIN"` claim ([`ADMIN_POLICY`]);
//! - `@listSize` (federation 2.9, demand control) on paginated fields, so
//!   the router's cost estimate knows a page holds `first` items (20 when
//!   absent) of `edges`.
//!
//! The guards stay: a subgraph must not trust that it is only ever called
//! through a router that enforces the directives.

use async_graphql::TypeDirective;

use crate::pagination::DEFAULT_PAGE_SIZE;

/// The `@policy` name for administrators.
pub const ADMIN_POLICY: &str = "admin";

#[TypeDirective(location = "FieldDefinition", location = "Object")]
pub fn authenticated() {}

#[TypeDirective(location = "FieldDefinition", location = "Object")]
pub fn policy(policies: Vec<Vec<String>>) {}

#[TypeDirective(name = "listSize", location = "FieldDefinition")]
pub fn list_size(
    assumed_size: Option<i32>,
    slicing_arguments: Option<Vec<String>>,
    sized_fields: Option<Vec<String>>,
    require_one_slicing_argument: Option<bool>,
) {
}

/// The policies argument of `@policy` for administrators only.
pub fn admins() -> Vec<Vec<String>> {
    vec![vec![ADMIN_POLICY.to_owned()]]
}

/// The `assumedSize` of a connection field: its page size when `first`
/// is not given.
pub fn page_size() -> Option<i32> {
    i32::try_from(DEFAULT_PAGE_SIZE).ok()
}

/// The slicing argument of a connection field.
pub fn paged_by_first() -> Option<Vec<String>> {
    Some(vec!["first".to_owned()])
}

/// The field of a connection that holds the page's items.
pub fn connection_edges() -> Option<Vec<String>> {
    Some(vec!["edges".to_owned()])
}
