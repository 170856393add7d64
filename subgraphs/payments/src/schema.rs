//! The payments subgraph's GraphQL surface.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    ComplexObject, Context, EmptySubscription, Enum, ID, Object, Result, Schema, SimpleObject,
    dataloader::{DataLoader, Loader},
};
use chrono::{DateTime, Utc};
use kit::{
    AppError,
    auth::{AdminOnly, ContextAuthExt},
    error::parse_uuid,
    http::RequestData,
    money::Money,
    telemetry::TraceParent,
};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    methods::{self, PaymentMethodRow},
    payments::Payments,
    repository::{self, PaymentRow, RefundRow},
};

pub type PaymentsSchema = Schema<Query, Mutation, EmptySubscription>;

pub fn build_schema(payments: Option<Payments>) -> PaymentsSchema {
    let builder = kit::http::configure_schema(Schema::build(Query, Mutation, EmptySubscription));
    match payments {
        Some(payments) => builder.data(payments).finish(),
        None => builder.finish(),
    }
}

pub fn request_data(pool: PgPool) -> RequestData {
    Arc::new(move |request| {
        request
            .data(DataLoader::new(PaymentByOrder(pool.clone()), tokio::spawn))
            .data(DataLoader::new(PaymentById(pool.clone()), tokio::spawn))
            .data(DataLoader::new(RefundsOf(pool.clone()), tokio::spawn))
    })
}

pub struct PaymentByOrder(PgPool);

impl Loader<Uuid> for PaymentByOrder {
    type Value = PaymentRow;
    type Error = AppError;
    async fn load(&self, orders: &[Uuid]) -> Result<HashMap<Uuid, PaymentRow>, AppError> {
        Ok(repository::by_orders(&self.0, orders)
            .await?
            .into_iter()
            .map(|p| (p.order_id, p))
            .collect())
    }
}

pub struct PaymentById(PgPool);

impl Loader<Uuid> for PaymentById {
    type Value = PaymentRow;
    type Error = AppError;
    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, PaymentRow>, AppError> {
        Ok(repository::by_ids(&self.0, ids).await?.into_iter().map(|p| (p.id, p)).collect())
    }
}

pub struct RefundsOf(PgPool);

impl Loader<Uuid> for RefundsOf {
    type Value = Vec<RefundRow>;
    type Error = AppError;
    async fn load(&self, payments: &[Uuid]) -> Result<HashMap<Uuid, Vec<RefundRow>>, AppError> {
        Ok(kit::loaders::group_by(
            payments,
            repository::refunds_of(&self.0, payments).await?,
            |r| r.payment_id,
        ))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum PaymentStatus {
    Pending,
    /// The customer must confirm the charge with their bank (3-D Secure),
    /// using `clientSecret`; the outcome arrives from the provider later.
    ActionRequired,
    Succeeded,
    Failed,
    Refunded,
    PartiallyRefunded,
}

pub struct Payment(PaymentRow);

#[Object]
impl Payment {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn order(&self) -> Order {
        Order { id: ID(self.0.order_id.to_string()) }
    }
    async fn amount(&self) -> Money {
        Money { amount: self.0.amount, currency: self.0.currency.clone() }
    }
    async fn status(&self) -> PaymentStatus {
        match self.0.status.as_str() {
            "ACTION_REQUIRED" => PaymentStatus::ActionRequired,
            "SUCCEEDED" => PaymentStatus::Succeeded,
            "FAILED" => PaymentStatus::Failed,
            "REFUNDED" => PaymentStatus::Refunded,
            "PARTIALLY_REFUNDED" => PaymentStatus::PartiallyRefunded,
            _ => PaymentStatus::Pending,
        }
    }
    /// `sandbox` or `stripe`.
    async fn provider(&self) -> &str {
        &self.0.provider
    }
    /// Provider calls made, retries included.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    async fn failure_reason(&self) -> Option<&str> {
        self.0.failure_reason.as_deref()
    }
    /// While ACTION_REQUIRED: what the customer's browser passes to
    /// Stripe.js (`handleNextAction`) to confirm the charge. Only the
    /// customer sees it.
    async fn client_secret(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        if ctx.viewer()?.user_id != self.0.customer_id {
            return Ok(None);
        }
        Ok(self.0.client_secret.as_deref())
    }
    async fn refunds(&self, ctx: &Context<'_>) -> Result<Vec<Refund>> {
        let refunds = ctx.data_unchecked::<DataLoader<RefundsOf>>().load_one(self.0.id).await?;
        Ok(refunds
            .unwrap_or_default()
            .into_iter()
            .map(|r| Refund {
                id: ID(r.id.to_string()),
                amount: Money { amount: r.amount, currency: self.0.currency.clone() },
                reason: r.reason,
                created_at: r.created_at,
            })
            .collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A saved card: the provider keeps it; we keep what tells it apart.
pub struct PaymentMethod(PaymentMethodRow);

#[Object]
impl PaymentMethod {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// `visa`, `mastercard`, `amex`…
    async fn brand(&self) -> &str {
        &self.0.brand
    }
    async fn last4(&self) -> &str {
        &self.0.last4
    }
    async fn exp_month(&self) -> i32 {
        self.0.exp_month
    }
    async fn exp_year(&self) -> i32 {
        self.0.exp_year
    }
    /// Checkout uses it when no other is named.
    async fn is_default(&self) -> bool {
        self.0.is_default
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Whose methods the caller may see or change: their own; an admin's, anyone's.
fn owner_or_admin(ctx: &Context<'_>) -> Result<impl Fn(Uuid) -> bool> {
    let viewer = ctx.viewer()?;
    let (me, admin) = (viewer.user_id, viewer.is_admin());
    Ok(move |owner: Uuid| admin || owner == me)
}

#[derive(SimpleObject)]
pub struct Refund {
    pub id: ID,
    pub amount: Money,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The orders subgraph's `Order`, with its payment.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Order {
    pub id: ID,
}

#[ComplexObject]
impl Order {
    /// Visible to the order's customer and to admins.
    async fn payment(&self, ctx: &Context<'_>) -> Result<Option<Payment>> {
        ctx.viewer()?;
        let Ok(order) = Uuid::parse_str(&self.id) else { return Ok(None) };
        let loader = ctx.data_unchecked::<DataLoader<PaymentByOrder>>();
        let Some(payment) = loader.load_one(order).await? else { return Ok(None) };
        ctx.owner_or_admin(payment.customer_id, "payment")?;
        Ok(Some(Payment(payment)))
    }
}

pub struct Query;

#[Object]
impl Query {
    #[graphql(entity)]
    async fn find_order_by_id(&self, id: ID) -> Order {
        Order { id }
    }

    #[graphql(entity)]
    async fn find_payment_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Payment>> {
        let Ok(id) = Uuid::parse_str(&id) else { return Ok(None) };
        ctx.viewer()?;
        let Some(payment) = ctx.data_unchecked::<DataLoader<PaymentById>>().load_one(id).await?
        else {
            return Ok(None);
        };
        ctx.owner_or_admin(payment.customer_id, "payment")?;
        Ok(Some(Payment(payment)))
    }

    /// The caller's saved payment methods, the default first; an admin may
    /// name another customer.
    async fn payment_methods(
        &self,
        ctx: &Context<'_>,
        user_id: Option<ID>,
    ) -> Result<Vec<PaymentMethod>> {
        let viewer = ctx.viewer()?;
        let customer = match user_id {
            Some(id) => {
                let id = parse_uuid(&id, "user")?;
                ctx.owner_or_admin(id, "payment methods")?;
                id
            }
            None => viewer.user_id,
        };
        let pool = &ctx.data_unchecked::<Payments>().pool;
        let saved = methods::of_customer(pool, customer).await.map_err(AppError::from)?;
        Ok(saved.into_iter().map(PaymentMethod).collect())
    }
}

pub struct Mutation;

#[Object]
impl Mutation {
    /// Admin: refunds `amount` (minor units; everything left when omitted).
    /// The total refunded never exceeds what was captured; the same
    /// `idempotencyKey` refunds once.
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn refund_payment(
        &self,
        ctx: &Context<'_>,
        payment_id: ID,
        amount: Option<i64>,
        reason: Option<String>,
        idempotency_key: Option<String>,
    ) -> Result<Payment> {
        let id = parse_uuid(&payment_id, "payment")?;
        let key = idempotency_key.unwrap_or_else(|| Uuid::new_v4().to_string());
        let payments = ctx.data_unchecked::<Payments>();
        let payment = payments
            .refund_now(id, amount, reason.as_deref(), &key, ctx.data_opt::<TraceParent>())
            .await?;
        Ok(Payment(payment))
    }

    /// Saves the card behind a provider token (Stripe: a PaymentMethod
    /// from Stripe.js; sandbox: `tok_visa`…) for later checkouts. The first
    /// saved, or one saved with `makeDefault`, is the default.
    async fn save_payment_method(
        &self,
        ctx: &Context<'_>,
        token: String,
        make_default: Option<bool>,
    ) -> Result<PaymentMethod> {
        let customer = ctx.viewer()?.user_id;
        let payments = ctx.data_unchecked::<Payments>();
        let saved = payments.save_method(customer, &token, make_default.unwrap_or(false)).await?;
        Ok(PaymentMethod(saved))
    }

    /// Forgets a saved method (the owner, or an admin).
    async fn remove_payment_method(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_uuid(&id, "payment method")?;
        let allowed = owner_or_admin(ctx)?;
        ctx.data_unchecked::<Payments>().remove_method(id, allowed).await?;
        Ok(true)
    }

    /// Makes a saved method the default (the owner, or an admin).
    async fn set_default_payment_method(&self, ctx: &Context<'_>, id: ID) -> Result<PaymentMethod> {
        let id = parse_uuid(&id, "payment method")?;
        let allowed = owner_or_admin(ctx)?;
        let method = ctx.data_unchecked::<Payments>().set_default_method(id, allowed).await?;
        Ok(PaymentMethod(method))
    }
}
