//! The order state machine. Every status change goes through `can_move`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    Pending,
    PaymentFailed,
    Paid,
    Fulfilling,
    Shipped,
    Delivered,
    Cancelled,
    Refunded,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 8] = [
        Self::Pending,
        Self::PaymentFailed,
        Self::Paid,
        Self::Fulfilling,
        Self::Shipped,
        Self::Delivered,
        Self::Cancelled,
        Self::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::PaymentFailed => "PAYMENT_FAILED",
            Self::Paid => "PAID",
            Self::Fulfilling => "FULFILLING",
            Self::Shipped => "SHIPPED",
            Self::Delivered => "DELIVERED",
            Self::Cancelled => "CANCELLED",
            Self::Refunded => "REFUNDED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// PENDING → PAID → FULFILLING → SHIPPED → DELIVERED; PENDING →
    /// PAYMENT_FAILED; PENDING or PAID → CANCELLED; PAID or later → REFUNDED.
    pub fn can_move(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (Pending, Paid)
                | (Paid, Fulfilling)
                | (Fulfilling, Shipped)
                | (Shipped, Delivered)
                | (Pending, PaymentFailed)
                | (Pending | Paid, Cancelled)
                | (Paid | Fulfilling | Shipped | Delivered, Refunded)
        )
    }

    /// A customer may cancel until the order ships.
    pub fn customer_may_cancel(self) -> bool {
        self.can_move(OrderStatus::Cancelled)
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::{self, *};

    #[test]
    fn exactly_the_contract_transitions_are_legal() {
        let legal = [
            (Pending, Paid),
            (Paid, Fulfilling),
            (Fulfilling, Shipped),
            (Shipped, Delivered),
            (Pending, PaymentFailed),
            (Pending, Cancelled),
            (Paid, Cancelled),
            (Paid, Refunded),
            (Fulfilling, Refunded),
            (Shipped, Refunded),
            (Delivered, Refunded),
        ];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                assert_eq!(from.can_move(to), legal.contains(&(from, to)), "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(OrderStatus::parse("LOST"), None);
    }
}
