//! The HTTP scaffold every subgraph runs on.
//!
//! `build(config) -> App` in each service assembles an [`App`]: an axum
//! router plus the background tasks (outbox relay, consumers) that belong to
//! it. Tests drive `app.router` without a socket, or [`App::spawn`] it on
//! port 0; binaries call [`App::serve`]. Binding is kept apart from building.

mod graphql;
mod server;

pub use graphql::{
    GraphqlEndpoint, RequestData, authorization_in, configure_schema, export_sdl, wants_html,
};
pub use server::{App, BackgroundTask, Readiness, RunningApp, Stopping, bind, shutdown_on_signal};
