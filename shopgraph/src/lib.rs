//! `shopgraph dev`: every service in one process, each on its own port and
//! database, with demo data applied. For development and demos; production
//! runs each service's own binary.

use anyhow::Context;
use clap::{Parser, Subcommand};
use kit::{
    cli::Subgraph,
    http::{App, bind, shutdown_on_signal},
};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

mod router_settings;
pub mod storefront;

pub use router_settings::{with_service_signing, with_shopgraph_auth};

/// Shopgraph's developer entry point.
#[derive(Debug, Parser)]
#[command(name = "shopgraph", version)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, Subcommand)]
enum Command {
    /// Run every subgraph and the router (GraphiQL on :4000) in one process,
    /// each on its own port and database, with the demo data applied, and
    /// the reference storefront on :3000 when it has been built.
    /// Configured by the same environment variables as each service.
    Dev,
}

/// What `main` does.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Dev => dev().await,
    }
}

async fn dev() -> anyhow::Result<()> {
    let shutdown = shutdown_on_signal();
    let mut services = JoinSet::new();
    let users_config = users::UsersSubgraph::config()?;
    let users_url = format!("http://{}:{}", users_config.service.host, users_config.service.port);
    serve::<users::UsersSubgraph>(users_config, &mut services, &shutdown).await?;
    start::<catalog::CatalogSubgraph>(&mut services, &shutdown).await?;
    start::<inventory::InventorySubgraph>(&mut services, &shutdown).await?;
    start::<cart::CartSubgraph>(&mut services, &shutdown).await?;
    start::<orders::OrdersSubgraph>(&mut services, &shutdown).await?;
    start::<payments::PaymentsSubgraph>(&mut services, &shutdown).await?;
    start::<shipping::ShippingSubgraph>(&mut services, &shutdown).await?;
    let mut notifications_config = notifications::NotificationsSubgraph::config()?;
    if std::env::var_os("SMTP_HOST").is_none() && std::env::var_os("NOTIFY_EMAIL").is_none() {
        // No mail catcher configured: log emails rather than retrying them
        // into FAILED. `docker compose` sets SMTP_HOST to its Mailpit.
        notifications_config.email = notifications::EmailTransport::Log;
    }
    serve::<notifications::NotificationsSubgraph>(notifications_config, &mut services, &shutdown)
        .await?;

    // The router last: it serves the checked-in supergraph, whose subgraph
    // URLs point at the services started above, and verifies tokens with
    // the keys users publishes.
    let router_config = with_shopgraph_auth(router::RouterConfig::load(None)?, &users_url);
    let router_addr = router_config.listen;
    let router_app = router::build(router_config).context("starting the router")?;
    spawn(&mut services, "router", router_app, router_addr, &shutdown).await?;

    let storefront = storefront::StorefrontConfig::from_env()?;
    let storefront_note = if storefront.is_built() {
        let app = storefront::build(&storefront, router_addr.port());
        spawn(&mut services, "storefront", app, storefront.listen, &shutdown).await?;
        format!("Storefront: http://{}/", storefront.listen)
    } else {
        format!(
            "Storefront: not built ({} has no index.html); run `npm --prefix storefront ci && npm --prefix storefront run build`",
            storefront.dir.display()
        )
    };
    tracing::info!(
        "Shopgraph is running. GraphQL and GraphiQL: http://{router_addr}/graphql (admin: {} / $SHOPGRAPH_ADMIN_PASSWORD). {storefront_note}",
        users::ADMIN_EMAIL,
    );
    // If any service stops, stop them all: a half-running platform is
    // more confusing than a stopped one.
    if let Some(result) = services.join_next().await {
        shutdown.cancel();
        result??;
    }
    while let Some(result) = services.join_next().await {
        result??;
    }
    Ok(())
}

/// Starts a subgraph configured from the environment.
async fn start<S: Subgraph>(
    services: &mut JoinSet<anyhow::Result<()>>,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    serve::<S>(S::config()?, services, shutdown).await
}

/// Seeds a subgraph's demo data, builds it and serves it on its port.
async fn serve<S: Subgraph>(
    config: S::Config,
    services: &mut JoinSet<anyhow::Result<()>>,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    S::seed(&config).await.with_context(|| format!("seeding {}", S::NAME))?;
    let app = S::build(&config).await.with_context(|| format!("starting {}", S::NAME))?;
    let service = S::service(&config);
    spawn(services, S::NAME, app, (service.host, service.port).into(), shutdown).await
}

async fn spawn(
    services: &mut JoinSet<anyhow::Result<()>>,
    name: &'static str,
    app: App,
    addr: std::net::SocketAddr,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let listener = bind(addr).await.with_context(|| format!("starting {name}"))?;
    let token = shutdown.clone();
    services.spawn(async move {
        app.serve(listener, token).await.with_context(|| format!("{name} stopped"))
    });
    Ok(())
}
