//! Demo data: an admin and a few customers with fixed ids, so that other
//! subgraphs' seeds (reviews, orders) can refer to them.

use kit::auth::Role;
use uuid::Uuid;

use crate::{config::UsersConfig, domain::hash_password, startup::MIGRATOR};

pub const ADMIN_EMAIL: &str = "admin@shopgraph.local";
const DEMO_PASSWORD: &str = "shopgraph-demo";

/// (id, email, name, role). The ids are part of the demo data contract.
const ACCOUNTS: &[(u128, &str, &str, Role)] = &[
    (0x5e0d_0000_0000_4000_8000_0000_0000_0001, ADMIN_EMAIL, "Shopgraph Admin", Role::Admin),
    (
        0x5e0d_0000_0000_4000_8000_0000_0000_0002,
        "alice@shopgraph.local",
        "Alice Martin",
        Role::Customer,
    ),
    (0x5e0d_0000_0000_4000_8000_0000_0000_0003, "bob@shopgraph.local", "Bob Chen", Role::Customer),
    (
        0x5e0d_0000_0000_4000_8000_0000_0000_0004,
        "carol@shopgraph.local",
        "Carol Diaz",
        Role::Customer,
    ),
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
    for &(id, email, name, role) in ACCOUNTS {
        let password = if role == Role::Admin { admin_password } else { DEMO_PASSWORD };
        let hash = hash_password(password).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        created += sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING",
        )
        .bind(Uuid::from_u128(id))
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
