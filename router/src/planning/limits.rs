//! Operation limits, checked on the parsed document before validation and
//! planning, so that a hostile document costs little: nesting depth (on the
//! text, before parsing), tokens (in the parser), and here height (fields,
//! fragments expanded), aliases, root fields and directives per field.
//! Each refusal has its own code and names the limit and the value found.

use std::collections::HashMap;

use graphql_tools::{
    parser::query::{Definition, OperationDefinition, Selection, SelectionSet},
    static_graphql::query::Document,
};
use serde::Deserialize;

use crate::error::{RequestError, RequestFailure};

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest request body. `ROUTER_MAX_BODY_BYTES`, default 1 MiB.
    pub max_body_bytes: usize,
    /// Deepest selection nesting. `ROUTER_MAX_DEPTH`, default 64.
    pub max_depth: usize,
    /// Most lexical tokens in a document. `ROUTER_MAX_TOKENS`, default 15000.
    pub max_tokens: usize,
    /// Most fields in the operation, fragments expanded where they are
    /// spread. `ROUTER_MAX_HEIGHT`, default 500.
    pub max_height: usize,
    /// Most aliased fields. `ROUTER_MAX_ALIASES`, default 30.
    pub max_aliases: usize,
    /// Most fields at the root of the operation. `ROUTER_MAX_ROOT_FIELDS`,
    /// default 20.
    pub max_root_fields: usize,
    /// Most directives on one field or fragment. `ROUTER_MAX_DIRECTIVES`,
    /// default 10.
    pub max_directives: usize,
    /// Highest estimated cost (`@cost`/`@listSize`, see `cost.rs`); 0
    /// switches the check off. `ROUTER_MAX_COST`, default 10000.
    pub max_cost: u64,
    /// The size assumed for a list with neither a slicing argument nor
    /// `@listSize(assumedSize:)`. `ROUTER_DEFAULT_LIST_SIZE`, default 10.
    pub default_list_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            max_depth: 64,
            max_tokens: 15_000,
            max_height: 500,
            max_aliases: 30,
            max_root_fields: 20,
            max_directives: 10,
            max_cost: 10_000,
            default_list_size: 10,
        }
    }
}

impl Limits {
    /// No limit at all (build-time tools plan whatever they are given).
    pub fn unlimited() -> Self {
        Self {
            max_body_bytes: usize::MAX,
            max_depth: usize::MAX,
            max_tokens: usize::MAX,
            max_height: usize::MAX,
            max_aliases: usize::MAX,
            max_root_fields: usize::MAX,
            max_directives: usize::MAX,
            max_cost: 0,
            default_list_size: 10,
        }
    }

    /// Refuses `operation` of `document` when its shape is over a limit.
    pub fn check_shape(
        &self,
        document: &Document,
        operation: Option<&str>,
    ) -> Result<(), RequestError> {
        let Some(selections) = operation_selections(document, operation) else { return Ok(()) };
        let fragments: HashMap<&str, &SelectionSet<'static, String>> = document
            .definitions
            .iter()
            .filter_map(|d| match d {
                Definition::Fragment(f) => Some((f.name.as_str(), &f.selection_set)),
                Definition::Operation(_) => None,
            })
            .collect();
        let mut measure = Measure { fragments, memo: HashMap::new(), active: Vec::new() };
        let shape = measure.selections(selections);
        let root_fields = measure.root_fields(selections);
        // The most specific first: an alias bomb is named as one.
        let checks = [
            (shape.aliases, self.max_aliases, "MAX_ALIASES_EXCEEDED", "aliases"),
            (root_fields, self.max_root_fields, "MAX_ROOT_FIELDS_EXCEEDED", "root fields"),
            (
                shape.directives,
                self.max_directives,
                "MAX_DIRECTIVES_EXCEEDED",
                "directives on one field",
            ),
            (shape.height, self.max_height, "MAX_HEIGHT_EXCEEDED", "fields"),
        ];
        for (found, limit, code, what) in checks {
            if found > limit {
                return Err(refusal(
                    format!("the operation has {found} {what}; the limit is {limit}"),
                    code,
                ));
            }
        }
        Ok(())
    }

    /// Refuses a document nested deeper than `max_depth`, before parsing.
    pub fn check_depth(&self, query: &str) -> Result<(), RequestError> {
        let depth = nesting_depth(query);
        if depth > self.max_depth {
            return Err(refusal(
                format!("the query is nested {depth} levels deep; the limit is {}", self.max_depth),
                "MAX_DEPTH_EXCEEDED",
            ));
        }
        Ok(())
    }
}

pub fn refusal(message: String, code: &'static str) -> RequestError {
    RequestError::new(RequestFailure::Invalid, message, code)
}

#[derive(Debug, Clone, Copy, Default)]
struct Shape {
    height: usize,
    aliases: usize,
    /// The most on any one field or fragment.
    directives: usize,
}

impl Shape {
    fn add(&mut self, other: Shape) {
        self.height = self.height.saturating_add(other.height);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.directives = self.directives.max(other.directives);
    }
}

struct Measure<'d> {
    fragments: HashMap<&'d str, &'d SelectionSet<'static, String>>,
    /// Each fragment measured once, however often it is spread.
    memo: HashMap<&'d str, Shape>,
    /// Fragments being measured: a cycle (invalid anyway) counts nothing.
    active: Vec<&'d str>,
}

impl<'d> Measure<'d> {
    fn selections(&mut self, set: &'d SelectionSet<'static, String>) -> Shape {
        let mut shape = Shape::default();
        for item in &set.items {
            match item {
                Selection::Field(field) => {
                    let own = Shape {
                        height: 1,
                        aliases: usize::from(field.alias.is_some()),
                        directives: field.directives.len(),
                    };
                    shape.add(own);
                    shape.add(self.selections(&field.selection_set));
                }
                Selection::InlineFragment(fragment) => {
                    shape.add(Shape { directives: fragment.directives.len(), ..Shape::default() });
                    shape.add(self.selections(&fragment.selection_set));
                }
                Selection::FragmentSpread(spread) => {
                    shape.add(Shape { directives: spread.directives.len(), ..Shape::default() });
                    shape.add(self.fragment(&spread.fragment_name));
                }
            }
        }
        shape
    }

    fn fragment(&mut self, name: &'d str) -> Shape {
        if let Some(shape) = self.memo.get(name) {
            return *shape;
        }
        let Some(set) = self.fragments.get(name).copied() else { return Shape::default() };
        if self.active.contains(&name) {
            return Shape::default();
        }
        self.active.push(name);
        let shape = self.selections(set);
        self.active.pop();
        self.memo.insert(name, shape);
        shape
    }

    /// Fields at the root, through fragments on the root type.
    fn root_fields(&mut self, set: &'d SelectionSet<'static, String>) -> usize {
        let mut seen = Vec::new();
        self.root_fields_into(set, &mut seen);
        seen.len()
    }

    fn root_fields_into(
        &mut self,
        set: &'d SelectionSet<'static, String>,
        seen: &mut Vec<&'d str>,
    ) {
        for item in &set.items {
            match item {
                Selection::Field(field) => {
                    let key = field.alias.as_deref().unwrap_or(&field.name);
                    if !seen.contains(&key) {
                        seen.push(key);
                    }
                }
                Selection::InlineFragment(fragment) => {
                    self.root_fields_into(&fragment.selection_set, seen)
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.fragment_name.as_str();
                    if let Some(set) = self.fragments.get(name).copied()
                        && !self.active.contains(&name)
                    {
                        self.active.push(name);
                        self.root_fields_into(set, seen);
                        self.active.pop();
                    }
                }
            }
        }
    }
}

fn operation_selections<'d>(
    document: &'d Document,
    name: Option<&str>,
) -> Option<&'d SelectionSet<'static, String>> {
    document.definitions.iter().find_map(|d| {
        let Definition::Operation(operation) = d else { return None };
        let (own_name, set) = match operation {
            OperationDefinition::SelectionSet(set) => (None, set),
            OperationDefinition::Query(q) => (q.name.as_deref(), &q.selection_set),
            OperationDefinition::Mutation(m) => (m.name.as_deref(), &m.selection_set),
            OperationDefinition::Subscription(s) => (s.name.as_deref(), &s.selection_set),
        };
        (name.is_none() || own_name == name).then_some(set)
    })
}

/// The deepest `{` nesting outside strings and comments, measured before
/// parsing so that hostile nesting never reaches the recursive parser.
pub fn nesting_depth(query: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut chars = query.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    match (escaped, c) {
                        (false, '\\') => escaped = true,
                        (false, '"') => break,
                        _ => escaped = false,
                    }
                }
            }
            '{' => {
                depth += 1;
                max = max.max(depth);
            }
            '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape_error(query: &str, limits: Limits) -> Option<String> {
        let document =
            graphql_tools::parser::parse_query::<String>(query).expect("parses").into_static();
        limits
            .check_shape(&document, None)
            .err()
            .map(|e| e.errors[0].extensions["code"].to_string())
    }

    #[test]
    fn nesting_ignores_braces_in_strings_and_comments() {
        assert_eq!(nesting_depth("{ a { b } }"), 2);
        assert_eq!(nesting_depth("{ a(s: \"{{{{\") # {{{{\n { b } }"), 2);
        assert_eq!(nesting_depth(&"{ a ".repeat(500)), 500);
    }

    #[test]
    fn fragments_count_where_they_are_spread() {
        let limits = Limits { max_height: 6, ..Limits::default() };
        let query = "{ a { ...F } b { ...F } } fragment F on T { x y }";
        assert_eq!(shape_error(query, limits), None);
        let limits = Limits { max_height: 5, ..Limits::default() };
        assert_eq!(shape_error(query, limits).as_deref(), Some("\"MAX_HEIGHT_EXCEEDED\""));
    }

    #[test]
    fn aliases_root_fields_and_directives_have_their_own_codes() {
        let aliases: String = (0..31).map(|i| format!("a{i}: a ")).collect();
        assert_eq!(
            shape_error(&format!("{{ {aliases} }}"), Limits::default()).as_deref(),
            Some("\"MAX_ALIASES_EXCEEDED\"")
        );
        let roots: String = (0..21).map(|i| format!("f{i} ")).collect();
        assert_eq!(
            shape_error(&format!("{{ {roots} }}"), Limits::default()).as_deref(),
            Some("\"MAX_ROOT_FIELDS_EXCEEDED\"")
        );
        let directives = "@a ".repeat(11);
        assert_eq!(
            shape_error(&format!("{{ f {directives} }}"), Limits::default()).as_deref(),
            Some("\"MAX_DIRECTIVES_EXCEEDED\"")
        );
        // A cycle (refused by validation) does not hang the count.
        assert_eq!(
            shape_error(
                "{ ...A } fragment A on Q { ...B } fragment B on Q { ...A }",
                Limits::default()
            ),
            None
        );
    }
}
