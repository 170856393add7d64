//! The command line every subgraph binary shares: `<service>` or
//! `<service> serve` serves, `<service> schema` prints the federation SDL,
//! `<service> seed` applies the demo data. A service describes itself with
//! [`Subgraph`]; its `main.rs` calls [`run`].

use std::{future::Future, process::ExitCode};

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::{config::ServiceConfig, http::App};

#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
enum Command {
    /// Serve the subgraph: GraphQL on `/graphql` (POST, WebSocket
    /// subscriptions, GraphiQL for browsers), `/health` and `/ready`. The
    /// default; configured by environment variables (see the README).
    Serve,
    /// Print the subgraph's federation SDL to standard output.
    Schema,
    /// Apply the demo data, then exit. Safe to run again.
    Seed,
}

/// What a subgraph binary is; [`run`] turns it into a command line.
pub trait Subgraph {
    /// The binary's name, also used in logs: `users`, `catalog`, ...
    const NAME: &'static str;
    /// One line for `--help`.
    const ABOUT: &'static str;
    type Config;

    /// The configuration, from the environment.
    fn config() -> anyhow::Result<Self::Config>;
    /// Where it listens, and the rest every service shares.
    fn service(config: &Self::Config) -> &ServiceConfig;
    fn schema_sdl() -> String;
    /// Assembles the service without binding a port.
    fn build(config: &Self::Config) -> impl Future<Output = anyhow::Result<App>>;
    /// Applies the demo data. Services whose data belongs to customers
    /// (carts, orders, payments) have none.
    fn seed(config: &Self::Config) -> impl Future<Output = anyhow::Result<()>> {
        let _ = config;
        async {
            tracing::info!(service = Self::NAME, "no demo data to seed");
            Ok(())
        }
    }
}

/// Parses the command line (`--help`, `--version` and usage errors are
/// clap's, exit code 2 on a bad argument) and runs the command; a failure
/// is one line on standard error and exit code 1.
pub async fn run<S: Subgraph>(version: &'static str) -> ExitCode {
    let matches = Cli::command()
        .name(S::NAME)
        .bin_name(S::NAME)
        .version(version)
        .about(S::ABOUT)
        .get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let _telemetry = crate::telemetry::init(S::NAME);
    ::server::exit_code(execute::<S>(cli.command.unwrap_or(Command::Serve)).await)
}

async fn execute<S: Subgraph>(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Schema => {
            print!("{}", S::schema_sdl());
            Ok(())
        }
        Command::Seed => S::seed(&S::config()?).await,
        Command::Serve => {
            let config = S::config()?;
            let service = S::service(&config);
            let addr = (service.host, service.port).into();
            let metrics = service.metrics_port.map(|port| (service.host, port).into());
            S::build(&config).await?.run(S::NAME, addr, metrics).await
        }
    }
}
