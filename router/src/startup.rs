//! `build(config) -> App`, and what `main` does for each command.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::Context;
use graphql_tools::parser::schema::parse_schema;
use server::{App, Readiness};

use crate::{
    check,
    cli::{CheckArgs, Cli, Command, ComposeArgs, PlanArgs, PlanFormat, ServeArgs},
    compose,
    config::RouterConfig,
    observability::RouterMetrics,
    planning::{Limits, QueryPlanner},
    state::RouterState,
    supergraph::Supergraph,
    transport,
};

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
    let metrics = Arc::new(RouterMetrics::default());
    let supergraph = Supergraph::load(sdl, &config, &metrics)?;
    let state = Arc::new(RouterState::new(config, supergraph, metrics)?);
    let authenticator = state.authenticator.clone();
    let app = App::new(transport::routes(state.clone()), Readiness::new())
        .with_task(move |stop| authenticator.refresh(stop));
    Ok(match watch {
        Some(path) => app.with_task(move |stop| state.watch(path, stop)),
        None => app,
    })
}

/// Runs what the command line asks for.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Compose(args)) => compose(args).await,
        Some(Command::Plan(args)) => plan(&args),
        Some(Command::Check(args)) => check(&args),
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = RouterConfig::load(args.config.as_deref())?;
    if let Some(path) = args.supergraph {
        config.supergraph_path = path;
    }
    let (listen, metrics_listen) = (config.listen, config.metrics_listen);
    let app = build(config)?;
    tracing::info!(addr = %listen, "router starting; GraphiQL at /graphql");
    app.run("router", listen, metrics_listen).await
}

async fn compose(args: ComposeArgs) -> anyhow::Result<()> {
    let sdl = compose::compose_from_config(&args.config).await?;
    if args.output == Path::new("-") {
        print!("{sdl}");
        return Ok(());
    }
    std::fs::write(&args.output, sdl)
        .with_context(|| format!("writing {}", args.output.display()))?;
    eprintln!("wrote {}", args.output.display());
    Ok(())
}

/// Reads a supergraph file and plans over it.
fn load_planner(path: &Path) -> anyhow::Result<QueryPlanner> {
    let sdl = std::fs::read_to_string(path)
        .with_context(|| format!("reading supergraph {}", path.display()))?;
    let document = parse_schema::<String>(&sdl)
        .map_err(|e| anyhow::anyhow!("{}: invalid supergraph SDL: {e}", path.display()))?
        .into_static();
    QueryPlanner::new(&document, 1, &[]).map_err(anyhow::Error::msg)
}

/// Prints the changes between two supergraphs' API schemas; fails on a
/// breaking one unless it is allowed.
fn check(args: &CheckArgs) -> anyhow::Result<()> {
    let base = load_planner(&args.base)?;
    let new = load_planner(&args.new)?;
    let changes = check::changes(base.schema(), new.schema());
    let operations = match &args.operations {
        Some(dir) => check::usages(dir, base.schema())
            .with_context(|| format!("reading operations under {}", dir.display()))?,
        None => Vec::new(),
    };
    let breaking = changes.iter().filter(|c| c.level == check::Level::Breaking).count();
    println!("{breaking} breaking, {} dangerous change(s)", changes.len() - breaking);
    for change in &changes {
        let level = match change.level {
            check::Level::Breaking => "BREAKING ",
            check::Level::Dangerous => "dangerous",
        };
        println!("{level}  {}", change.message);
        if change.level == check::Level::Breaking {
            for operation in check::affected(change, &operations) {
                println!("           breaks {} in {}", operation.name, operation.file.display());
            }
        }
    }
    match (&args.allow, breaking) {
        (_, 0) => Ok(()),
        (Some(reason), _) => {
            println!("breaking changes allowed: {reason}");
            Ok(())
        }
        (None, n) => anyhow::bail!("{n} breaking change(s); pass --allow REASON if intended"),
    }
}

/// Prints the plan of one operation; a refused operation prints its
/// GraphQL errors and fails.
fn plan(args: &PlanArgs) -> anyhow::Result<()> {
    let query = if args.query == Path::new("-") {
        std::io::read_to_string(std::io::stdin()).context("reading the operation from stdin")?
    } else {
        std::fs::read_to_string(&args.query)
            .with_context(|| format!("reading {}", args.query.display()))?
    };
    let planner = load_planner(&args.supergraph)?;
    let limits = Limits::unlimited();
    let prepared = match planner.prepare(&query, args.operation_name.as_deref(), limits) {
        Ok(prepared) => prepared,
        Err(refused) => {
            let errors = serde_json::json!({ "errors": refused.errors });
            anyhow::bail!("the operation cannot be planned:\n{errors:#}");
        }
    };
    match args.format {
        PlanFormat::Json => println!("{}", serde_json::to_string_pretty(&*prepared.plan)?),
        PlanFormat::Text => println!("{}", prepared.plan),
    }
    Ok(())
}
