//! The HTTP scaffold every subgraph runs on: the `server` crate's
//! [`App`] lifecycle, the GraphQL endpoint, and readiness checks for the
//! platform's backing services.
//!
//! `build(config) -> App` in each service assembles an [`App`]: an axum
//! router plus the background tasks (outbox relay, consumers) that belong to
//! it. Tests drive `app.router` without a socket, or [`App::spawn`] it on
//! port 0; binaries call [`App::run`]. Binding is kept apart from building.

mod graphql;
mod operation_identity;
mod signed;

pub use ::server::{
    App, BackgroundTask, Readiness, RunningApp, Stopping, bind,
    headers::{authorization_in, wants_html},
    shutdown_on_signal, signing,
};
pub use graphql::{GraphqlEndpoint, RequestData, configure_schema, export_sdl};

/// `/ready` checks for the platform's backing services.
pub trait ReadinessChecks {
    fn postgres(self, pool: sqlx::PgPool) -> Self;
    fn mongo(self, database: mongodb::Database) -> Self;
    fn broker(self, broker: crate::events::Broker) -> Self;
}

impl ReadinessChecks for Readiness {
    fn postgres(self, pool: sqlx::PgPool) -> Self {
        self.check("postgres", move || {
            let pool = pool.clone();
            async move {
                sqlx::query("SELECT 1").execute(&pool).await?;
                Ok(())
            }
        })
    }

    fn mongo(self, database: mongodb::Database) -> Self {
        self.check("mongodb", move || {
            let database = database.clone();
            async move {
                database.run_command(mongodb::bson::doc! { "ping": 1 }).await?;
                Ok(())
            }
        })
    }

    fn broker(self, broker: crate::events::Broker) -> Self {
        self.check("rabbitmq", move || {
            let broker = broker.clone();
            async move { Ok(broker.check().await?) }
        })
    }
}
