//! The transactional outbox and its relay.

use std::time::Duration;

use sqlx::{PgConnection, PgPool, postgres::PgListener};
use tokio_util::sync::CancellationToken;

use super::{Broker, Envelope, Publisher};

/// The NOTIFY channel that wakes the relay as soon as an event commits.
const WAKE_CHANNEL: &str = "shopgraph_outbox";
const BATCH_SIZE: i64 = 100;
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Published rows are kept this long for debugging, then deleted.
const RETENTION: &str = "7 days";

/// Records `envelope` in the outbox. Call it inside the transaction that makes
/// the change the event describes: they commit together or not at all.
pub async fn enqueue(conn: &mut PgConnection, envelope: &Envelope) -> sqlx::Result<()> {
    let payload = serde_json::to_value(envelope).map_err(|e| sqlx::Error::Encode(e.into()))?;
    sqlx::query("INSERT INTO outbox (event_id, routing_key, envelope) VALUES ($1, $2, $3)")
        .bind(envelope.id)
        .bind(&envelope.event_type)
        .bind(payload)
        .execute(&mut *conn)
        .await?;
    // Delivered at commit, and only if the transaction commits.
    sqlx::query("SELECT pg_notify($1, '')").bind(WAKE_CHANNEL).execute(&mut *conn).await?;
    Ok(())
}

/// Publishes committed outbox rows, in order, until cancelled.
pub struct OutboxRelay {
    /// The service whose outbox this is, for the metrics.
    service: &'static str,
    pool: PgPool,
    broker: Broker,
}

/// How often the relay samples the backlog and the pool for `/metrics`.
const SAMPLE_EVERY: Duration = Duration::from_secs(5);

impl OutboxRelay {
    pub fn new(service: &'static str, pool: PgPool, broker: Broker) -> Self {
        Self { service, pool, broker }
    }

    /// Records the backlog, the age of its oldest row and the pool's
    /// connections (one indexed query; the relay is the one loop every
    /// PostgreSQL service runs anyway).
    async fn sample(&self) {
        let backlog: sqlx::Result<(i64, f64)> = sqlx::query_as(
            "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at))::float8, 0)
             FROM outbox WHERE published_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await;
        match backlog {
            Ok((rows, age)) => crate::metrics::metrics().outbox(self.service, rows, age),
            Err(e) => tracing::debug!(error = %e, "could not sample the outbox"),
        }
        crate::metrics::metrics().db_pool(self.service, &self.pool);
    }

    pub async fn run(self, shutdown: CancellationToken) {
        let poll = self.broker.config().outbox_poll;
        let mut listener = self.listen().await;
        let mut publisher = Publisher::new(self.broker.clone());
        let mut backoff = Duration::from_millis(100);
        let mut last_cleanup = tokio::time::Instant::now();
        let mut last_sample: Option<tokio::time::Instant> = None;
        while !shutdown.is_cancelled() {
            if last_sample.is_none_or(|at| at.elapsed() >= SAMPLE_EVERY) {
                self.sample().await;
                last_sample = Some(tokio::time::Instant::now());
            }
            match self.publish_batch(&mut publisher).await {
                // A full batch: there may be more waiting right away.
                Ok(n) if n as i64 == BATCH_SIZE => continue,
                Ok(_) => backoff = Duration::from_millis(100),
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "outbox relay could not publish; will retry");
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            }
            if last_cleanup.elapsed() > Duration::from_secs(3600) {
                self.delete_old_rows().await;
                last_cleanup = tokio::time::Instant::now();
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = wait_for_wake(&mut listener, poll) => {}
            }
        }
        tracing::debug!("outbox relay stopped");
    }

    /// Publishes up to one batch. Rows are locked for the duration, so
    /// several relays (several instances of a service) never publish the
    /// same row concurrently; they are marked sent only after the broker
    /// confirmed every message, so a failure leaves them for the next try.
    pub async fn publish_batch(&self, publisher: &mut Publisher) -> anyhow::Result<usize> {
        let mut tx = self.pool.begin().await?;
        let rows: Vec<(i64, serde_json::Value)> = sqlx::query_as(
            "SELECT seq, envelope FROM outbox
             WHERE published_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(BATCH_SIZE)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let seqs: Vec<i64> = rows.iter().map(|(seq, _)| *seq).collect();
        let envelopes = rows
            .into_iter()
            .map(|(_, envelope)| serde_json::from_value::<Envelope>(envelope))
            .collect::<Result<Vec<_>, _>>()?;
        if let Err(e) = publisher.publish(&envelopes).await {
            // Count the attempt (for operators) in the same transaction that
            // holds the row locks; the rows stay unpublished.
            sqlx::query("UPDATE outbox SET attempts = attempts + 1 WHERE seq = ANY($1)")
                .bind(&seqs)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Err(e);
        }
        sqlx::query(
            "UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE seq = ANY($1)",
        )
        .bind(&seqs)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        for envelope in &envelopes {
            let status = envelope.data.get("status").and_then(serde_json::Value::as_str);
            crate::metrics::metrics().event_published(&envelope.event_type, status);
        }
        Ok(envelopes.len())
    }

    async fn listen(&self) -> Option<PgListener> {
        let mut listener = PgListener::connect_with(&self.pool).await.ok()?;
        listener.listen(WAKE_CHANNEL).await.ok()?;
        Some(listener)
    }

    async fn delete_old_rows(&self) {
        let sql = format!("DELETE FROM outbox WHERE published_at < now() - interval '{RETENTION}'");
        if let Err(e) = sqlx::query(&sql).execute(&self.pool).await {
            tracing::warn!(error = %e, "could not prune the outbox");
        }
    }
}

/// Waits for a NOTIFY or the poll interval, whichever comes first. Polling
/// covers a lost listener connection and rows left by a failed attempt.
async fn wait_for_wake(listener: &mut Option<PgListener>, poll: Duration) {
    match listener {
        Some(l) => {
            if let Ok(Err(_)) = tokio::time::timeout(poll, l.recv()).await {
                // The listener lost its connection; poll while it reconnects.
                tokio::time::sleep(poll).await;
            }
        }
        None => tokio::time::sleep(poll).await,
    }
}
