use std::process::ExitCode;

use clap::Parser;

/// mimalloc rather than glibc's malloc: the executor allocates and frees
/// many small values per request, and under load glibc's allocator took
/// about a quarter of the router's CPU (see the gateway bench in the README).
/// The `system-allocator` and `jemalloc` features build with glibc's or
/// jemalloc, for comparing them.
#[cfg(not(any(feature = "system-allocator", feature = "jemalloc")))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(all(feature = "jemalloc", not(feature = "system-allocator")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = router::cli::Cli::parse();
    let _telemetry = server::telemetry::init("router");
    server::exit_code(router::run(cli).await)
}
