//! Progressive `@override`: which subgraph resolves an overridden field is
//! decided per request. A `percent(N)` label sends about N% of requests to
//! the overriding subgraph (a value drawn per request below N); a flag label
//! does when the flag is switched on in the configuration.
//!
//! Plans are cached per *bucket*: requests whose drawn values fall between
//! the same two thresholds get the same plan, so a supergraph with k
//! distinct percentages has at most k + 1 plans per operation.

use std::{
    collections::HashSet,
    hash::BuildHasher,
    sync::atomic::{AtomicU64, Ordering},
};

use graphql_tools::static_graphql::schema::{Definition, Document, TypeDefinition, Value};
use hive_router_query_planner::graph::PlannerOverrideContext;

/// The planner's fixed-point scale: a percentage times 10^8.
const SCALE: f64 = 100_000_000.0;

pub struct Overrides {
    /// The `percent(N)` labels' N, scaled, sorted and distinct.
    thresholds: Vec<u64>,
    flags: HashSet<String>,
    draws: AtomicU64,
    seed: foldhash::fast::RandomState,
}

/// One request's draw: its value and the bucket it falls in.
#[derive(Debug, Clone, Copy)]
pub struct Draw {
    value: u64,
    pub bucket: usize,
}

impl Overrides {
    pub fn new(supergraph: &Document, flags: &[String]) -> Self {
        let mut thresholds: Vec<u64> = labels(supergraph)
            .filter_map(|label| {
                let number = label.strip_prefix("percent(")?.strip_suffix(')')?;
                number.parse::<f64>().ok().map(|n| (n * SCALE).round() as u64)
            })
            .collect();
        thresholds.sort_unstable();
        thresholds.dedup();
        Self {
            thresholds,
            flags: flags.iter().cloned().collect(),
            draws: AtomicU64::new(0),
            seed: foldhash::fast::RandomState::default(),
        }
    }

    /// A value uniform in [0, 100%) for one request. Without percentage
    /// labels nothing is drawn: every request is in the one bucket.
    pub fn draw(&self) -> Draw {
        if self.thresholds.is_empty() {
            return Draw { value: 0, bucket: 0 };
        }
        let n = self.draws.fetch_add(1, Ordering::Relaxed);
        let value = self.seed.hash_one(n) % (100 * SCALE as u64);
        let bucket = self.thresholds.iter().take_while(|t| **t <= value).count();
        Draw { value, bucket }
    }

    /// What the planner is told about the request.
    pub fn context(&self, draw: Draw) -> PlannerOverrideContext {
        PlannerOverrideContext::new(self.flags.clone(), draw.value)
    }
}

/// Every `overrideLabel` of the supergraph's `@join__field`s.
fn labels(supergraph: &Document) -> impl Iterator<Item = &str> {
    supergraph.definitions.iter().flat_map(|definition| {
        let fields = match definition {
            Definition::TypeDefinition(TypeDefinition::Object(o)) => o.fields.as_slice(),
            Definition::TypeDefinition(TypeDefinition::Interface(i)) => i.fields.as_slice(),
            _ => &[],
        };
        fields.iter().flat_map(|field| {
            field.directives.iter().filter(|d| d.name == "join__field").filter_map(|d| {
                d.arguments.iter().find_map(|(name, value)| match value {
                    Value::String(label) if name == "overrideLabel" => Some(label.as_str()),
                    _ => None,
                })
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_spread_over_the_buckets_in_proportion() {
        let supergraph = graphql_tools::parser::schema::parse_schema::<String>(
            r#"type Query {
                 a: Int @join__field(graph: A) @join__field(graph: B, override: "a", overrideLabel: "percent(25)")
                 b: Int @join__field(graph: B, override: "a", overrideLabel: "percent(75)")
                 c: Int @join__field(graph: B, override: "a", overrideLabel: "beta")
               }"#,
        )
        .expect("SDL")
        .into_static();
        let overrides = Overrides::new(&supergraph, &[]);
        assert_eq!(overrides.thresholds, [25 * SCALE as u64, 75 * SCALE as u64]);
        let mut counts = [0usize; 3];
        for _ in 0..10_000 {
            counts[overrides.draw().bucket] += 1;
        }
        // Expected 2,500 / 5,000 / 2,500; five standard deviations apart.
        assert!((2_300..2_700).contains(&counts[0]), "{counts:?}");
        assert!((4_750..5_250).contains(&counts[1]), "{counts:?}");
        assert!((2_300..2_700).contains(&counts[2]), "{counts:?}");
    }
}
