//! The router's live state: the current supergraph, swapped whole when the
//! file changes, and the settings requests need.

use std::{
    path::PathBuf,
    sync::{Arc, RwLock},
    time::{Duration, SystemTime},
};

use axum::http::HeaderName;
use tokio_util::sync::CancellationToken;

use crate::{
    admission::{auth::Authenticator, persisted::PersistedQueries, rate_limit::RateLimiter},
    config::RouterConfig,
    observability::RouterMetrics,
    subscriptions::UpstreamPool,
    supergraph::Supergraph,
};

pub struct RouterState {
    pub config: RouterConfig,
    pub forward_headers: Vec<HeaderName>,
    pub persisted: PersistedQueries,
    pub authenticator: Arc<Authenticator>,
    pub rate_limiter: RateLimiter,
    pub metrics: Arc<RouterMetrics>,
    /// Upstream subscription connections, kept across supergraph reloads.
    pub upstreams: Arc<UpstreamPool>,
    current: RwLock<Arc<Supergraph>>,
}

impl RouterState {
    pub fn new(
        config: RouterConfig,
        supergraph: Supergraph,
        metrics: Arc<RouterMetrics>,
    ) -> anyhow::Result<Self> {
        let mut forward_headers: Vec<HeaderName> = config
            .forward_headers
            .iter()
            .map(|h| {
                HeaderName::try_from(h.as_str())
                    .map_err(|e| anyhow::anyhow!("forward header `{h}`: {e}"))
            })
            .collect::<anyhow::Result<_>>()?;
        let persisted = PersistedQueries::new(config.persisted.clone())?;
        let authenticator = Arc::new(Authenticator::new(config.auth.clone())?);
        let rate_limiter = RateLimiter::new(config.rate_limit.clone())?;
        // The verified claims go to the subgraphs.
        if let Some(name) = authenticator.claims_header()
            && !forward_headers.contains(name)
        {
            forward_headers.push(name.clone());
        }
        let upstreams = Arc::new(UpstreamPool::new(config.subscriptions.pool_settings()));
        Ok(Self {
            upstreams,
            config,
            forward_headers,
            persisted,
            authenticator,
            rate_limiter,
            metrics,
            current: RwLock::new(Arc::new(supergraph)),
        })
    }

    pub fn current(&self) -> Arc<Supergraph> {
        self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    fn replace(&self, supergraph: Supergraph) {
        *self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner) =
            Arc::new(supergraph);
    }

    /// Watches the supergraph file and swaps in each valid new version; an
    /// invalid one is logged and the running schema stays.
    pub async fn watch(self: Arc<Self>, path: PathBuf, shutdown: CancellationToken) {
        let interval = Duration::from_millis(self.config.reload_interval_ms.max(50));
        let mut last = modified(&path);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(interval) => {}
            }
            let now = modified(&path);
            if now == last {
                continue;
            }
            last = now;
            let loaded = std::fs::read_to_string(&path)
                .map_err(anyhow::Error::from)
                .and_then(|sdl| Supergraph::load(&sdl, &self.config, &self.metrics));
            match loaded {
                Ok(supergraph) => {
                    self.replace(supergraph);
                    tracing::info!(path = %path.display(), "supergraph reloaded");
                }
                Err(e) => {
                    tracing::error!(path = %path.display(), error = %format!("{e:#}"), "new supergraph rejected; keeping the current one")
                }
            }
        }
    }
}

fn modified(path: &PathBuf) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}
