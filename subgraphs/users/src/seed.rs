//! Demo data: an admin and a few customers with fixed ids, so that other
//! subgraphs' seeds (reviews, orders) can refer to them.

use kit::auth::Role;

use crate::{config::UsersConfig, domain::hash_password, startup::MIGRATOR};

pub const ADMIN_EMAIL: &str = "admin@shopgraph.local";
const DEMO_PASSWORD: &str = "shopgraph-demo";

/// (email, name, role), in the order of `kit::demo`'s ids.
const ACCOUNTS: &[(&str, &str, Role)] = &[
    (ADMIN_EMAIL, "Shopgraph Admin", Role::Admin),
    ("alice@shopgraph.local", "Alice Martin", Role::Customer),
    ("bob@shopgraph.local", "Bob Chen", Role::Customer),
    ("carol@shopgraph.local", "Carol Diaz", Role::Customer),
];

/// Idempotent: existing accounts are left as they are.
pub async fn seed(config: &UsersConfig) -> anyhow::Result<()> {
    let pool = kit::db::connect_and_migrate(
        &config.service.database_url,
        config.service.database_max_connections,
        &MIGRATOR,
    )
    .await?;
    seed_pool(&pool, &config.admin_password).await
}

pub async fn seed_pool(pool: &sqlx::PgPool, admin_password: &str) -> anyhow::Result<()> {
    let mut created = 0;
    let ids = std::iter::once(kit::demo::admin_id()).chain(kit::demo::customer_ids());
    for (id, &(email, name, role)) in ids.zip(ACCOUNTS) {
        let password = if role == Role::Admin { admin_password } else { DEMO_PASSWORD };
        let hash = hash_password(password).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        created += sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(email)
        .bind(name)
        .bind(hash.0)
        .bind(role)
        .execute(pool)
        .await?
        .rows_affected();
    }
    tracing::info!(created, "users seed applied");
    Ok(())
}
