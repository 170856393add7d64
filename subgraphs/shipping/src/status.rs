//! Shipment statuses and the moves between them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ShipmentStatus {
    LabelCreated,
    PickedUp,
    InTransit,
    OutForDelivery,
    Delivered,
    Exception,
}

impl ShipmentStatus {
    pub const ALL: [Self; 6] = [
        Self::LabelCreated,
        Self::PickedUp,
        Self::InTransit,
        Self::OutForDelivery,
        Self::Delivered,
        Self::Exception,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::LabelCreated => "LABEL_CREATED",
            Self::PickedUp => "PICKED_UP",
            Self::InTransit => "IN_TRANSIT",
            Self::OutForDelivery => "OUT_FOR_DELIVERY",
            Self::Delivered => "DELIVERED",
            Self::Exception => "EXCEPTION",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// The next step of a normal journey.
    pub fn next(self) -> Option<Self> {
        match self {
            Self::LabelCreated => Some(Self::PickedUp),
            Self::PickedUp => Some(Self::InTransit),
            Self::InTransit => Some(Self::OutForDelivery),
            Self::OutForDelivery => Some(Self::Delivered),
            Self::Delivered | Self::Exception => None,
        }
    }

    /// One step forward; any moving parcel may hit an EXCEPTION, from which
    /// it goes back in transit.
    pub fn can_move(self, to: Self) -> bool {
        self.next() == Some(to)
            || (to == Self::Exception && !matches!(self, Self::Delivered | Self::Exception))
            || (self == Self::Exception && to == Self::InTransit)
    }
}

#[cfg(test)]
mod tests {
    use super::ShipmentStatus::{self, *};

    #[test]
    fn journeys_move_forward_one_step_or_into_an_exception() {
        assert!(LabelCreated.can_move(PickedUp));
        assert!(!LabelCreated.can_move(Delivered));
        assert!(!Delivered.can_move(InTransit));
        assert!(InTransit.can_move(Exception));
        assert!(Exception.can_move(InTransit));
        assert!(!Delivered.can_move(Exception));
        for status in ShipmentStatus::ALL {
            assert!(!status.can_move(status), "{status:?}");
        }
    }
}
