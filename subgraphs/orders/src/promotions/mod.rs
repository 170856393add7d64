//! Promotions: sale prices and discount codes.
//!
//! They live in orders, not in a subgraph of their own, because a code's
//! use must be counted exactly once per order: here it is counted in the
//! very transaction that places the order (under a lock on the code, so
//! its limits hold against any number of racing checkouts and instances),
//! and given back by the `order.status_changed` event that cancels or fails
//! it. A separate service would need a reservation protocol for the same.

pub mod events;
pub mod pricing;
pub mod repository;

use chrono::Utc;
use kit::{AppError, AppResult};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use self::{
    pricing::{CodeProblem, CodeTerms, Product, Quote, Reward, Sale},
    repository::{CodeRow, PromotionRow},
};

/// Discount codes are short, typed in by people: letters, digits, `-`, `_`.
pub fn normalize_code(text: &str) -> AppResult<String> {
    let code = text.trim().to_ascii_uppercase();
    let valid = (1..=40).contains(&code.len())
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(code)
    } else {
        Err(AppError::bad_input("a discount code is 1-40 letters, digits, `-` or `_`"))
    }
}

pub fn reward(reward_type: &str, value: i64) -> Reward {
    match reward_type {
        "PERCENTAGE" => Reward::Percentage(value),
        "FIXED_AMOUNT" => Reward::FixedAmount(value),
        _ => Reward::FreeShipping,
    }
}

pub fn sale(row: PromotionRow) -> Sale {
    Sale {
        id: row.id,
        reward: reward(&row.reward_type, row.reward_value),
        name: row.name,
        currency: row.currency,
        product_ids: row.product_ids,
        category_ids: row.category_ids,
        tags: row.tags,
    }
}

fn terms(row: &CodeRow) -> CodeTerms {
    CodeTerms {
        id: row.id,
        code: row.code.clone(),
        reward: reward(&row.reward_type, row.reward_value),
        currency: row.currency.clone(),
        minimum_subtotal: row.minimum_subtotal,
        applies_to_sale_items: row.applies_to_sale_items,
    }
}

/// Whether `customer`, who holds `customer_uses` uses of it, may use the
/// code now.
fn usable(row: &CodeRow, customer_uses: i64) -> Result<(), CodeProblem> {
    let now = Utc::now();
    let code = &row.code;
    if !row.enabled {
        return Err(CodeProblem(format!("code {code} is not valid")));
    }
    if row.starts_at.is_some_and(|t| now < t) {
        return Err(CodeProblem(format!("code {code} is not valid yet")));
    }
    if row.ends_at.is_some_and(|t| now >= t) {
        return Err(CodeProblem(format!("code {code} has expired")));
    }
    if row.usage_limit.is_some_and(|limit| row.times_used >= limit) {
        return Err(CodeProblem(format!("code {code} has been used up")));
    }
    if row.usage_limit_per_customer.is_some_and(|limit| customer_uses >= i64::from(limit)) {
        return Err(CodeProblem(format!("you have already used code {code}")));
    }
    Ok(())
}

#[derive(Clone)]
pub struct Promotions {
    pub pool: PgPool,
}

impl Promotions {
    /// The sales running now.
    pub async fn sales(&self) -> AppResult<Vec<Sale>> {
        let rows = repository::active_sales(&self.pool, Utc::now()).await?;
        Ok(rows.into_iter().map(sale).collect())
    }

    /// Prices a cart's products for `customer`. A code that gives nothing
    /// (unknown, expired, used up, minimum not met …) is left out of the
    /// quote and reported as the problem beside it.
    pub async fn quote(
        &self,
        customer: Uuid,
        currency: &str,
        products: Vec<(Product, i32)>,
        code: Option<&str>,
    ) -> AppResult<(Quote, Option<CodeProblem>)> {
        let sales = self.sales().await?;
        let terms = match code {
            Some(code) => Some(self.terms_for(customer, code).await?),
            None => None,
        };
        let problem = match terms {
            Some(Ok(terms)) => {
                match pricing::quote(currency, products.clone(), &sales, Some(&terms)) {
                    Ok(quote) => return Ok((quote, None)),
                    Err(problem) => Some(problem),
                }
            }
            Some(Err(problem)) => Some(problem),
            None => None,
        };
        let quote = pricing::quote(currency, products, &sales, None)
            .map_err(|p| AppError::internal(anyhow::anyhow!("priced without a code: {p:?}")))?;
        Ok((quote, problem))
    }

    async fn terms_for(
        &self,
        customer: Uuid,
        code: &str,
    ) -> AppResult<Result<CodeTerms, CodeProblem>> {
        let Some(row) = repository::code_by_code(&self.pool, code).await? else {
            return Ok(Err(CodeProblem(format!("code {code} is not valid"))));
        };
        let uses = repository::customer_uses(&self.pool, row.id, customer).await?;
        Ok(usable(&row, uses).map(|()| terms(&row)))
    }

    /// Counts the quote's code as used by `order`, inside the transaction
    /// that places it. The code is locked and checked again: between the
    /// quote and now, other checkouts may have used it up.
    pub async fn redeem(
        conn: &mut PgConnection,
        quote: &Quote,
        order: Uuid,
        customer: Uuid,
        amount: i64,
    ) -> AppResult<()> {
        let Some(code) = &quote.code else { return Ok(()) };
        let row = repository::lock_code(conn, code.id)
            .await?
            .ok_or_else(|| AppError::bad_input(format!("code {} is not valid", code.code)))?;
        let uses = repository::customer_uses(&mut *conn, row.id, customer).await?;
        usable(&row, uses).map_err(|p| AppError::bad_input(p.0))?;
        repository::redeem(conn, row.id, order, customer, amount).await?;
        Ok(())
    }
}
