//! Payment providers. Every call carries an idempotency key, so retrying a
//! call that may have gone through (a timeout, a crash before we recorded
//! the answer) can never charge twice.

mod sandbox;
mod stripe;

pub use sandbox::Sandbox;
pub use stripe::Stripe;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge<'a> {
    pub amount: i64,
    pub currency: &'a str,
    pub token: &'a str,
    pub idempotency_key: &'a str,
}

/// A charge the provider accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Charged {
    /// Captured; the provider's reference for it.
    Succeeded(String),
    /// The card's bank wants the customer to confirm (3-D Secure): the
    /// customer's browser completes it with `client_secret`, and the
    /// outcome arrives later, by webhook.
    ActionRequired { reference: String, client_secret: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The card was refused; retrying will not help.
    #[error("{0}")]
    Declined(String),
    /// The provider could not answer now; retrying may.
    #[error("transient provider failure: {0}")]
    Transient(String),
}

/// The configured provider.
#[derive(Clone)]
pub enum Provider {
    Sandbox(Sandbox),
    Stripe(Stripe),
}

impl Provider {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sandbox(_) => "sandbox",
            Self::Stripe(_) => "stripe",
        }
    }

    pub async fn charge(&self, charge: &Charge<'_>) -> Result<Charged, ProviderError> {
        match self {
            Self::Sandbox(p) => p.charge(charge).await,
            Self::Stripe(p) => p.charge(charge).await,
        }
    }

    /// Refunds `amount` of the charge `reference`; returns the refund's
    /// reference.
    pub async fn refund(
        &self,
        reference: &str,
        amount: i64,
        idempotency_key: &str,
    ) -> Result<String, ProviderError> {
        match self {
            Self::Sandbox(p) => p.refund(reference, amount, idempotency_key).await,
            Self::Stripe(p) => p.refund(reference, amount, idempotency_key).await,
        }
    }
}
