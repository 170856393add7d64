//! `@defer` over `multipart/mixed`: the first payload goes out before a
//! slow deferred fetch finishes, in both the `deferSpec=20220824` format
//! (Apollo Client) and the `pending`/`completed` format (graphql-js 17);
//! the payloads merged give the same answer as the operation without
//! `@defer`.

use std::{collections::HashMap, sync::Arc, time::Duration};

use async_graphql::{
    ComplexObject, Context, EmptyMutation, EmptySubscription, Error, ID, Object, Schema,
    SimpleObject,
};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::helpers::{Composed, SubgraphServer};

const LEGACY: &str = "multipart/mixed;deferSpec=20220824, application/json";
const CURRENT: &str = "multipart/mixed, application/json";

const PRODUCTS: &[(&str, &str)] = &[("p1", "Kettle"), ("p2", "Teapot"), ("p3", "Mug")];

fn number(id: &str) -> i32 {
    id.trim_start_matches('p').parse().unwrap_or(0)
}

/// Fast: the product list and names.
mod shop {
    use super::*;

    #[derive(SimpleObject, Clone)]
    pub struct Product {
        pub id: ID,
        pub name: String,
    }

    fn product(id: &str) -> Option<Product> {
        PRODUCTS
            .iter()
            .find(|p| p.0 == id)
            .map(|p| Product { id: ID(p.0.into()), name: p.1.into() })
    }

    pub struct Query;

    #[Object]
    impl Query {
        async fn products(&self) -> Vec<Product> {
            PRODUCTS.iter().filter_map(|p| product(p.0)).collect()
        }
        #[graphql(entity)]
        async fn product_by_id(&self, id: ID) -> Option<Product> {
            product(&id)
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription).enable_federation().finish()
    }
}

/// Slow: every entity fetch waits for a permit from the test's gate.
mod opinions {
    use super::*;

    #[derive(SimpleObject, Clone)]
    pub struct Review {
        pub body: String,
        pub stars: i32,
    }

    #[derive(SimpleObject, Clone)]
    #[graphql(complex)]
    pub struct Product {
        pub id: ID,
    }

    #[ComplexObject]
    impl Product {
        async fn rating(&self) -> i32 {
            number(&self.id) * 2
        }
        async fn reviews(&self) -> Vec<Review> {
            (1..=number(&self.id))
                .map(|stars| Review { body: format!("{} review {stars}", self.id.as_str()), stars })
                .collect()
        }
        /// Fails for p2, at a non-null position.
        async fn verdict(&self) -> Result<String, Error> {
            if self.id.as_str() == "p2" {
                Err(Error::new("no verdict for p2"))
            } else {
                Ok(format!("{} is fine", self.id.as_str()))
            }
        }
    }

    pub struct Query;

    #[Object]
    impl Query {
        async fn quote(&self) -> String {
            "Buy less, choose well".into()
        }
        #[graphql(entity)]
        async fn product_by_id(&self, ctx: &Context<'_>, id: ID) -> Product {
            let gate = ctx.data_unchecked::<Arc<Semaphore>>();
            let _permit = gate.acquire().await.expect("gate open");
            Product { id }
        }
    }

    pub fn schema(gate: Arc<Semaphore>) -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription)
            .data(gate)
            .enable_federation()
            .finish()
    }
}

/// The router in front of both; `opinions` answers only while the gate has
/// permits.
async fn start(permits: usize) -> (Composed, Arc<Semaphore>) {
    let gate = Arc::new(Semaphore::new(permits));
    let composed = Composed::start(vec![
        SubgraphServer::start("shop", shop::schema()).await,
        SubgraphServer::start("opinions", opinions::schema(gate.clone())).await,
    ])
    .await;
    (composed, gate)
}

/// The parts of a `multipart/mixed` body, read as they arrive.
struct Parts {
    response: reqwest::Response,
    buffer: String,
    ended: bool,
}

impl Parts {
    async fn open(composed: &Composed, accept: &str, query: &str, variables: Value) -> Self {
        let response = reqwest::Client::new()
            .post(composed.router.url("/graphql"))
            .header("accept", accept)
            .json(&json!({ "query": query, "variables": variables }))
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .expect("router answers");
        assert_eq!(response.status(), 200);
        Self { response, buffer: String::new(), ended: false }
    }

    fn content_type(&self) -> String {
        self.response.headers()["content-type"].to_str().expect("ASCII").to_owned()
    }

    async fn next(&mut self) -> Option<Value> {
        loop {
            if let Some(part) = self.take() {
                return Some(part);
            }
            if self.ended {
                assert!(self.buffer.ends_with("--graphql--\r\n"), "unterminated: {}", self.buffer);
                return None;
            }
            match self.response.chunk().await.expect("body") {
                Some(chunk) => self.buffer.push_str(std::str::from_utf8(&chunk).expect("UTF-8")),
                None => self.ended = true,
            }
        }
    }

    /// The first complete part in the buffer, taken out of it.
    fn take(&mut self) -> Option<Value> {
        let start = self.buffer.find("--graphql\r\n")?;
        let body = start + self.buffer[start..].find("\r\n\r\n")? + 4;
        let end = body + self.buffer[body..].find("\r\n--graphql")?;
        let headers = &self.buffer[start..body];
        assert!(headers.contains("content-type: application/json"), "{headers}");
        let part = serde_json::from_str(&self.buffer[body..end]).expect("a JSON part");
        self.buffer.drain(..end);
        Some(part)
    }

    async fn all(mut self) -> Vec<Value> {
        let mut parts = Vec::new();
        while let Some(part) = self.next().await {
            parts.push(part);
        }
        parts
    }
}

/// Every payload's data put where its path says, as a client would.
fn merge(parts: &[Value]) -> Value {
    let mut data = parts[0]["data"].clone();
    let mut pending: HashMap<String, Value> = HashMap::new();
    for part in parts {
        for announced in part["pending"].as_array().into_iter().flatten() {
            let id = announced["id"].as_str().expect("pending id").to_owned();
            pending.insert(id, announced["path"].clone());
        }
        for item in part["incremental"].as_array().into_iter().flatten() {
            let path = match item.get("path") {
                Some(path) => path.clone(),
                None => pending[item["id"].as_str().expect("id")].clone(),
            };
            let mut target = &mut data;
            for segment in path.as_array().expect("path") {
                target = match segment {
                    Value::String(key) => &mut target[key.as_str()],
                    index => {
                        &mut target
                            [usize::try_from(index.as_u64().expect("index")).expect("small index")]
                    }
                };
            }
            deep_merge(target, &item["data"]);
        }
    }
    data
}

fn deep_merge(target: &mut Value, from: &Value) {
    match (target, from) {
        (Value::Object(target), Value::Object(from)) => {
            for (key, value) in from {
                deep_merge(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
        (Value::Array(target), Value::Array(from)) if target.len() == from.len() => {
            for (target, value) in target.iter_mut().zip(from) {
                deep_merge(target, value);
            }
        }
        (target, from) => *target = from.clone(),
    }
}

fn has_next(parts: &[Value]) -> Vec<bool> {
    parts.iter().map(|p| p["hasNext"].as_bool().expect("hasNext on every part")).collect()
}

const RATING: &str = r#"{ products { id name ... @defer(label: "opinion") { rating } } }"#;

#[tokio::test]
async fn the_first_payload_goes_out_before_the_slow_deferred_fetch_ends() {
    let (composed, gate) = start(0).await;
    let mut parts = Parts::open(&composed, LEGACY, RATING, json!({})).await;
    assert!(parts.content_type().contains("deferSpec=20220824"), "{}", parts.content_type());
    let first = parts.next().await.expect("first payload");
    assert_eq!(
        first,
        json!({
            "data": { "products": [
                { "id": "p1", "name": "Kettle" },
                { "id": "p2", "name": "Teapot" },
                { "id": "p3", "name": "Mug" },
            ] },
            "hasNext": true,
        })
    );
    gate.add_permits(1);
    let second = parts.next().await.expect("deferred payload");
    let items = (0..3)
        .map(|i| {
            json!({ "data": { "rating": 2 * (i + 1) }, "path": ["products", i], "label": "opinion" })
        })
        .collect::<Vec<_>>();
    assert_eq!(second, json!({ "incremental": items, "hasNext": false }));
    assert_eq!(parts.next().await, None);
}

#[tokio::test]
async fn the_current_format_announces_pending_fragments_and_completes_them() {
    let (composed, gate) = start(0).await;
    let mut parts = Parts::open(&composed, CURRENT, RATING, json!({})).await;
    assert!(!parts.content_type().contains("deferSpec"), "{}", parts.content_type());
    let first = parts.next().await.expect("first payload");
    assert_eq!(first["hasNext"], json!(true));
    assert_eq!(first["data"]["products"][2], json!({ "id": "p3", "name": "Mug" }));
    let pending = first["pending"].as_array().expect("pending").clone();
    assert_eq!(pending.len(), 3, "{first}");
    let mut ids = HashMap::new();
    for announced in &pending {
        assert_eq!(announced["label"], "opinion");
        let index = announced["path"][1].as_u64().expect("list index");
        assert_eq!(announced["path"][0], "products");
        ids.insert(announced["id"].as_str().expect("id").to_owned(), index);
    }
    assert_eq!(ids.len(), 3, "distinct ids: {pending:?}");
    gate.add_permits(1);
    let second = parts.next().await.expect("deferred payload");
    assert_eq!(second["hasNext"], json!(false));
    let incremental = second["incremental"].as_array().expect("incremental");
    assert_eq!(incremental.len(), 3, "{second}");
    for item in incremental {
        let index = ids[item["id"].as_str().expect("id")];
        assert_eq!(item["data"], json!({ "rating": 2 * (index + 1) }), "{second}");
        assert!(item.get("path").is_none(), "the path was announced: {item}");
    }
    let mut completed: Vec<&str> = second["completed"]
        .as_array()
        .expect("completed")
        .iter()
        .map(|c| c["id"].as_str().expect("completed id"))
        .collect();
    completed.sort_unstable();
    let mut announced: Vec<&str> = ids.keys().map(String::as_str).collect();
    announced.sort_unstable();
    assert_eq!(completed, announced);
    assert_eq!(parts.next().await, None);
}

#[tokio::test]
async fn nested_and_root_fragments_merge_into_the_answer_without_defer() {
    let (composed, _gate) = start(1000).await;
    let deferred = r#"query Shelf {
        products {
            id
            ... @defer(label: "outer") {
                name
                rating
                ... @defer(label: "inner") { reviews { body stars } }
            }
        }
        ... @defer { quote }
    }"#;
    let plain = deferred
        .replace(r#"@defer(label: "outer")"#, "")
        .replace(r#"@defer(label: "inner")"#, "")
        .replace("@defer", "");
    let expected = composed.query(&plain, json!({})).await;
    assert!(expected.get("errors").is_none(), "{expected}");
    assert_eq!(expected["data"]["products"][1]["reviews"][1]["body"], "p2 review 2");
    assert_eq!(expected["data"]["quote"], "Buy less, choose well");

    for accept in [LEGACY, CURRENT] {
        let parts = Parts::open(&composed, accept, deferred, json!({})).await.all().await;
        assert!(parts.len() >= 2, "{accept}: {parts:?}");
        let flags = has_next(&parts);
        assert_eq!(flags.last(), Some(&false), "{accept}: {parts:?}");
        assert!(flags[..flags.len() - 1].iter().all(|f| *f), "{accept}: {parts:?}");
        assert!(parts.iter().all(|p| p.get("errors").is_none()), "{accept}: {parts:?}");
        assert_eq!(parts[0]["data"]["products"][0], json!({ "id": "p1" }), "{accept}");
        assert_eq!(merge(&parts), expected["data"], "{accept}: {parts:?}");
    }

    // Without a multipart Accept, the deferred operation is answered whole.
    assert_eq!(composed.query(deferred, json!({})).await, expected);
}

#[tokio::test]
async fn defer_if_false_answers_in_one_payload() {
    let (composed, _gate) = start(1000).await;
    let query = "query ($later: Boolean!) { products { id ... @defer(if: $later) { rating } } }";
    let whole = Parts::open(&composed, LEGACY, query, json!({ "later": false })).await.all().await;
    assert_eq!(whole.len(), 1, "{whole:?}");
    assert_eq!(whole[0]["hasNext"], json!(false));
    assert_eq!(whole[0]["data"]["products"][2], json!({ "id": "p3", "rating": 6 }));

    let split = Parts::open(&composed, LEGACY, query, json!({ "later": true })).await.all().await;
    assert_eq!(has_next(&split), [true, false], "{split:?}");
    assert_eq!(split[0]["data"]["products"][2], json!({ "id": "p3" }));
    assert_eq!(merge(&split), whole[0]["data"]);
}

#[tokio::test]
async fn an_error_at_a_non_null_field_nulls_only_its_own_fragment() {
    let (composed, _gate) = start(1000).await;
    let query = "{ products { id ... @defer { verdict } } }";

    let legacy = Parts::open(&composed, LEGACY, query, json!({})).await.all().await;
    assert!(legacy[0].get("errors").is_none(), "{legacy:?}");
    let items: Vec<&Value> =
        legacy.iter().flat_map(|p| p["incremental"].as_array().into_iter().flatten()).collect();
    assert_eq!(items.len(), 3, "{legacy:?}");
    let at = |index: u64| {
        *items.iter().find(|i| i["path"] == json!(["products", index])).expect("item per product")
    };
    assert_eq!(at(0)["data"], json!({ "verdict": "p1 is fine" }));
    assert_eq!(at(2)["data"], json!({ "verdict": "p3 is fine" }));
    assert_eq!(at(1)["data"], Value::Null, "{legacy:?}");
    let errors = at(1)["errors"].as_array().expect("errors on the failed fragment");
    assert_eq!(errors[0]["path"], json!(["products", 1, "verdict"]), "{errors:?}");
    assert!(at(0).get("errors").is_none() && at(2).get("errors").is_none(), "{legacy:?}");

    let current = Parts::open(&composed, CURRENT, query, json!({})).await.all().await;
    let pending = current[0]["pending"].as_array().expect("pending");
    let failed = pending
        .iter()
        .find(|p| p["path"] == json!(["products", 1]))
        .and_then(|p| p["id"].as_str())
        .expect("p2 announced");
    let completed: Vec<&Value> =
        current.iter().flat_map(|p| p["completed"].as_array().into_iter().flatten()).collect();
    assert_eq!(completed.len(), 3, "{current:?}");
    let failure = completed.iter().find(|c| c["id"] == failed).expect("p2 completed");
    assert_eq!(failure["errors"][0]["path"], json!(["products", 1, "verdict"]), "{current:?}");
    let delivered: Vec<&Value> =
        current.iter().flat_map(|p| p["incremental"].as_array().into_iter().flatten()).collect();
    assert_eq!(delivered.len(), 2, "{current:?}");
    assert!(delivered.iter().all(|i| i["id"] != failed), "{current:?}");
    let merged = merge(&current);
    assert_eq!(merged["products"][0]["verdict"], "p1 is fine");
    assert_eq!(merged["products"][1].get("verdict"), None, "{merged}");
    assert_eq!(merged["products"][2]["verdict"], "p3 is fine");
}

#[tokio::test]
async fn over_server_sent_events_a_deferred_operation_is_answered_whole() {
    let (composed, _gate) = start(1000).await;
    let body = reqwest::Client::new()
        .post(composed.router.url("/graphql"))
        .header("accept", "text/event-stream")
        .json(&json!({ "query": RATING }))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("router answers")
        .text()
        .await
        .expect("event stream");
    let payloads: Vec<Value> = body
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(str::trim)
        .filter(|data| data.starts_with('{'))
        .map(|data| serde_json::from_str(data).expect("JSON event"))
        .collect();
    let whole = composed.query(&RATING.replace(r#"@defer(label: "opinion")"#, ""), json!({})).await;
    assert_eq!(whole["data"]["products"][0], json!({ "id": "p1", "name": "Kettle", "rating": 2 }));
    assert_eq!(payloads, [whole], "{body}");
}
