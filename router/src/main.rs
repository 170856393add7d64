use std::process::ExitCode;

use clap::Parser;

/// jemalloc, with background threads, rather than glibc's malloc: the
/// executor allocates and frees many small values per request, and under
/// load glibc's allocator took about a quarter of the router's CPU. Against
/// mimalloc, measured side by side (README, gateway and live_at_scale
/// benches): the same CPU per query or a little less, a lower peak, and the
/// memory of a crowd of subscribers given back to the OS once they leave,
/// where mimalloc kept it. `--features mimalloc` or `system-allocator`
/// builds with the others, for comparing them.
#[cfg(all(
    unix,
    feature = "jemalloc",
    not(any(feature = "mimalloc", feature = "system-allocator"))
))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[cfg(all(feature = "mimalloc", not(feature = "system-allocator")))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = router::cli::Cli::parse();
    let _telemetry = server::telemetry::init("router");
    server::exit_code(router::run(cli).await)
}
