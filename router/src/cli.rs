//! The command line: `router [serve]`, `router compose`, `router plan`,
//! `router check`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// An Apollo Federation 2 router: composes subgraph schemas into a
/// supergraph, plans each operation across the subgraphs with the Hive query
/// planner, and executes the plans, over HTTP, WebSocket and SSE.
#[derive(Debug, Parser)]
#[command(name = "router", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// With no subcommand the router serves.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve a supergraph: GraphQL over HTTP, WebSocket and SSE, and
    /// GraphiQL for browsers, on `/graphql` (the default command).
    Serve(ServeArgs),
    /// Compose subgraph schemas into a supergraph SDL file.
    Compose(ComposeArgs),
    /// Print the query plan of an operation, for debugging federation.
    Plan(PlanArgs),
    /// Compare two supergraphs' API schemas: list breaking and dangerous
    /// changes, and the client operations each breaking change breaks.
    /// Exits non-zero on a breaking change unless `--allow` gives a reason.
    Check(CheckArgs),
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The supergraph clients use today.
    #[arg(long, value_name = "FILE")]
    pub base: PathBuf,
    /// The supergraph about to replace it.
    #[arg(long, value_name = "FILE")]
    pub new: PathBuf,
    /// A folder of client operations (`.graphql` files, searched
    /// recursively) to name what each breaking change would break.
    #[arg(long, value_name = "DIR")]
    pub operations: Option<PathBuf>,
    /// Accept breaking changes, for this reason (printed with the report).
    #[arg(long, value_name = "REASON")]
    pub allow: Option<String>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// The router's YAML configuration (also `ROUTER_CONFIG`); environment
    /// variables override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The supergraph SDL to serve, reloaded when it changes (also
    /// `SUPERGRAPH_PATH`; default `schema/supergraph.graphql`).
    #[arg(long, value_name = "FILE")]
    pub supergraph: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ComposeArgs {
    /// Which subgraphs to compose: a rover-style YAML file naming each
    /// subgraph's routing URL and its schema (a file, or `_service { sdl }`
    /// fetched from a URL).
    #[arg(long, value_name = "FILE", default_value = "schema/supergraph.yaml")]
    pub config: PathBuf,
    /// Where to write the supergraph; `-` for standard output.
    #[arg(long, value_name = "FILE", default_value = "schema/supergraph.graphql")]
    pub output: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// The supergraph SDL to plan over.
    #[arg(long, value_name = "FILE", default_value = "schema/supergraph.graphql")]
    pub supergraph: PathBuf,
    /// A file holding the GraphQL operation; `-` for standard input.
    #[arg(value_name = "QUERY_FILE")]
    pub query: PathBuf,
    /// Which operation of the document to plan, when it has several.
    #[arg(long)]
    pub operation_name: Option<String>,
    /// `json` (the plan's nodes) or `text` (the indented form other
    /// federation routers print).
    #[arg(long, value_enum, default_value_t = PlanFormat::Json)]
    pub format: PlanFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Json,
    Text,
}
