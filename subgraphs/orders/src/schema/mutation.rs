use async_graphql::{Context, ID, InputObject, Object, Result};
use kit::{
    AppError,
    auth::{AdminOnly, Authorization, ContextAuthExt, SignedIn},
    error::parse_uuid,
    telemetry::TraceParent,
};
use sqlx::PgPool;

use super::types::Order;
use crate::{
    checkout::{Checkout, CheckoutRequest, PaymentMeans, TypedAddress},
    lifecycle::transition_now,
    repository,
    status::OrderStatus,
};

#[derive(InputObject)]
pub struct AddressInput {
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
    pub phone: Option<String>,
    /// Accepted for symmetry with the address book; ignored here.
    pub is_default: Option<bool>,
}

#[derive(InputObject)]
pub struct CheckoutInput {
    /// One of your saved addresses, or
    pub shipping_address_id: Option<ID>,
    /// an address typed in now.
    pub shipping_address: Option<AddressInput>,
    /// A provider token for this payment (sandbox: tok_visa succeeds,
    /// tok_chargeDeclined, tok_insufficientFunds, tok_threeDSecureRequired),
    /// or
    pub payment_token: Option<String>,
    /// one of your saved payment methods (`paymentMethods`).
    pub payment_method_id: Option<ID>,
    /// One of `shippingRates` for this address; the cheapest when omitted.
    pub shipping_rate_id: Option<ID>,
    /// The same key returns the same order and never creates a second.
    pub idempotency_key: String,
}

#[derive(Default)]
pub struct OrderMutation;

#[Object]
impl OrderMutation {
    /// Places the signed-in customer's cart as a PENDING order; its status
    /// then moves by events (reserved, paid or failed).
    #[graphql(guard = "SignedIn", directive = kit::directives::authenticated::apply())]
    async fn checkout(&self, ctx: &Context<'_>, input: CheckoutInput) -> Result<Order> {
        let customer = ctx.viewer()?.user_id;
        let authorization =
            ctx.data_opt::<Authorization>().map(|a| a.0.clone()).unwrap_or_default();
        let request = CheckoutRequest {
            shipping_address_id: input.shipping_address_id.map(|id| id.0),
            shipping_address: input.shipping_address.map(|a| TypedAddress {
                name: a.name,
                line1: a.line1,
                line2: a.line2,
                city: a.city,
                region: a.region,
                postal_code: a.postal_code,
                country: a.country,
                phone: a.phone,
            }),
            payment: match (input.payment_token, input.payment_method_id) {
                (Some(token), None) => PaymentMeans::Token(token),
                (None, Some(id)) => PaymentMeans::SavedMethod(parse_uuid(&id, "payment method")?),
                _ => {
                    return Err(
                        AppError::bad_input("give either paymentToken or paymentMethodId").into()
                    );
                }
            },
            shipping_rate_id: input.shipping_rate_id.map(|id| id.0),
            idempotency_key: input.idempotency_key,
        };
        let checkout = ctx.data_unchecked::<Checkout>();
        Ok(Order(
            checkout
                .place(customer, &authorization, request, ctx.data_opt::<TraceParent>())
                .await?,
        ))
    }

    /// The owner before shipping, or an admin. Releases the reservation; a
    /// paid order is refunded.
    #[graphql(guard = "SignedIn", directive = kit::directives::authenticated::apply())]
    async fn cancel_order(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: Option<String>,
    ) -> Result<Order> {
        let viewer = ctx.viewer()?;
        let pool = ctx.data_unchecked::<PgPool>();
        let order_id = parse_uuid(&id, "order")?;
        let order =
            repository::by_ids(pool, &[order_id]).await.map_err(AppError::from)?.into_iter().next();
        let order = order
            .filter(|o| o.customer_id == viewer.user_id || viewer.is_admin())
            .ok_or_else(|| AppError::not_found("order not found"))?;
        let status = OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Pending);
        if !viewer.is_admin() && !status.customer_may_cancel() {
            return Err(AppError::conflict(format!(
                "an order that is {} can no longer be cancelled",
                status.as_str()
            ))
            .into());
        }
        let reason = reason.unwrap_or_else(|| {
            if viewer.is_admin() { "cancelled by an admin" } else { "cancelled by the customer" }
                .into()
        });
        let updated = transition_now(
            pool,
            order_id,
            OrderStatus::Cancelled,
            Some(&reason),
            ctx.data_opt::<TraceParent>(),
        )
        .await?;
        Ok(Order(updated))
    }

    /// Admin: only legal transitions.
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn update_order_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: OrderStatus,
        reason: Option<String>,
    ) -> Result<Order> {
        let pool = ctx.data_unchecked::<PgPool>();
        let order_id = parse_uuid(&id, "order")?;
        let updated = transition_now(
            pool,
            order_id,
            status,
            reason.as_deref(),
            ctx.data_opt::<TraceParent>(),
        )
        .await?;
        Ok(Order(updated))
    }
}
