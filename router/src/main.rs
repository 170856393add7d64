use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = router::cli::Cli::parse();
    server::telemetry::init();
    server::exit_code(router::run(cli).await)
}
