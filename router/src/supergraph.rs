//! A loaded supergraph: planner (with the API schema), introspection and subgraph
//! endpoints, swapped as one unit on reload.

use std::{collections::HashMap, sync::Arc, time::Duration};

use graphql_tools::{parser::schema::parse_schema, static_graphql::schema::Document};
use server::signing::RequestSigner;

use crate::observability::RouterMetrics;

use crate::{
    config::RouterConfig,
    execution::{
        Introspection,
        subgraphs::{SubgraphEndpoint, Subgraphs},
    },
    planning::QueryPlanner,
    schema::join_graphs,
};

pub struct Supergraph {
    pub planner: QueryPlanner,
    pub introspection: Introspection,
    pub subgraphs: Subgraphs,
}

impl Supergraph {
    pub fn load(
        sdl: &str,
        config: &RouterConfig,
        metrics: &Arc<RouterMetrics>,
    ) -> anyhow::Result<Self> {
        let document: Document = parse_schema::<String>(sdl)
            .map_err(|e| anyhow::anyhow!("invalid supergraph SDL: {e}"))?
            .into_static();
        let mut planner =
            QueryPlanner::new(&document, config.plan_cache_size, &config.override_flags)
                .map_err(anyhow::Error::msg)?;
        planner.observe(metrics.clone());
        let introspection = Introspection::new(planner.schema());
        let mut graphs: HashMap<String, String> =
            join_graphs(&document).into_iter().map(|g| (g.name, g.url)).collect();
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
            subgraphs: Subgraphs::new(
                endpoints,
                config.dedupe_subgraph_requests,
                config.subgraph_signing_key.as_deref().map(|key| RequestSigner::new("router", key)),
                metrics,
            ),
        })
    }
}
