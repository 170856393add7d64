//! The cart subgraph's `Cart`, with what promotions take off it. The lines
//! are read from the cart subgraph as the caller, so only the owner or an
//! admin sees them; pricing is the same as checkout's.

use async_graphql::{Context, ID, Object, Result};
use kit::{
    AppError, AppResult,
    auth::{Authorization, ContextAuthExt, SignedIn},
    money::Money,
};
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::types::AppliedPromotion;
use crate::{
    checkout::Checkout,
    promotions::{
        self,
        pricing::{CodeProblem, Quote},
        repository::{self, AppliedRow},
    },
};

struct Priced {
    /// The list-price subtotal the cart subgraph shows.
    list_subtotal: i64,
    quote: Quote,
    code: Option<String>,
    problem: Option<CodeProblem>,
}

pub struct Cart {
    pub id: ID,
    priced: OnceCell<Priced>,
}

impl Cart {
    pub fn of(customer: impl ToString) -> Self {
        Self { id: ID(customer.to_string()), priced: OnceCell::new() }
    }

    async fn priced(&self, ctx: &Context<'_>) -> Result<&Priced> {
        Ok(self.priced.get_or_try_init(|| price(ctx, &self.id, None)).await?)
    }
}

/// Prices the cart with its applied code, or with `candidate` instead.
async fn price(ctx: &Context<'_>, id: &ID, candidate: Option<String>) -> AppResult<Priced> {
    let customer = Uuid::parse_str(id).map_err(|_| AppError::not_found("cart not found"))?;
    ctx.owner_or_admin(customer, "cart")?;
    let checkout = ctx.data_unchecked::<Checkout>();
    let authorization = ctx.data_opt::<Authorization>().map(|a| a.0.as_str()).unwrap_or_default();
    let lines = checkout.upstream.cart_of(authorization, customer).await?;
    let ids: Vec<String> = lines.iter().map(|(id, _)| id.clone()).collect();
    let mut products = checkout.upstream.products(&ids).await?;
    // Like the cart subgraph, lines whose product is gone are left out.
    let lines: Vec<_> =
        lines.into_iter().filter_map(|(id, q)| products.remove(&id).map(|p| (p, q))).collect();
    let currency = lines.first().map(|(p, _)| p.currency.clone()).unwrap_or_else(|| "USD".into());
    if lines.iter().any(|(p, _)| p.currency != currency) {
        return Err(AppError::conflict("the cart holds prices in several currencies"));
    }
    let list_subtotal = lines.iter().map(|(p, q)| p.price * i64::from(*q)).sum();
    let code = match candidate {
        Some(code) => Some(code),
        None => repository::cart_code(&checkout.pool, customer).await?,
    };
    let (quote, problem) =
        checkout.promotions.quote(customer, &currency, lines, code.as_deref()).await?;
    Ok(Priced { list_subtotal, quote, code, problem })
}

#[Object]
impl Cart {
    /// The customer's id.
    async fn id(&self) -> &ID {
        &self.id
    }

    /// Taken off `subtotal` (list prices) by sale prices and the applied
    /// code. Shipping is priced at checkout, so free shipping shows there.
    async fn discount(&self, ctx: &Context<'_>) -> Result<Money> {
        let priced = self.priced(ctx).await?;
        let amount =
            priced.list_subtotal - priced.quote.subtotal + priced.quote.merchandise_discount();
        Ok(Money { amount, currency: priced.quote.currency.clone() })
    }

    /// `subtotal` less `discount`: what the items cost, before shipping.
    async fn total(&self, ctx: &Context<'_>) -> Result<Money> {
        let priced = self.priced(ctx).await?;
        let amount = priced.quote.subtotal - priced.quote.merchandise_discount();
        Ok(Money { amount, currency: priced.quote.currency.clone() })
    }

    /// The discount code applied with `applyDiscountCode`, if any.
    async fn applied_code(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(self.priced(ctx).await?.code.clone())
    }

    /// Why the applied code takes nothing off now (expired, used up,
    /// minimum not met …); null when it applies or there is none.
    /// Checkout refuses such a code until it is removed.
    async fn discount_notice(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(self.priced(ctx).await?.problem.as_ref().map(|p| p.0.clone()))
    }

    /// Each sale and the code, with what it takes off.
    async fn applied_promotions(&self, ctx: &Context<'_>) -> Result<Vec<AppliedPromotion>> {
        let priced = self.priced(ctx).await?;
        let quote = &priced.quote;
        let applied = |kind: &str, source_id, name, amount| AppliedPromotion {
            row: AppliedRow { order_id: Uuid::nil(), kind: kind.into(), source_id, name, amount },
            currency: quote.currency.clone(),
        };
        let mut list: Vec<_> = quote
            .sale_savings()
            .into_iter()
            .map(|(id, name, amount)| applied("SALE", id, name, amount))
            .collect();
        if let Some(code) = &quote.code {
            list.push(applied("DISCOUNT_CODE", code.id, code.code.clone(), code.merchandise));
        }
        Ok(list)
    }
}

#[derive(Default)]
pub struct CartDiscountMutation;

#[Object]
impl CartDiscountMutation {
    /// Applies a discount code to the signed-in customer's cart, replacing
    /// any other (one code per order). A code that would take nothing off
    /// this cart is BAD_USER_INPUT, with the reason.
    #[graphql(guard = "SignedIn", directive = kit::directives::authenticated::apply())]
    async fn apply_discount_code(&self, ctx: &Context<'_>, code: String) -> Result<Cart> {
        let customer = ctx.viewer()?.user_id;
        let code = promotions::normalize_code(&code)?;
        let id = ID(customer.to_string());
        let priced = price(ctx, &id, Some(code.clone())).await?;
        if let Some(problem) = priced.problem {
            return Err(AppError::bad_input(problem.0).into());
        }
        let pool = &ctx.data_unchecked::<Checkout>().pool;
        repository::set_cart_code(pool, customer, Some(&code)).await.map_err(AppError::from)?;
        Ok(Cart { id, priced: OnceCell::new_with(Some(priced)) })
    }

    #[graphql(guard = "SignedIn", directive = kit::directives::authenticated::apply())]
    async fn remove_discount_code(&self, ctx: &Context<'_>) -> Result<Cart> {
        let customer = ctx.viewer()?.user_id;
        let pool = &ctx.data_unchecked::<Checkout>().pool;
        repository::set_cart_code(pool, customer, None).await.map_err(AppError::from)?;
        Ok(Cart::of(customer))
    }
}
