use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = shopgraph::Cli::parse();
    kit::telemetry::init();
    server::exit_code(shopgraph::run(cli).await)
}
