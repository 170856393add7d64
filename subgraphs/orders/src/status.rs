//! The order state machine. Every status change goes through `can_move`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    Pending,
    /// The customer must confirm the payment with their bank (3-D Secure):
    /// `Order.payment.clientSecret` is what their browser needs.
    PaymentActionRequired,
    PaymentFailed,
    Paid,
    Fulfilling,
    Shipped,
    Delivered,
    Cancelled,
    Refunded,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 9] = [
        Self::Pending,
        Self::PaymentActionRequired,
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
            Self::PaymentActionRequired => "PAYMENT_ACTION_REQUIRED",
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
    /// PAYMENT_FAILED; PENDING → PAYMENT_ACTION_REQUIRED → PAID or
    /// PAYMENT_FAILED; PENDING, PAYMENT_ACTION_REQUIRED or PAID → CANCELLED;
    /// PAID or later → REFUNDED.
    pub fn can_move(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (Pending | PaymentActionRequired, Paid)
                | (Paid, Fulfilling)
                | (Fulfilling, Shipped)
                | (Shipped, Delivered)
                | (Pending, PaymentActionRequired)
                | (Pending | PaymentActionRequired, PaymentFailed)
                | (Pending | PaymentActionRequired | Paid, Cancelled)
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
            (Pending, PaymentActionRequired),
            (PaymentActionRequired, Paid),
            (PaymentActionRequired, PaymentFailed),
            (PaymentActionRequired, Cancelled),
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
