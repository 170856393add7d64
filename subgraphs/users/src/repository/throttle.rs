//! Failed-login bookkeeping for throttling.

use std::time::Duration;

use sqlx::PgExecutor;

fn seconds(window: Duration) -> f64 {
    window.as_secs_f64()
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn recent_failures(
    db: impl PgExecutor<'_>,
    email: &str,
    window: Duration,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM login_failures
         WHERE email = $1 AND attempted_at > now() - make_interval(secs => $2)",
    )
    .bind(email)
    .bind(seconds(window))
    .fetch_one(db)
    .await
}

/// Records a failure and prunes this email's rows that fell out of the window.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn record_failure(
    db: impl PgExecutor<'_>,
    email: &str,
    window: Duration,
) -> sqlx::Result<()> {
    sqlx::query(
        "WITH pruned AS (
             DELETE FROM login_failures
             WHERE email = $1 AND attempted_at <= now() - make_interval(secs => $2)
         )
         INSERT INTO login_failures (email) VALUES ($1)",
    )
    .bind(email)
    .bind(seconds(window))
    .execute(db)
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn clear(db: impl PgExecutor<'_>, email: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE email = $1").bind(email).execute(db).await?;
    Ok(())
}
