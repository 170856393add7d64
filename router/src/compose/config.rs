//! The rover-style `supergraph.yaml`:
//!
//! ```yaml
//! subgraphs:
//!   users:
//!     routing_url: http://127.0.0.1:4001/graphql
//!     schema:
//!       file: ./users.graphql          # relative to this file
//!       # or: subgraph_url: http://127.0.0.1:4001/graphql  (asks `_service { sdl }`)
//! ```

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use anyhow::Context;
use serde::Deserialize;

use super::{SubgraphSource, compose};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupergraphConfig {
    /// Accepted for compatibility with rover; we always emit Federation 2.
    #[serde(default)]
    pub federation_version: Option<String>,
    pub subgraphs: BTreeMap<String, SubgraphEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubgraphEntry {
    pub routing_url: String,
    pub schema: SchemaSource,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaSource {
    pub file: Option<PathBuf>,
    pub subgraph_url: Option<String>,
}

/// Reads the config, gathers every subgraph's SDL and composes.
pub async fn compose_from_config(path: &Path) -> anyhow::Result<String> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let config: SupergraphConfig =
        serde_yaml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut sources = Vec::new();
    for (name, entry) in config.subgraphs {
        let sdl = match (&entry.schema.file, &entry.schema.subgraph_url) {
            (Some(file), _) => {
                let file = base.join(file);
                std::fs::read_to_string(&file)
                    .with_context(|| format!("subgraph `{name}`: reading {}", file.display()))?
            }
            (None, Some(url)) => {
                fetch_sdl(url).await.with_context(|| format!("subgraph `{name}`: {url}"))?
            }
            (None, None) => {
                anyhow::bail!("subgraph `{name}`: schema needs `file` or `subgraph_url`")
            }
        };
        sources.push(SubgraphSource { name, routing_url: entry.routing_url, sdl });
    }
    compose(&sources).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(|e| format!("  - {e}")).collect();
        anyhow::anyhow!("composition failed:\n{}", list.join("\n"))
    })
}

async fn fetch_sdl(url: &str) -> anyhow::Result<String> {
    let response: serde_json::Value = reqwest::Client::new()
        .post(url)
        .json(&serde_json::json!({ "query": "{ _service { sdl } }" }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    response["data"]["_service"]["sdl"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no `_service.sdl` in the response: {response}"))
}
