//! PostgreSQL setup shared by the services that use it.
//!
//! Each service owns one database, `shopgraph_<service>`, created on first
//! start. Two migration sets run against it: the kit's own (the outbox and the
//! processed-events table that the event backbone needs) and the service's
//! `migrations/<service>` directory. Both share sqlx's bookkeeping table, so
//! each migrator ignores the other's rows; their version ranges never meet
//! (the kit uses small integers, services use timestamps).

use std::{str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::{
    Connection, PgConnection, PgPool,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
};

static KIT_MIGRATOR: Migrator = sqlx::migrate!("../migrations/kit");

/// Creates the database if needed, opens a pool and runs all migrations.
pub async fn connect_and_migrate(
    url: &str,
    max_connections: u32,
    service_migrations: &Migrator,
) -> anyhow::Result<PgPool> {
    let options = PgConnectOptions::from_str(url)
        .with_context(|| format!("invalid database URL for {}", redact(url)))?;
    ensure_database_exists(&options).await?;
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .with_context(|| format!("connecting to {}", redact(url)))?;
    migrate(&pool, service_migrations).await?;
    Ok(pool)
}

/// Runs the kit's migrations, then the service's.
pub async fn migrate(pool: &PgPool, service_migrations: &Migrator) -> anyhow::Result<()> {
    for migrator in [&KIT_MIGRATOR, service_migrations] {
        let mut migrator =
            Migrator { migrations: migrator.migrations.clone(), ..Migrator::DEFAULT };
        migrator.set_ignore_missing(true);
        migrator.run(pool).await.context("running migrations")?;
    }
    Ok(())
}

async fn ensure_database_exists(options: &PgConnectOptions) -> anyhow::Result<()> {
    let Some(name) = options.get_database().map(str::to_owned) else {
        return Ok(());
    };
    let mut admin = PgConnection::connect_with(&options.clone().database("postgres"))
        .await
        .context("connecting to the `postgres` database to create the service database")?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut admin)
            .await?;
    if !exists {
        let create = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
        match sqlx::query(&create).execute(&mut admin).await {
            Ok(_) => tracing::info!(database = %name, "created database"),
            // Another instance won the race; that is fine.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => {}
            Err(e) => return Err(e).context("creating the service database"),
        }
    }
    admin.close().await.ok();
    Ok(())
}

/// Hides a password in a connection URL before it is logged.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(redact("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
