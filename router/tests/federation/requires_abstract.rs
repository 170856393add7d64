//! `@requires` whose selection has inline fragments on the members of an
//! interface or union: each entity's requirement is shaped by its own
//! concrete type.

use async_graphql::{
    EmptyMutation, EmptySubscription, ID, Interface, Json, Object, Schema, SimpleObject, Union,
};
use serde_json::{Value, json};

use crate::helpers::{Composed, SubgraphServer};

/// Both subgraphs know the payment types (shareable value types).
mod payment_types {
    use super::*;

    #[derive(SimpleObject, Clone)]
    #[graphql(shareable)]
    pub struct Card {
        pub amount: i32,
        pub last4: String,
    }

    #[derive(SimpleObject, Clone)]
    #[graphql(shareable)]
    pub struct Cash {
        pub amount: i32,
        pub currency: String,
    }

    #[derive(Interface, Clone)]
    #[graphql(field(name = "amount", ty = "&i32"))]
    pub enum Payment {
        Card(Card),
        Cash(Cash),
    }

    #[derive(Union, Clone)]
    pub enum Tender {
        Card(Card),
        Cash(Cash),
    }
}

mod orders {
    use super::payment_types::*;
    use super::*;

    #[derive(SimpleObject, Clone)]
    pub struct Order {
        pub id: ID,
        pub payment: Option<Payment>,
        pub tenders: Vec<Tender>,
    }

    fn order(i: usize) -> Order {
        let card = Card { amount: 10 * i32::try_from(i).unwrap_or(0), last4: format!("424{i}") };
        let cash = Cash { amount: 5, currency: "EUR".into() };
        Order {
            id: ID(format!("o{i}")),
            payment: match i % 3 {
                0 => None,
                1 => Some(Payment::Card(card.clone())),
                _ => Some(Payment::Cash(cash.clone())),
            },
            tenders: vec![Tender::Cash(cash), Tender::Card(card)],
        }
    }

    pub struct Query;

    #[Object]
    impl Query {
        async fn orders(&self) -> Vec<Order> {
            (1..=3).map(order).collect()
        }
        #[graphql(entity)]
        async fn order_by_id(&self, id: ID) -> Option<Order> {
            let i: usize = id.trim_start_matches('o').parse().ok()?;
            Some(order(i))
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription).enable_federation().finish()
    }
}

mod receipts {
    use super::payment_types::*;
    use super::*;

    pub struct Order {
        id: ID,
        payment: Option<Json<Value>>,
        tenders: Option<Json<Value>>,
    }

    #[Object]
    impl Order {
        async fn id(&self) -> &ID {
            &self.id
        }
        #[graphql(external)]
        async fn payment(&self) -> Option<Payment> {
            None
        }
        #[graphql(external)]
        async fn tenders(&self) -> Vec<Tender> {
            Vec::new()
        }
        /// What it was given for `payment`, as JSON text.
        #[graphql(
            requires = "payment { __typename ... on Card { last4 } ... on Cash { currency } }"
        )]
        async fn payment_line(&self) -> String {
            self.payment.as_ref().map_or_else(|| "null".into(), |p| p.0.to_string())
        }
        /// What it was given for `tenders`, as JSON text.
        #[graphql(requires = "tenders { ... on Card { amount last4 } ... on Cash { currency } }")]
        async fn tender_lines(&self) -> String {
            self.tenders.as_ref().map_or_else(|| "null".into(), |t| t.0.to_string())
        }
    }

    pub struct Query;

    #[Object]
    impl Query {
        #[graphql(entity)]
        async fn order_by_id(
            &self,
            #[graphql(key)] id: ID,
            payment: Option<Json<Value>>,
            tenders: Option<Json<Value>>,
        ) -> Order {
            Order { id, payment, tenders }
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription)
            .enable_federation()
            .register_output_type::<Payment>()
            .finish()
    }
}

pub async fn subgraphs() -> Vec<SubgraphServer> {
    vec![
        SubgraphServer::start("orders", orders::schema()).await,
        SubgraphServer::start("receipts", receipts::schema()).await,
    ]
}

async fn query(query: &str) -> Value {
    Composed::start(subgraphs().await).await.query(query, json!({})).await
}

fn lines(response: &Value, field: &str) -> Vec<Value> {
    response["data"]["orders"]
        .as_array()
        .unwrap_or_else(|| panic!("orders: {response}"))
        .iter()
        .map(|o| {
            serde_json::from_str(o[field].as_str().unwrap_or("\"missing\"")).unwrap_or_default()
        })
        .collect()
}

#[tokio::test]
async fn a_requirement_on_an_interface_is_shaped_per_concrete_type() {
    let response = query("{ orders { id paymentLine } }").await;
    assert!(response.get("errors").is_none(), "{response}");
    assert_eq!(
        lines(&response, "paymentLine"),
        [
            json!({ "__typename": "Card", "last4": "4241" }),
            json!({ "__typename": "Cash", "currency": "EUR" }),
            Value::Null,
        ]
    );
}

#[tokio::test]
async fn a_requirement_on_a_list_of_union_members_is_shaped_per_item() {
    let response = query("{ orders { tenderLines } }").await;
    assert!(response.get("errors").is_none(), "{response}");
    let expected = |i: i32| {
        json!([
            { "__typename": "Cash", "currency": "EUR" },
            { "__typename": "Card", "amount": 10 * i, "last4": format!("424{i}") },
        ])
    };
    assert_eq!(lines(&response, "tenderLines"), [expected(1), expected(2), expected(3)]);
}
