use std::process::ExitCode;

use clap::Parser;

/// mimalloc rather than glibc's malloc: the executor allocates and frees
/// many small values per request, and under load glibc's allocator took
/// about a quarter of the router's CPU (see the gateway bench in the README).
/// The `system-allocator` feature builds with glibc's, for comparing them.
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = router::cli::Cli::parse();
    let _telemetry = server::telemetry::init("router");
    server::exit_code(router::run(cli).await)
}
