use kit::config::{ConfigError, ServiceConfig, var_opt, var_or};

pub const DEFAULT_PORT: u16 = 4006;

#[derive(Debug, Clone)]
pub struct PaymentsConfig {
    pub service: ServiceConfig,
    /// `STRIPE_SECRET_KEY`: when set, payments go to Stripe; otherwise to
    /// the sandbox provider.
    pub stripe_secret_key: Option<String>,
    /// `STRIPE_API_BASE`, default `https://api.stripe.com`.
    pub stripe_api_base: String,
    /// `PAYMENT_MAX_ATTEMPTS`, default 4: tries per charge on transient
    /// failures, with exponential backoff and jitter.
    pub max_attempts: u32,
    /// `PAYMENT_RETRY_BASE_MS`, default 200.
    pub retry_base_ms: u64,
    /// `STRIPE_WEBHOOK_SECRET`: the webhook endpoint's signing secret
    /// (`whsec_…`), or two separated by a comma while rolling it. Without
    /// one, `POST /webhooks/stripe` is not served.
    pub stripe_webhook_secrets: Vec<String>,
    /// `STRIPE_WEBHOOK_TOLERANCE_SECS`, default 300: how old a signature
    /// may be.
    pub stripe_webhook_tolerance_secs: i64,
}

impl PaymentsConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            service: ServiceConfig::from_env("payments", DEFAULT_PORT)?,
            stripe_secret_key: var_opt("STRIPE_SECRET_KEY")?,
            stripe_api_base: var_or("STRIPE_API_BASE", "https://api.stripe.com".into())?,
            max_attempts: var_or("PAYMENT_MAX_ATTEMPTS", 4)?,
            retry_base_ms: var_or("PAYMENT_RETRY_BASE_MS", 200)?,
            stripe_webhook_secrets: var_opt::<String>("STRIPE_WEBHOOK_SECRET")?
                .map(|secrets| {
                    secrets
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            stripe_webhook_tolerance_secs: var_or(
                "STRIPE_WEBHOOK_TOLERANCE_SECS",
                crate::webhooks::DEFAULT_TOLERANCE_SECS,
            )?,
        })
    }
}
