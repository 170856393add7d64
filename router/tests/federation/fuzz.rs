//! A bounded fuzz test: operations generated from the vault's API schema
//! (every field, to depth 3), then mutated at random (characters cut,
//! inserted and duplicated; aliases, spreads, directives and variables of
//! the wrong type added), sent anonymously and with a token that has no
//! scopes. Every answer must be JSON with `data` or coded `errors`, never a
//! server error, and never hold what the authorization directives deny.
//!
//! `FUZZ_SEED` replays a run (the seed is printed); `FUZZ_CASES` (300)
//! bounds it.

use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};
use router::planning::QueryPlanner;
use serde_json::{Value, json};

use crate::{
    authorization::{EMAIL, NOTE, SECRET_ID, bearer, vault},
    differential::generate,
};

const PIECES: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    ":",
    "$",
    "@",
    "!",
    "...",
    "\"",
    "\\",
    " ",
    "\n",
    "x: ",
    "__typename ",
    "@skip(if: true) ",
    "@include(if: $v) ",
    "...on Query { secrets { id } } ",
    "me { email } ",
    "fragment F on Query { adminNote } ",
    "...F ",
    "query Q($v: Boolean!) ",
    "#",
    "\u{0}",
    "é",
];

fn mutate(operation: &str, rng: &mut StdRng) -> String {
    let mut text: Vec<char> = operation.chars().collect();
    for _ in 0..rng.gen_range(1..=4) {
        let at = rng.gen_range(0..=text.len());
        match rng.gen_range(0..4) {
            0 if !text.is_empty() => {
                let end = (at + rng.gen_range(1..=8)).min(text.len());
                text.drain(at.min(end)..end);
            }
            1 => {
                let piece = PIECES.choose(rng).copied().unwrap_or(" ");
                text.splice(at..at, piece.chars());
            }
            2 if at < text.len() => {
                let end = (at + rng.gen_range(1..=20)).min(text.len());
                let copy: Vec<char> = text[at..end].to_vec();
                text.splice(end..end, copy);
            }
            _ => {
                let piece = PIECES.choose(rng).copied().unwrap_or(" ");
                text.extend(piece.chars());
            }
        }
    }
    text.into_iter().collect()
}

fn variables(rng: &mut StdRng) -> Value {
    match rng.gen_range(0..5) {
        0 => json!({ "v": true }),
        1 => json!({ "v": "yes" }),
        2 => json!([1, 2]),
        3 => Value::Null,
        _ => json!({ "v": { "nested": [null] } }),
    }
}

#[tokio::test]
async fn mutated_operations_never_crash_the_router_or_leak_denied_fields() {
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    let cases: usize = std::env::var("FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(300);
    println!("FUZZ_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let vault = vault(false).await;
    let document = graphql_tools::parser::schema::parse_schema::<String>(&vault.supergraph)
        .expect("supergraph")
        .into_static();
    let planner = QueryPlanner::new(&document, 1, &[]).expect("plannable");
    let seeds = generate::operations(planner.schema(), 3);
    assert!(seeds.len() >= 3, "{seeds:?}");
    let unscoped = bearer("profile", "CUSTOMER");
    let client = reqwest::Client::new();
    for case in 0..cases {
        let operation = mutate(seeds.choose(&mut rng).expect("a seed"), &mut rng);
        let token = rng.gen_bool(0.5).then_some(unscoped.as_str());
        let mut request = client
            .post(vault.router.url("/graphql"))
            .header("accept", "application/graphql-response+json")
            .json(&json!({ "query": operation, "variables": variables(&mut rng) }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the router answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        let context = format!("seed {seed}, case {case}, status {status}: {operation:?} -> {text}");
        assert!(status < 500, "{context}");
        let body: Value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {context}"));
        assert!(body.get("data").is_some() || body.get("errors").is_some(), "{context}");
        for error in body["errors"].as_array().into_iter().flatten() {
            let code = error["extensions"]["code"].as_str().unwrap_or_default();
            assert!(!code.is_empty(), "an error without a code: {context}");
        }
        // Neither caller may see these, whatever the document looks like.
        for denied in [SECRET_ID, EMAIL, NOTE] {
            assert!(!text.contains(denied), "{denied} leaked: {context}");
        }
    }
}
