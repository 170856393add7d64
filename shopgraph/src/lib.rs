//! `shopgraph dev`: every service in one process, each on its own port and
//! database, with demo data applied. For development and demos; production
//! runs each service's own binary.

use anyhow::Context;
use kit::http::{App, bind, shutdown_on_signal};
use tokio::task::JoinSet;

/// What `main` does.
pub async fn run() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("dev") => dev().await,
        _ => anyhow::bail!("usage: shopgraph dev"),
    }
}

async fn dev() -> anyhow::Result<()> {
    let shutdown = shutdown_on_signal();
    let mut services = JoinSet::new();

    let users_config = users::UsersConfig::from_env()?;
    users::seed(&users_config).await.context("seeding users")?;
    let users_app = users::build(&users_config).await.context("starting users")?;
    spawn(
        &mut services,
        "users",
        users_app,
        (users_config.service.host, users_config.service.port).into(),
        &shutdown,
    )
    .await?;

    let catalog_config = catalog::CatalogConfig::from_env()?;
    let database =
        kit::mongo::connect(&catalog_config.mongo).await.context("connecting to MongoDB")?;
    catalog::seed::seed(&catalog::catalog(&catalog_config, &database).await?)
        .await
        .context("seeding catalog")?;
    let catalog_app = catalog::build(&catalog_config).await.context("starting catalog")?;
    let catalog_addr = (catalog_config.service.host, catalog_config.service.port).into();
    spawn(&mut services, "catalog", catalog_app, catalog_addr, &shutdown).await?;

    let inventory_config = inventory::InventoryConfig::from_env()?;
    let inventory_app = inventory::build(&inventory_config).await.context("starting inventory")?;
    inventory::seed::seed_url(&inventory_config).await.context("seeding inventory")?;
    let inventory_addr = (inventory_config.service.host, inventory_config.service.port).into();
    spawn(&mut services, "inventory", inventory_app, inventory_addr, &shutdown).await?;

    let cart_config = cart::CartConfig::from_env()?;
    let cart_addr = (cart_config.service.host, cart_config.service.port).into();
    spawn(
        &mut services,
        "cart",
        cart::build(&cart_config).context("starting cart")?,
        cart_addr,
        &shutdown,
    )
    .await?;

    let orders_config = orders::OrdersConfig::from_env()?;
    let orders_addr = (orders_config.service.host, orders_config.service.port).into();
    let orders_app = orders::build(&orders_config).await.context("starting orders")?;
    spawn(&mut services, "orders", orders_app, orders_addr, &shutdown).await?;

    let payments_config = payments::PaymentsConfig::from_env()?;
    let payments_addr = (payments_config.service.host, payments_config.service.port).into();
    let payments_app = payments::build(&payments_config).await.context("starting payments")?;
    spawn(&mut services, "payments", payments_app, payments_addr, &shutdown).await?;

    let shipping_config = shipping::ShippingConfig::from_env()?;
    let shipping_addr = (shipping_config.service.host, shipping_config.service.port).into();
    let shipping_app = shipping::build(&shipping_config).await.context("starting shipping")?;
    spawn(&mut services, "shipping", shipping_app, shipping_addr, &shutdown).await?;

    let mut notifications_config = notifications::NotificationsConfig::from_env()?;
    if std::env::var_os("SMTP_HOST").is_none() && std::env::var_os("NOTIFY_EMAIL").is_none() {
        // No mail catcher configured: log emails rather than retrying them
        // into FAILED. `docker compose` sets SMTP_HOST to its Mailpit.
        notifications_config.email = notifications::EmailTransport::Log;
    }
    let notifications_addr =
        (notifications_config.service.host, notifications_config.service.port).into();
    let notifications_app =
        notifications::build(&notifications_config).await.context("starting notifications")?;
    spawn(&mut services, "notifications", notifications_app, notifications_addr, &shutdown).await?;

    // The router last: it serves the checked-in supergraph, whose subgraph
    // URLs point at the services started above.
    let router_config = router::RouterConfig::load(None)?;
    let router_addr = router_config.listen;
    let router_app = router::build(router_config).context("starting the router")?;
    spawn(&mut services, "router", router_app, router_addr, &shutdown).await?;

    tracing::info!(
        "Shopgraph is running. GraphQL and GraphiQL: http://{router_addr}/graphql (admin: {} / $SHOPGRAPH_ADMIN_PASSWORD)",
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

async fn spawn(
    services: &mut JoinSet<anyhow::Result<()>>,
    name: &'static str,
    app: App,
    addr: std::net::SocketAddr,
    shutdown: &tokio_util::sync::CancellationToken,
) -> anyhow::Result<()> {
    let listener = bind(addr).await.with_context(|| format!("starting {name}"))?;
    let token = shutdown.clone();
    services.spawn(async move {
        app.serve(listener, token).await.with_context(|| format!("{name} stopped"))
    });
    Ok(())
}
