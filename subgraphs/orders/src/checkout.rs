//! Checkout: the cart becomes a PENDING order, once per idempotency key.
//!
//! Everything is read and re-checked on the server: the cart's lines, each
//! product's current name and price from the catalog, availability from
//! inventory, the address from the customer's own address book, and the
//! sales and discount code, priced by the same rules the cart shows. The
//! order, its items, what the promotions took off, the code's use, its
//! first history entry and `order.created` commit in one transaction; the
//! cart is cleared afterwards.

use std::collections::HashMap;

use kit::{AppError, AppResult, events::outbox, telemetry::TraceParent};
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{
    events,
    promotions::{
        self, Promotions,
        events::CODE_REDEEMED,
        pricing::{Product, Quote},
    },
    repository::{self, ItemRow, NewOrder, OrderRow},
    upstream::Upstream,
};

/// A delivery address typed in at checkout.
#[derive(Debug, Clone)]
pub struct TypedAddress {
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
    pub phone: Option<String>,
}

/// How the order will be paid: a provider token for this payment, or one
/// of the customer's saved payment methods (payments charges it, and only
/// if it is theirs).
pub enum PaymentMeans {
    Token(String),
    SavedMethod(Uuid),
}

pub struct CheckoutRequest {
    pub shipping_address_id: Option<String>,
    pub shipping_address: Option<TypedAddress>,
    pub payment: PaymentMeans,
    pub shipping_rate_id: Option<String>,
    pub idempotency_key: String,
}

#[derive(Clone)]
pub struct Checkout {
    pub pool: PgPool,
    pub upstream: Upstream,
    pub promotions: Promotions,
}

impl Checkout {
    #[tracing::instrument(name = "checkout", skip_all)]
    pub async fn place(
        &self,
        customer: Uuid,
        authorization: &str,
        request: CheckoutRequest,
        trace: Option<&TraceParent>,
    ) -> AppResult<OrderRow> {
        let key = request.idempotency_key.trim();
        if key.is_empty() || key.len() > 200 {
            return Err(AppError::bad_input("idempotencyKey must be 1-200 characters"));
        }
        if let PaymentMeans::Token(token) = &request.payment
            && (token.trim().is_empty() || token.trim().len() > 200)
        {
            return Err(AppError::bad_input("paymentToken must be 1-200 characters"));
        }
        // A retry of a placed checkout gets its order, whatever the cart
        // holds now.
        if let Some(existing) = repository::by_idempotency_key(&self.pool, customer, key).await? {
            return Ok(existing);
        }
        if let PaymentMeans::SavedMethod(id) = &request.payment
            && !self.upstream.owns_payment_method(authorization, &id.to_string()).await?
        {
            return Err(AppError::bad_input(
                "paymentMethodId is not one of your saved payment methods",
            ));
        }
        let address = self.address(authorization, &request).await?;
        let lines = self.upstream.cart_of(authorization, customer).await?;
        if lines.is_empty() {
            return Err(AppError::bad_input("the cart is empty"));
        }
        let ids: Vec<String> = lines.iter().map(|(id, _)| id.clone()).collect();
        let (products, available) =
            futures::try_join!(self.upstream.products(&ids), self.upstream.availability(&ids))?;
        let products = in_stock(&lines, products, &available)?;
        let currency = products.first().map(|(p, _)| p.currency.clone()).unwrap_or_default();
        if products.iter().any(|(p, _)| p.currency != currency) {
            return Err(AppError::bad_input("the cart mixes currencies"));
        }
        // The same rules as the cart showed; a code that no longer gives
        // anything stops checkout rather than charging more than shown.
        let code = promotions::repository::cart_code(&self.pool, customer).await?;
        let (quote, problem) =
            self.promotions.quote(customer, &currency, products, code.as_deref()).await?;
        if let Some(problem) = problem {
            return Err(AppError::bad_input(format!(
                "{}; remove it from the cart to check out without it",
                problem.0
            )));
        }
        let shipping_cost = self
            .shipping_cost(&address, &lines, request.shipping_rate_id.as_deref(), &currency)
            .await?;
        let discount = quote.discount_with_shipping(shipping_cost);

        let mut tx = self.pool.begin().await?;
        let order = NewOrder {
            id: Uuid::now_v7(),
            customer_id: customer,
            currency: &currency,
            subtotal: quote.subtotal,
            shipping_cost,
            discount,
            discount_code: quote.code.as_ref().map(|c| c.code.as_str()),
            shipping_address: &address,
            idempotency_key: key,
        };
        let Some(placed) = repository::insert(&mut tx, &order).await? else {
            // A concurrent request with the same key won: its order is ours.
            drop(tx);
            return repository::by_idempotency_key(&self.pool, customer, key)
                .await?
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("idempotent order vanished")));
        };
        let items: Vec<ItemRow> = quote
            .lines
            .iter()
            .map(|line| ItemRow {
                order_id: placed.id,
                product_id: line.product.id.clone(),
                product_name: line.product.name.clone(),
                quantity: line.quantity,
                unit_price: line.unit_price,
                list_price: Some(line.product.price),
            })
            .collect();
        for (position, item) in items.iter().enumerate() {
            repository::insert_item(&mut tx, placed.id, position as i32, item).await?;
        }
        sqlx::query("INSERT INTO order_status_history (order_id, status, reason) VALUES ($1, 'PENDING', 'checkout')")
            .bind(placed.id)
            .execute(&mut *tx)
            .await?;
        self.record_promotions(&mut tx, &quote, &placed, discount).await?;
        outbox::enqueue(&mut tx, &events::order_created(&placed, &items, &request.payment, trace))
            .await?;
        tx.commit().await?;
        kit::metrics::metrics().order_placed();
        if let Err(e) = self.upstream.clear_cart(authorization).await {
            tracing::warn!(order = %placed.id, error = ?e, "order placed but the cart was not cleared");
        }
        Ok(placed)
    }

    /// Counts the code's use and records what the sales and the code took
    /// off, in the order's transaction; the cart's code is used up.
    async fn record_promotions(
        &self,
        tx: &mut PgConnection,
        quote: &Quote,
        order: &OrderRow,
        discount: i64,
    ) -> AppResult<()> {
        let mut applied: Vec<(String, Uuid, String, i64)> = quote
            .sale_savings()
            .into_iter()
            .map(|(id, name, amount)| ("SALE".to_owned(), id, name, amount))
            .collect();
        if let Some(code) = &quote.code {
            Promotions::redeem(tx, quote, order.id, order.customer_id, discount).await?;
            applied.push(("DISCOUNT_CODE".into(), code.id, code.code.clone(), discount));
            let data = json!({ "customerId": order.customer_id, "amount": discount });
            let redeemed =
                promotions::events::code_use(CODE_REDEEMED, code.id, &code.code, order.id, data);
            outbox::enqueue(tx, &redeemed).await?;
            promotions::repository::set_cart_code(&mut *tx, order.customer_id, None).await?;
        }
        promotions::repository::record_applied(tx, order.id, &applied).await?;
        Ok(())
    }

    /// The chosen rate's cost, or the cheapest rate's.
    async fn shipping_cost(
        &self,
        address: &Value,
        lines: &[(String, i32)],
        rate: Option<&str>,
        currency: &str,
    ) -> AppResult<i64> {
        let country = address["country"].as_str().unwrap_or_default();
        let postal_code = address["postalCode"].as_str().unwrap_or_default();
        let quotes = self.upstream.shipping_quotes(country, postal_code, lines).await?;
        let quote = match rate {
            Some(id) => quotes.iter().find(|q| q.id == id).ok_or_else(|| {
                AppError::bad_input(format!("shipping rate `{id}` does not serve this address"))
            })?,
            None => quotes
                .iter()
                .min_by_key(|q| q.amount)
                .ok_or_else(|| AppError::bad_input("no shipping rate serves this address"))?,
        };
        if quote.currency != currency {
            return Err(AppError::bad_input(
                "the shipping rate is in another currency than the cart",
            ));
        }
        Ok(quote.amount)
    }

    async fn address(&self, authorization: &str, request: &CheckoutRequest) -> AppResult<Value> {
        match (&request.shipping_address_id, &request.shipping_address) {
            (Some(id), None) => {
                let mut address =
                    self.upstream.address(authorization, id).await?.ok_or_else(|| {
                        AppError::bad_input(format!("address `{id}` is not in your address book"))
                    })?;
                if let Some(map) = address.as_object_mut() {
                    map.remove("id");
                }
                Ok(address)
            }
            (None, Some(typed)) => typed_address(typed),
            _ => Err(AppError::bad_input(
                "give exactly one of shippingAddressId and shippingAddress",
            )),
        }
    }
}

/// The cart's products, each still sold and available in the quantity
/// asked for.
fn in_stock(
    lines: &[(String, i32)],
    mut products: HashMap<String, Product>,
    available: &HashMap<String, i64>,
) -> AppResult<Vec<(Product, i32)>> {
    let mut short = Vec::new();
    let mut stocked = Vec::new();
    for (id, quantity) in lines {
        let product = products
            .remove(id)
            .ok_or_else(|| AppError::bad_input(format!("product `{id}` is no longer sold")))?;
        if available.get(id).copied().unwrap_or(0) < i64::from(*quantity) {
            short.push(product.name.clone());
        }
        stocked.push((product, *quantity));
    }
    if short.is_empty() {
        Ok(stocked)
    } else {
        Err(AppError::conflict(format!("not enough stock for: {}", short.join(", "))))
    }
}

fn typed_address(address: &TypedAddress) -> AppResult<Value> {
    let required = |field: &str, value: &str| {
        let value = value.trim();
        if value.is_empty() || value.chars().count() > 200 {
            Err(AppError::bad_input(format!("`{field}` must be 1-200 characters")))
        } else {
            Ok(value.to_owned())
        }
    };
    let country = address.country.trim().to_ascii_uppercase();
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(AppError::bad_input("country must be an ISO 3166-1 alpha-2 code"));
    }
    Ok(json!({
        "name": required("name", &address.name)?,
        "line1": required("line1", &address.line1)?,
        "line2": address.line2.as_deref().map(str::trim).filter(|s| !s.is_empty()),
        "city": required("city", &address.city)?,
        "region": address.region.as_deref().map(str::trim).filter(|s| !s.is_empty()),
        "postalCode": required("postalCode", &address.postal_code)?,
        "country": country,
        "phone": address.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()),
    }))
}
