//! A loaded supergraph: planner (with the API schema), introspection and subgraph
//! endpoints, swapped as one unit on reload.

use std::{collections::HashMap, time::Duration};

use graphql_tools::{parser::schema::parse_schema, static_graphql::schema::Document};

use crate::{
    config::RouterConfig,
    execution::{
        Introspection,
        subgraphs::{SubgraphEndpoint, Subgraphs},
    },
    planning::QueryPlanner,
};

pub struct Supergraph {
    pub planner: QueryPlanner,
    pub introspection: Introspection,
    pub subgraphs: Subgraphs,
}

impl Supergraph {
    pub fn load(sdl: &str, config: &RouterConfig) -> anyhow::Result<Self> {
        let document: Document = parse_schema::<String>(sdl)
            .map_err(|e| anyhow::anyhow!("invalid supergraph SDL: {e}"))?
            .into_static();
        let planner = QueryPlanner::new(&document, config.plan_cache_size, &config.override_flags)
            .map_err(anyhow::Error::msg)?;
        let introspection = Introspection::new(planner.schema());
        let mut graphs = join_graphs(&document);
        // A virtual subgraph for contextual fields is its real one.
        for (service, real) in &planner.contexts().services {
            if let Some(url) = graphs.get(real).cloned() {
                graphs.insert(service.clone(), url);
            }
        }
        let endpoints = graphs
            .into_iter()
            .map(|(name, url)| {
                let real = planner.contexts().services.get(&name).unwrap_or(&name);
                let url = config.subgraph_urls.get(real).cloned().unwrap_or(url);
                let timeout = config
                    .subgraph_timeouts_ms
                    .get(real)
                    .copied()
                    .unwrap_or(config.subgraph_timeout_ms);
                (name, SubgraphEndpoint::new(url, Duration::from_millis(timeout)))
            })
            .collect();
        Ok(Self {
            planner,
            introspection,
            subgraphs: Subgraphs::new(endpoints, config.dedupe_subgraph_requests),
        })
    }
}

/// `enum join__Graph { USERS @join__graph(name: "users", url: "...") }`
/// -> {"users": "..."}.
fn join_graphs(document: &Document) -> HashMap<String, String> {
    use graphql_tools::static_graphql::schema::{Definition, TypeDefinition, Value};
    let mut graphs = HashMap::new();
    for definition in &document.definitions {
        let Definition::TypeDefinition(TypeDefinition::Enum(e)) = definition else { continue };
        if e.name != "join__Graph" {
            continue;
        }
        for value in &e.values {
            let Some(directive) = value.directives.iter().find(|d| d.name == "join__graph") else {
                continue;
            };
            let arg = |n: &str| {
                directive.arguments.iter().find(|(k, _)| k == n).and_then(|(_, v)| match v {
                    Value::String(s) => Some(s.clone()),
                    _ => None,
                })
            };
            if let (Some(name), Some(url)) = (arg("name"), arg("url")) {
                graphs.insert(name, url);
            }
        }
    }
    graphs
}
