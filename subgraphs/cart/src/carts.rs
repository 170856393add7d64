//! Cart use cases.

use async_graphql::dataloader::DataLoader;
use kit::{AppError, AppResult};

use crate::{
    schema::{Cart, ProductLoader},
    store::{CartStore, MAX_QUANTITY},
};

#[derive(Clone)]
pub struct Carts {
    pub store: CartStore,
    pub default_currency: String,
}

impl Carts {
    pub async fn load(&self, customer: &str) -> AppResult<Cart> {
        let stored = self.store.get(customer).await?;
        Ok(Cart { customer: customer.to_owned(), stored, currency: self.default_currency.clone() })
    }

    pub async fn add(
        &self,
        customer: &str,
        product: &str,
        quantity: i32,
        products: &DataLoader<ProductLoader>,
    ) -> AppResult<Cart> {
        if !(1..=MAX_QUANTITY).contains(&quantity) {
            return Err(AppError::bad_input(format!(
                "quantity must be between 1 and {MAX_QUANTITY}"
            )));
        }
        require_product(product, products).await?;
        self.store.add(customer, product, quantity).await?;
        self.load(customer).await
    }

    pub async fn set(
        &self,
        customer: &str,
        product: &str,
        quantity: i32,
        products: &DataLoader<ProductLoader>,
    ) -> AppResult<Cart> {
        if !(0..=MAX_QUANTITY).contains(&quantity) {
            return Err(AppError::bad_input(format!(
                "quantity must be between 0 and {MAX_QUANTITY}"
            )));
        }
        if quantity > 0 {
            require_product(product, products).await?;
        }
        self.store.set(customer, product, quantity).await?;
        self.load(customer).await
    }

    pub async fn clear(&self, customer: &str) -> AppResult<Cart> {
        self.store.clear(customer).await?;
        self.load(customer).await
    }
}

async fn require_product(product: &str, products: &DataLoader<ProductLoader>) -> AppResult<()> {
    match products.load_one(product.to_owned()).await? {
        Some(_) => Ok(()),
        None => Err(AppError::not_found(format!("product `{product}` does not exist"))),
    }
}
