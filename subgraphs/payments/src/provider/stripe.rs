//! Stripe's REST API: PaymentIntents created and confirmed in one call
//! (3-D Secure leaves them `requires_action`, settled later by webhook),
//! Refunds, Customers and PaymentMethods (saved cards), form-encoded bodies, a bearer secret key and the
//! `Idempotency-Key` header on every write.

use std::time::Duration;

use serde::Deserialize;

use super::{Cancelled, Charge, Charged, ProviderError, SavedCard};

#[derive(Clone)]
pub struct Stripe {
    http: reqwest::Client,
    base_url: String,
    secret_key: String,
}

#[derive(Deserialize)]
struct Object {
    id: String,
    status: Option<String>,
    client_secret: Option<String>,
}

#[derive(Deserialize)]
struct PaymentMethod {
    id: String,
    card: Option<Card>,
}

#[derive(Deserialize)]
struct Card {
    brand: String,
    last4: String,
    exp_month: i32,
    exp_year: i32,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: StripeError,
}

#[derive(Deserialize)]
struct StripeError {
    #[serde(rename = "type")]
    kind: Option<String>,
    code: Option<String>,
    decline_code: Option<String>,
    message: Option<String>,
}

impl Stripe {
    pub fn new(base_url: impl Into<String>, secret_key: impl Into<String>) -> Self {
        let http =
            reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap_or_default();
        Self { http, base_url: base_url.into(), secret_key: secret_key.into() }
    }

    pub async fn charge(&self, charge: &Charge<'_>) -> Result<Charged, ProviderError> {
        let mut form = vec![
            ("amount", charge.amount.to_string()),
            ("currency", charge.currency.to_ascii_lowercase()),
            ("payment_method", charge.token.to_owned()),
            ("confirm", "true".to_owned()),
            ("automatic_payment_methods[enabled]", "true".to_owned()),
            ("automatic_payment_methods[allow_redirects]", "never".to_owned()),
        ];
        if let Some(customer) = charge.customer {
            form.push(("customer", customer.to_owned()));
        }
        let intent: Object =
            self.post("/v1/payment_intents", &form, charge.idempotency_key).await?;
        match intent.status.as_deref() {
            Some("succeeded") => Ok(Charged::Succeeded(intent.id)),
            Some("requires_action") => match intent.client_secret {
                Some(client_secret) => {
                    Ok(Charged::ActionRequired { reference: intent.id, client_secret })
                }
                None => {
                    Err(ProviderError::Transient("requires action without a client secret".into()))
                }
            },
            Some("processing") => Err(ProviderError::Transient("payment is processing".into())),
            other => Err(ProviderError::Declined(format!(
                "payment intent is {}",
                other.unwrap_or("unknown")
            ))),
        }
    }

    pub async fn refund(
        &self,
        reference: &str,
        amount: i64,
        idempotency_key: &str,
    ) -> Result<String, ProviderError> {
        let form = [("payment_intent", reference.to_owned()), ("amount", amount.to_string())];
        let refund: Object = self.post("/v1/refunds", &form, idempotency_key).await?;
        Ok(refund.id)
    }

    /// Cancels a PaymentIntent that waits for the customer. Stripe refuses
    /// to cancel one that has succeeded meanwhile: then it says so.
    pub async fn cancel(&self, reference: &str) -> Result<Cancelled, ProviderError> {
        let path = format!("/v1/payment_intents/{reference}/cancel");
        let key = format!("cancel-{reference}");
        match self.post::<Object>(&path, &[], &key).await {
            Ok(_) => Ok(Cancelled::Cancelled),
            Err(ProviderError::Declined(reason)) => {
                let intent: Object = self.get(&format!("/v1/payment_intents/{reference}")).await?;
                match intent.status.as_deref() {
                    Some("succeeded") => Ok(Cancelled::AlreadySucceeded),
                    Some("canceled") => Ok(Cancelled::Cancelled),
                    _ => Err(ProviderError::Declined(reason)),
                }
            }
            Err(transient) => Err(transient),
        }
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, ProviderError> {
        let response = self
            .http
            .get(format!("{}{path}", self.base_url.trim_end_matches('/')))
            .bearer_auth(&self.secret_key)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| ProviderError::Transient(format!("Stripe could not answer: {e}")))?;
        response
            .json()
            .await
            .map_err(|e| ProviderError::Transient(format!("unexpected Stripe answer: {e}")))
    }

    pub async fn create_customer(&self, idempotency_key: &str) -> Result<String, ProviderError> {
        let customer: Object = self.post("/v1/customers", &[], idempotency_key).await?;
        Ok(customer.id)
    }

    /// Attaches the PaymentMethod `token` to `customer`.
    pub async fn save_card(&self, customer: &str, token: &str) -> Result<SavedCard, ProviderError> {
        let path = format!("/v1/payment_methods/{token}/attach");
        let form = [("customer", customer.to_owned())];
        let key = format!("attach-{customer}-{token}");
        let method: PaymentMethod = self.post(&path, &form, &key).await?;
        let card =
            method.card.ok_or_else(|| ProviderError::Declined("only cards can be saved".into()))?;
        Ok(SavedCard {
            method: method.id,
            brand: card.brand,
            last4: card.last4,
            exp_month: card.exp_month,
            exp_year: card.exp_year,
        })
    }

    pub async fn remove_card(&self, method: &str) -> Result<(), ProviderError> {
        let path = format!("/v1/payment_methods/{method}/detach");
        let _: Object = self.post(&path, &[], &format!("detach-{method}")).await?;
        Ok(())
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        form: &[(&str, String)],
        idempotency_key: &str,
    ) -> Result<T, ProviderError> {
        let response = self
            .http
            .post(format!("{}{path}", self.base_url.trim_end_matches('/')))
            .bearer_auth(&self.secret_key)
            .header("Idempotency-Key", idempotency_key)
            .form(form)
            .send()
            .await
            .map_err(|e| ProviderError::Transient(format!("Stripe unreachable: {e}")))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| ProviderError::Transient(e.to_string()))?;
        if status.is_success() {
            return serde_json::from_str(&body)
                .map_err(|e| ProviderError::Transient(format!("unexpected Stripe answer: {e}")));
        }
        // 429 and 5xx may succeed later; 402 and other 4xx will not.
        let error = serde_json::from_str::<ErrorBody>(&body).ok().map(|b| b.error);
        if status.as_u16() == 429 || status.is_server_error() {
            return Err(ProviderError::Transient(format!("Stripe answered {status}")));
        }
        let reason = error
            .map(|e| {
                e.decline_code
                    .or(e.code)
                    .or(e.message)
                    .or(e.kind)
                    .unwrap_or_else(|| "declined".into())
                    .replace('_', " ")
            })
            .unwrap_or_else(|| format!("Stripe refused the request ({status})"));
        Err(ProviderError::Declined(reason))
    }
}
