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
    /// A one-time token, or a saved method's provider id.
    pub token: &'a str,
    /// The provider's customer a saved method is attached to.
    pub customer: Option<&'a str>,
    pub idempotency_key: &'a str,
}

/// A card saved with the provider: its reference, and what the customer
/// needs to recognise it. Never the card number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedCard {
    pub method: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: i32,
    pub exp_year: i32,
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

/// What cancelling a charge that waited for the customer found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// It can no longer be confirmed; nothing was taken.
    Cancelled,
    /// The customer confirmed first: the money was taken.
    AlreadySucceeded,
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

    /// Creates the provider's customer record for one of ours; the same
    /// `idempotency_key` gives the same customer.
    pub async fn create_customer(&self, idempotency_key: &str) -> Result<String, ProviderError> {
        match self {
            Self::Sandbox(p) => Ok(p.create_customer(idempotency_key)),
            Self::Stripe(p) => p.create_customer(idempotency_key).await,
        }
    }

    /// Saves the card behind `token` for the provider's `customer`.
    pub async fn save_card(&self, customer: &str, token: &str) -> Result<SavedCard, ProviderError> {
        match self {
            Self::Sandbox(p) => p.save_card(token),
            Self::Stripe(p) => p.save_card(customer, token).await,
        }
    }

    /// Forgets a saved card at the provider.
    pub async fn remove_card(&self, method: &str) -> Result<(), ProviderError> {
        match self {
            Self::Sandbox(_) => Ok(()),
            Self::Stripe(p) => p.remove_card(method).await,
        }
    }

    /// Cancels the charge `reference` that waits for the customer.
    pub async fn cancel(&self, reference: &str) -> Result<Cancelled, ProviderError> {
        match self {
            Self::Sandbox(_) => Ok(Cancelled::Cancelled),
            Self::Stripe(p) => p.cancel(reference).await,
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
