//! Demo stock: two warehouses and stock for every demo product, a few of
//! them out of stock or nearly so. Idempotent.

use kit::demo;
use sqlx::PgPool;
use uuid::Uuid;

/// (id, code, name, country)
const WAREHOUSES: &[(u128, &str, &str, &str)] = &[
    (0x5e0d_3000_0000_4000_8000_0000_0000_0001, "LON", "London", "GB"),
    (0x5e0d_3000_0000_4000_8000_0000_0000_0002, "NYC", "New York", "US"),
];

/// Seeds the configured database (created and migrated if needed).
pub async fn seed_url(config: &crate::InventoryConfig) -> anyhow::Result<()> {
    let pool = kit::db::connect_and_migrate(
        &config.service.database_url,
        config.service.database_max_connections,
        &crate::MIGRATOR,
    )
    .await?;
    seed(&pool).await
}

pub async fn seed(pool: &PgPool) -> anyhow::Result<()> {
    for &(id, code, name, country) in WAREHOUSES {
        sqlx::query("INSERT INTO warehouses (id, code, name, country) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(Uuid::from_u128(id))
            .bind(code)
            .bind(name)
            .bind(country)
            .execute(pool)
            .await?;
    }
    let mut created = 0;
    for n in 0..demo::PRODUCT_COUNT {
        let product = demo::product_id(n).to_string();
        for (i, &(warehouse, ..)) in WAREHOUSES.iter().enumerate() {
            // Every seventh product is sold out, every fifth runs low.
            let on_hand = match n {
                n if n % 7 == 6 => 0,
                n if n % 5 == 4 => i as i32,
                n => 10 + ((n as i32 * 13 + i as i32 * 7) % 40),
            };
            let inserted = sqlx::query(
                "INSERT INTO stock_levels (product_id, warehouse_id, on_hand) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(&product)
            .bind(Uuid::from_u128(warehouse))
            .bind(on_hand)
            .execute(pool)
            .await?
            .rows_affected();
            if inserted == 1 && on_hand > 0 {
                sqlx::query("INSERT INTO stock_ledger (product_id, warehouse_id, delta, reason, actor) VALUES ($1, $2, $3, 'demo seed', 'seed')")
                    .bind(&product)
                    .bind(Uuid::from_u128(warehouse))
                    .bind(on_hand)
                    .execute(pool)
                    .await?;
            }
            created += inserted;
        }
    }
    tracing::info!(created, "inventory seed applied");
    Ok(())
}
