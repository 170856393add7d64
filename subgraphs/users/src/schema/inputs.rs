use async_graphql::InputObject;
use kit::AppError;

use crate::domain::{NewAddress, address::RawAddress};

#[derive(InputObject)]
pub struct RegisterInput {
    pub email: String,
    pub password: String,
    pub name: String,
}

#[derive(InputObject)]
pub struct UpdateProfileInput {
    pub name: Option<String>,
}

#[derive(InputObject)]
pub struct AddressInput {
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, e.g. `GB`.
    pub country: String,
    pub phone: Option<String>,
    pub is_default: Option<bool>,
}

impl AddressInput {
    pub fn parse(&self) -> Result<NewAddress, AppError> {
        NewAddress::parse(RawAddress {
            name: &self.name,
            line1: &self.line1,
            line2: self.line2.as_deref(),
            city: &self.city,
            region: self.region.as_deref(),
            postal_code: &self.postal_code,
            country: &self.country,
            phone: self.phone.as_deref(),
            is_default: self.is_default,
        })
    }
}
