//! `@context` / `@fromContext` (federation 2.8): a field's argument comes
//! from the nearest ancestor of a type that sets the context, not from the
//! client. Composed by `router compose`, executed through the router.

use async_graphql::{EmptyMutation, EmptySubscription, ID, Object, Schema, SimpleObject};
use serde_json::{Value, json};

use crate::helpers::{Composed, SubgraphServer};

/// The catalog's SDL as a federation 2.8 subgraph declares it; the
/// async-graphql schema below serves it (`currency` is a plain argument
/// there, as a subgraph receives it).
const CATALOG_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.8", import: ["@key", "@context", "@fromContext"])

type Query {
  shelves: [Shelf!]!
  book(id: ID!): Book
}

type Shelf @key(fields: "id") @context(name: "shelf") {
  id: ID!
  currency: String!
  books: [Book!]!
  inner: Shelf
}

type Book @key(fields: "id") {
  id: ID!
  title: String!
  price(currency: String @fromContext(field: "$shelf { currency }")): String!
}
"#;

const BOOKS: &[(&str, &str, i32)] =
    &[("b1", "Dune", 10), ("b2", "Emma", 20), ("b3", "Ulysses", 30)];

mod catalog {
    use super::*;

    pub struct Shelf {
        id: &'static str,
        currency: &'static str,
        books: &'static [&'static str],
        inner: Option<&'static str>,
    }

    const SHELVES: &[Shelf] = &[
        Shelf { id: "s1", currency: "EUR", books: &["b1", "b2"], inner: None },
        Shelf { id: "s2", currency: "USD", books: &["b2", "b3"], inner: Some("s3") },
        Shelf { id: "s3", currency: "GBP", books: &["b1"], inner: None },
    ];

    fn shelf(id: &str) -> Option<&'static Shelf> {
        SHELVES.iter().find(|s| s.id == id)
    }

    #[Object]
    impl Shelf {
        async fn id(&self) -> ID {
            ID(self.id.into())
        }
        async fn currency(&self) -> &str {
            self.currency
        }
        async fn books(&self) -> Vec<Book> {
            self.books.iter().map(|id| Book { id: (*id).into() }).collect()
        }
        async fn inner(&self) -> Option<&'static Shelf> {
            self.inner.and_then(shelf)
        }
    }

    pub struct Book {
        id: String,
    }

    #[Object]
    impl Book {
        async fn id(&self) -> ID {
            ID(self.id.clone())
        }
        async fn title(&self) -> &str {
            BOOKS.iter().find(|b| b.0 == self.id).map_or("", |b| b.1)
        }
        /// The amount in the currency it was given, or `NONE`.
        async fn price(&self, currency: Option<String>) -> String {
            let amount = BOOKS.iter().find(|b| b.0 == self.id).map_or(0, |b| b.2);
            format!("{amount} {}", currency.as_deref().unwrap_or("NONE"))
        }
    }

    pub struct Query;

    #[Object]
    impl Query {
        async fn shelves(&self) -> Vec<&'static Shelf> {
            SHELVES[..2].iter().collect()
        }
        async fn book(&self, id: ID) -> Option<Book> {
            BOOKS.iter().any(|b| b.0 == id.as_str()).then_some(Book { id: id.0 })
        }
        #[graphql(entity)]
        async fn book_by_id(&self, id: ID) -> Book {
            Book { id: id.0 }
        }
        #[graphql(entity)]
        async fn shelf_by_id(&self, id: ID) -> Option<&'static Shelf> {
            shelf(&id)
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription).enable_federation().finish()
    }
}

mod stock {
    use super::*;

    #[derive(SimpleObject)]
    pub struct Book {
        id: ID,
        stock: i32,
    }

    pub struct Query;

    #[Object]
    impl Query {
        #[graphql(entity)]
        async fn book_by_id(&self, id: ID) -> Book {
            let stock = BOOKS.iter().position(|b| b.0 == id.as_str()).map_or(-1, |i| i as i32 * 3);
            Book { id, stock }
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription).enable_federation().finish()
    }
}

pub async fn subgraphs() -> Vec<SubgraphServer> {
    let mut catalog = SubgraphServer::start("catalog", catalog::schema()).await;
    catalog.sdl = CATALOG_SDL.into();
    vec![catalog, SubgraphServer::start("stock", stock::schema()).await]
}

async fn start() -> Composed {
    Composed::start(subgraphs().await).await
}

#[tokio::test]
async fn composition_records_the_context_and_hides_the_argument() {
    let composed = start().await;
    let supergraph = &composed.supergraph;
    assert!(supergraph.contains(r#"@context(name: "catalog__shelf")"#), "{supergraph}");
    assert!(supergraph.contains("https://specs.apollo.dev/context/v0.1"), "{supergraph}");
    assert!(
        supergraph.contains(r#"context: "catalog__shelf""#)
            && supergraph.contains(r#"selection: "{ currency }""#),
        "{supergraph}"
    );
    let book = composed
        .query(r#"{ __type(name: "Book") { fields { name args { name } } } }"#, json!({}))
        .await;
    let price = book["data"]["__type"]["fields"]
        .as_array()
        .and_then(|fields| fields.iter().find(|f| f["name"] == "price"))
        .cloned()
        .unwrap_or_else(|| panic!("Book.price: {book}"));
    assert_eq!(price["args"], json!([]), "the contextual argument is not the client's");
    let schema =
        composed.query("{ __schema { directives { name } types { name } } }", json!({})).await;
    let text = schema.to_string();
    assert!(!text.contains("context") && !text.contains("join__"), "{text}");
}

#[tokio::test]
async fn each_field_gets_the_value_of_its_nearest_context() {
    let composed = start().await;
    let response = composed
        .query(
            "{ shelves { id books { id title price stock } inner { books { price } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        response,
        json!({ "data": { "shelves": [
            {
                "id": "s1",
                "books": [
                    { "id": "b1", "title": "Dune", "price": "10 EUR", "stock": 0 },
                    { "id": "b2", "title": "Emma", "price": "20 EUR", "stock": 3 },
                ],
                "inner": null,
            },
            {
                "id": "s2",
                "books": [
                    { "id": "b2", "title": "Emma", "price": "20 USD", "stock": 3 },
                    { "id": "b3", "title": "Ulysses", "price": "30 USD", "stock": 6 },
                ],
                "inner": { "books": [{ "price": "10 GBP" }] },
            },
        ] } })
    );
}

#[tokio::test]
async fn the_context_selection_is_hidden_even_when_the_client_aliases_around_it() {
    let composed = start().await;
    let response = composed
        .query(
            "query ($withTitle: Boolean!) { shelves { cur: currency books { cost: price title @include(if: $withTitle) } } }",
            json!({ "withTitle": false }),
        )
        .await;
    assert!(response.get("errors").is_none(), "{response}");
    assert_eq!(
        response["data"]["shelves"][1],
        json!({ "cur": "USD", "books": [{ "cost": "20 USD" }, { "cost": "30 USD" }] })
    );
    let text: Value = response;
    assert!(!text.to_string().contains("_ctx"), "{text}");
}

#[tokio::test]
async fn without_an_ancestor_that_sets_the_context_the_argument_is_null() {
    let composed = start().await;
    let response = composed.query(r#"{ book(id: "b3") { title price } }"#, json!({})).await;
    assert_eq!(response, json!({ "data": { "book": { "title": "Ulysses", "price": "30 NONE" } } }));
}

/// Apollo's composition declares the context name as its own scalar
/// (`context__context`); such a supergraph loads and answers the same.
#[tokio::test]
async fn a_supergraph_in_apollo_compositions_form_loads_and_answers() {
    let composed = start().await;
    let apollo = composed
        .supergraph
        .replace(
            "directive @context(name: String!)",
            "scalar context__context\n\ndirective @context(name: context__context!)",
        )
        .replace(r#"selection: "{ currency }""#, r#"selection: " { currency }""#);
    assert_ne!(apollo, composed.supergraph);
    let router = crate::helpers::start_router(&apollo, router::RouterConfig::default()).await;
    let response = crate::helpers::post_query(
        &router.url("/graphql"),
        "{ shelves { books { price } } __type(name: \"context__context\") { name } }",
    )
    .await;
    assert_eq!(response["data"]["shelves"][1]["books"][0]["price"], "20 USD", "{response}");
    assert_eq!(response["data"]["__type"], Value::Null, "{response}");
}
