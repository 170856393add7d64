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
}
