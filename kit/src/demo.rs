//! Identifiers the demo data of every subgraph agrees on, so that seeded
//! reviews point at seeded users and seeded stock at seeded products.

use uuid::Uuid;

/// How many demo products the catalog seeds.
pub const PRODUCT_COUNT: u128 = 56;

pub fn admin_id() -> Uuid {
    Uuid::from_u128(0x5e0d_0000_0000_4000_8000_0000_0000_0001)
}

/// The three demo customers (alice, bob, carol).
pub fn customer_ids() -> [Uuid; 3] {
    [2, 3, 4].map(|n| Uuid::from_u128(0x5e0d_0000_0000_4000_8000_0000_0000_0000 + n))
}

/// Demo product `n`, for n in 0..PRODUCT_COUNT.
pub fn product_id(n: u128) -> Uuid {
    Uuid::from_u128(0x5e0d_2000_0000_4000_8000_0000_0000_0000 + n)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_distinct() {
        let products: std::collections::HashSet<_> =
            (0..super::PRODUCT_COUNT).map(super::product_id).collect();
        assert_eq!(products.len() as u128, super::PRODUCT_COUNT);
        assert!(!products.contains(&super::admin_id()));
    }
}
