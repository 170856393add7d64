//! A provider for development and tests with Stripe's test tokens:
//! `tok_visa` succeeds, `tok_chargeDeclined` and `tok_insufficientFunds`
//! are declined, and `tok_transientTwice` fails transiently twice, then
//! succeeds. Like Stripe, it answers a repeated idempotency key with the
//! first answer, and it counts the charges it really made.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use super::{Charge, ProviderError};

#[derive(Clone, Default)]
pub struct Sandbox {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    /// idempotency key -> the answer given.
    answers: HashMap<String, Result<String, ProviderError>>,
    /// Transient failures served so far, per key.
    transient: HashMap<String, u32>,
    /// Charges made, by reference.
    charges: Vec<(String, i64)>,
    refunds: Vec<(String, i64)>,
}

impl Sandbox {
    pub async fn charge(&self, charge: &Charge<'_>) -> Result<String, ProviderError> {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(answer) = state.answers.get(charge.idempotency_key) {
            return answer.clone();
        }
        let answer = match charge.token {
            "tok_visa" => {
                let reference = format!("ch_sandbox_{}", state.charges.len() + 1);
                state.charges.push((reference.clone(), charge.amount));
                Ok(reference)
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
                let reference = format!("ch_sandbox_{}", state.charges.len() + 1);
                state.charges.push((reference.clone(), charge.amount));
                Ok(reference)
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
        if let Some(answer) = state.answers.get(idempotency_key) {
            return answer.clone();
        }
        let refund = format!("re_sandbox_{}", state.refunds.len() + 1);
        state.refunds.push((reference.to_owned(), amount));
        let answer = Ok(refund);
        state.answers.insert(idempotency_key.to_owned(), answer.clone());
        answer
    }

    /// Charges really made (not answers replayed).
    pub fn charges(&self) -> Vec<(String, i64)> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).charges.clone()
    }

    pub fn refunds(&self) -> Vec<(String, i64)> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).refunds.clone()
    }
}
