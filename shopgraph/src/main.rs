use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = shopgraph::Cli::parse();
    let _telemetry = kit::telemetry::init("shopgraph");
    server::exit_code(shopgraph::run(cli).await)
}
