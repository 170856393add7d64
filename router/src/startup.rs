//! `build(config) -> App`, and what `main` does for each command.

use std::{path::PathBuf, sync::Arc};

use anyhow::Context;
use kit::http::{App, Readiness};

use crate::{compose, config::RouterConfig, http, state::RouterState, supergraph::Supergraph};

/// Loads the supergraph and assembles the router; does not bind.
pub fn build(config: RouterConfig) -> anyhow::Result<App> {
    let path = config.supergraph_path.clone();
    let sdl = std::fs::read_to_string(&path)
        .with_context(|| format!("reading supergraph {}", path.display()))?;
    build_from_sdl(config, &sdl, Some(path))
}

/// Assembles the router from SDL in hand; `watch` reloads from that file.
pub fn build_from_sdl(
    config: RouterConfig,
    sdl: &str,
    watch: Option<PathBuf>,
) -> anyhow::Result<App> {
    let supergraph = Supergraph::load(sdl, &config)?;
    let state = Arc::new(RouterState::new(config, supergraph)?);
    let app = App::new(http::routes(state.clone()), Readiness::new());
    Ok(match watch {
        Some(path) => app.with_task(move |stop| state.watch(path, stop)),
        None => app,
    })
}

const USAGE: &str = "usage:
  router [serve] [--config FILE] [--supergraph FILE]   serve GraphQL on :4000
  router compose [--config schema/supergraph.yaml] [--output schema/supergraph.graphql]";

/// Parses the command line and runs it.
pub async fn run(args: Vec<String>) -> anyhow::Result<()> {
    let mut args = args.into_iter().peekable();
    let command = match args.peek().map(String::as_str) {
        Some("compose") | Some("serve") => args.next(),
        _ => None,
    };
    let mut options = std::collections::HashMap::new();
    while let Some(flag) = args.next() {
        let value = args.next().with_context(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--config" | "--supergraph" | "--output" => {
                options.insert(flag, value);
            }
            _ => anyhow::bail!("unknown argument `{flag}`\n{USAGE}"),
        }
    }
    if command.as_deref() == Some("compose") {
        let input = options.get("--config").map_or("schema/supergraph.yaml", String::as_str);
        let output = options.get("--output").map_or("schema/supergraph.graphql", String::as_str);
        let sdl = compose::compose_from_config(std::path::Path::new(input)).await?;
        std::fs::write(output, sdl).with_context(|| format!("writing {output}"))?;
        println!("wrote {output}");
        return Ok(());
    }
    let mut config = RouterConfig::load(options.get("--config").map(std::path::Path::new))?;
    if let Some(path) = options.get("--supergraph") {
        config.supergraph_path = PathBuf::from(path);
    }
    let listen = config.listen;
    let app = build(config)?;
    let listener = kit::http::bind(listen).await?;
    tracing::info!(addr = %listener.local_addr()?, "router listening; GraphiQL at /graphql");
    app.serve(listener, kit::http::shutdown_on_signal()).await?;
    Ok(())
}
