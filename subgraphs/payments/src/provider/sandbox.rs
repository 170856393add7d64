//! A provider for development and tests with Stripe's test tokens:
//! `tok_visa` succeeds, `tok_chargeDeclined` and `tok_insufficientFunds`
//! are declined, and `tok_transientTwice` fails transiently twice, then
//! succeeds; `tok_threeDSecureRequired` needs the customer's action and is
//! settled by a webhook (`crate::webhooks`), as Stripe does it. Like Stripe, it answers a repeated idempotency key with the
//! first answer, and it counts the charges it really made.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use super::{Charge, Charged, ProviderError, SavedCard};

#[derive(Clone, Default)]
pub struct Sandbox {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    /// idempotency key -> the answer given.
    answers: HashMap<String, Result<Charged, ProviderError>>,
    /// Transient failures served so far, per key.
    transient: HashMap<String, u32>,
    /// Charges made, by reference.
    charges: Vec<(String, i64)>,
    refunds: Vec<(String, i64)>,
    /// idempotency key -> the refund made.
    refund_answers: HashMap<String, String>,
    /// idempotency key -> the customer created.
    customers: HashMap<String, String>,
}

impl State {
    /// Records a captured charge; its reference.
    fn capture(&mut self, amount: i64) -> String {
        let reference = format!("ch_sandbox_{}", self.charges.len() + 1);
        self.charges.push((reference.clone(), amount));
        reference
    }
}

impl Sandbox {
    pub async fn charge(&self, charge: &Charge<'_>) -> Result<Charged, ProviderError> {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(answer) = state.answers.get(charge.idempotency_key) {
            return answer.clone();
        }
        let answer = match charge.token {
            "tok_visa" => Ok(Charged::Succeeded(state.capture(charge.amount))),
            "tok_threeDSecureRequired" => {
                let reference = format!("pi_sandbox_{}", state.answers.len() + 1);
                let client_secret = format!("{reference}_secret_{}", uuid::Uuid::new_v4().simple());
                Ok(Charged::ActionRequired { reference, client_secret })
            }
            "tok_chargeDeclined" => Err(ProviderError::Declined("card declined".into())),
            "tok_insufficientFunds" => Err(ProviderError::Declined("insufficient funds".into())),
            "tok_transientTwice" => {
                let failures =
                    state.transient.entry(charge.idempotency_key.to_owned()).or_default();
                if *failures < 2 {
                    *failures += 1;
                    // Transient answers are not remembered: a retry may succeed.
                    return Err(ProviderError::Transient(
                        "processor temporarily unavailable".into(),
                    ));
                }
                Ok(Charged::Succeeded(state.capture(charge.amount)))
            }
            _ => Err(ProviderError::Declined("unknown payment token".into())),
        };
        state.answers.insert(charge.idempotency_key.to_owned(), answer.clone());
        answer
    }

    pub async fn refund(
        &self,
        reference: &str,
        amount: i64,
        idempotency_key: &str,
    ) -> Result<String, ProviderError> {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(refund) = state.refund_answers.get(idempotency_key) {
            return Ok(refund.clone());
        }
        let refund = format!("re_sandbox_{}", state.refunds.len() + 1);
        state.refunds.push((reference.to_owned(), amount));
        state.refund_answers.insert(idempotency_key.to_owned(), refund.clone());
        Ok(refund)
    }

    pub fn create_customer(&self, idempotency_key: &str) -> String {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let next = state.customers.len() + 1;
        state
            .customers
            .entry(idempotency_key.to_owned())
            .or_insert_with(|| format!("cus_sandbox_{next}"))
            .clone()
    }

    /// The card behind a test token (Stripe's test card numbers' last
    /// digits); the token itself stands for the saved method.
    pub fn save_card(&self, token: &str) -> Result<SavedCard, ProviderError> {
        let last4 = match token {
            "tok_visa" | "tok_transientTwice" => "4242",
            "tok_chargeDeclined" => "0002",
            "tok_insufficientFunds" => "9995",
            "tok_threeDSecureRequired" => "3220",
            _ => return Err(ProviderError::Declined("unknown payment token".into())),
        };
        Ok(SavedCard {
            method: token.to_owned(),
            brand: "visa".into(),
            last4: last4.into(),
            exp_month: 12,
            exp_year: 2034,
        })
    }

    /// Charges really made (not answers replayed).
    pub fn charges(&self) -> Vec<(String, i64)> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).charges.clone()
    }

    pub fn refunds(&self) -> Vec<(String, i64)> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).refunds.clone()
    }
}
