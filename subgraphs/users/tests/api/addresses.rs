use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{TestApp, error_code};

const ADD: &str =
    "mutation($input: AddressInput!) { addAddress(input: $input) { id isDefault country } }";
const LIST: &str = "{ me { addresses { id isDefault line1 } } }";

fn address(line1: &str, is_default: Option<bool>) -> Value {
    json!({ "input": {
        "name": "Ada", "line1": line1, "city": "London", "postalCode": "N1 9GU",
        "country": "gb", "isDefault": is_default
    }})
}

async fn defaults(app: &TestApp, token: &str) -> Vec<(String, bool)> {
    let response = app.graphql(LIST, json!({}), Some(token)).await;
    response["data"]["me"]["addresses"]
        .as_array()
        .unwrap_or_else(|| panic!("{response}"))
        .iter()
        .map(|a| (a["line1"].as_str().expect("line1").to_owned(), a["isDefault"] == true))
        .collect()
}

#[sqlx::test(migrations = false)]
async fn the_first_address_is_default_and_the_default_can_move(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let token = app.register("ada@example.com", "Ada").await.access_token;

    let first = app.graphql(ADD, address("1 First St", None), Some(&token)).await;
    assert_eq!(first["data"]["addAddress"]["isDefault"], true, "{first}");
    assert_eq!(first["data"]["addAddress"]["country"], "GB");
    app.graphql(ADD, address("2 Second St", Some(false)), Some(&token)).await;
    assert_eq!(
        defaults(&app, &token).await,
        [("1 First St".into(), true), ("2 Second St".into(), false)]
    );

    app.graphql(ADD, address("3 Third St", Some(true)), Some(&token)).await;
    let now = defaults(&app, &token).await;
    assert_eq!(now.iter().filter(|(_, d)| *d).count(), 1);
    assert_eq!(now[0], ("3 Third St".into(), true));
}

#[sqlx::test(migrations = false)]
async fn removing_or_unsetting_the_default_promotes_another(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let token = app.register("ada@example.com", "Ada").await.access_token;
    let first = app.graphql(ADD, address("1 First St", None), Some(&token)).await;
    let first_id = first["data"]["addAddress"]["id"].as_str().expect("id").to_owned();
    let second = app.graphql(ADD, address("2 Second St", None), Some(&token)).await;
    let second_id = second["data"]["addAddress"]["id"].as_str().expect("id").to_owned();

    let update = "mutation($id: ID!, $input: AddressInput!) { updateAddress(id: $id, input: $input) { isDefault line1 } }";
    let mut vars = address("1 First Street", Some(false));
    vars["id"] = json!(first_id);
    let updated = app.graphql(update, vars, Some(&token)).await;
    assert_eq!(updated["data"]["updateAddress"]["isDefault"], false, "{updated}");
    assert_eq!(defaults(&app, &token).await[0], ("2 Second St".into(), true));

    let removed = app
        .graphql(
            "mutation($id: ID!) { removeAddress(id: $id) }",
            json!({ "id": second_id }),
            Some(&token),
        )
        .await;
    assert_eq!(removed["data"]["removeAddress"], true, "{removed}");
    assert_eq!(defaults(&app, &token).await, [("1 First Street".into(), true)]);
}

#[sqlx::test(migrations = false)]
async fn other_peoples_addresses_are_not_found_and_bad_input_is_refused(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let ada = app.register("ada@example.com", "Ada").await.access_token;
    let eve = app.register("eve@example.com", "Eve").await.access_token;
    let added = app.graphql(ADD, address("1 First St", None), Some(&ada)).await;
    let id = added["data"]["addAddress"]["id"].as_str().expect("id").to_owned();

    let stolen = app
        .graphql("mutation($id: ID!) { removeAddress(id: $id) }", json!({ "id": id }), Some(&eve))
        .await;
    assert_eq!(error_code(&stolen), "NOT_FOUND");
    assert_eq!(defaults(&app, &ada).await.len(), 1);

    let mut bad_country = address("1 First St", None);
    bad_country["input"]["country"] = json!("Narnia");
    assert_eq!(error_code(&app.graphql(ADD, bad_country, Some(&ada)).await), "BAD_USER_INPUT");
    assert_eq!(
        error_code(&app.graphql(ADD, address("   ", None), Some(&ada)).await),
        "BAD_USER_INPUT"
    );
    assert_eq!(
        error_code(&app.graphql(ADD, address("1 First St", None), None).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(defaults(&app, &ada).await.len(), 1);
}
