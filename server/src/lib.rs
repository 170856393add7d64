//! What every Shopgraph server process shares, the router included, and
//! nothing of the domain: configuration from the environment, logging and
//! W3C trace context, and the HTTP lifecycle (build apart from bind,
//! `/health` and `/ready`, graceful shutdown of the server and its
//! background tasks).

pub mod app;
pub mod config;
pub mod graphiql;
pub mod headers;
pub mod metrics;
pub mod signing;
pub mod telemetry;
pub mod websocket;

pub use app::{App, BackgroundTask, Readiness, RunningApp, Stopping, bind, shutdown_on_signal};

/// What a binary's `main` returns: on failure one line on standard error,
/// the error with its causes (`error: reading x: No such file`), and exit
/// code 1. No backtrace, whatever `RUST_BACKTRACE` says: a failure to start
/// is the user's to read, not a crash.
pub fn exit_code(result: anyhow::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
