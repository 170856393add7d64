//! Money in minor units with an ISO 4217 currency; never floats.

use async_graphql::{InputObject, SimpleObject};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// (code, minor-unit digits, symbol). The currencies Shopgraph accepts.
const CURRENCIES: &[(&str, u32, &str)] = &[
    ("USD", 2, "$"),
    ("EUR", 2, "€"),
    ("GBP", 2, "£"),
    ("JPY", 0, "¥"),
    ("CHF", 2, "CHF "),
    ("CAD", 2, "CA$"),
    ("AUD", 2, "A$"),
    ("SEK", 2, "SEK "),
    ("NOK", 2, "NOK "),
    ("DKK", 2, "DKK "),
    ("PLN", 2, "PLN "),
    ("CZK", 2, "CZK "),
    ("INR", 2, "₹"),
    ("CNY", 2, "CN¥"),
    ("BRL", 2, "R$"),
    ("MXN", 2, "MX$"),
    ("NZD", 2, "NZ$"),
    ("SGD", 2, "SGD "),
    ("HKD", 2, "HK$"),
    ("KRW", 0, "₩"),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, SimpleObject)]
#[graphql(shareable, complex)]
pub struct Money {
    /// Minor units: cents for USD, yen for JPY.
    pub amount: i64,
    /// ISO 4217.
    pub currency: String,
}

#[async_graphql::ComplexObject]
impl Money {
    /// For display, e.g. `$8.99`.
    #[graphql(shareable)]
    async fn formatted(&self) -> String {
        self.format()
    }
}

#[derive(Debug, Clone, InputObject)]
pub struct MoneyInput {
    pub amount: i64,
    pub currency: String,
}

impl Money {
    /// Validates an amount (>= 0) and an accepted ISO currency.
    pub fn parse(input: &MoneyInput) -> Result<Self, AppError> {
        if input.amount < 0 {
            return Err(AppError::bad_input("price must not be negative"));
        }
        let currency = input.currency.trim().to_ascii_uppercase();
        if !CURRENCIES.iter().any(|(code, _, _)| *code == currency) {
            return Err(AppError::bad_input(format!(
                "`{}` is not a supported ISO 4217 currency",
                input.currency.trim()
            )));
        }
        Ok(Self { amount: input.amount, currency })
    }

    pub fn format(&self) -> String {
        let (digits, symbol) = CURRENCIES
            .iter()
            .find(|(code, _, _)| *code == self.currency)
            .map_or((2, ""), |(_, digits, symbol)| (*digits, *symbol));
        let sign = if self.amount < 0 { "-" } else { "" };
        let amount = self.amount.unsigned_abs();
        let body = if digits == 0 {
            group(amount)
        } else {
            let scale = 10u64.pow(digits);
            format!("{}.{:0width$}", group(amount / scale), amount % scale, width = digits as usize)
        };
        if symbol.is_empty() {
            format!("{sign}{body} {}", self.currency)
        } else {
            format!("{sign}{symbol}{body}")
        }
    }
}

/// 1234567 -> "1,234,567".
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(amount: i64, currency: &str) -> Money {
        Money { amount, currency: currency.into() }
    }

    #[test]
    fn formats_with_minor_units_and_grouping() {
        assert_eq!(money(899, "USD").format(), "$8.99");
        assert_eq!(money(123_456_789, "EUR").format(), "€1,234,567.89");
        assert_eq!(money(1500, "JPY").format(), "¥1,500");
        assert_eq!(money(5, "GBP").format(), "£0.05");
    }

    #[test]
    fn rejects_negative_amounts_and_unknown_currencies() {
        assert!(Money::parse(&MoneyInput { amount: -1, currency: "USD".into() }).is_err());
        assert!(Money::parse(&MoneyInput { amount: 1, currency: "XYZ".into() }).is_err());
        assert_eq!(
            Money::parse(&MoneyInput { amount: 1, currency: " usd ".into() }).ok(),
            Some(money(1, "USD"))
        );
    }
}
