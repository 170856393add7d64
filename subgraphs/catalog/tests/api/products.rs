use serde_json::{Value, json};

use crate::helpers::{TestCatalog, error_code};

const CREATE: &str = "mutation($input: ProductInput!) { createProduct(input: $input) { id sku slug price { amount currency formatted } } }";

fn input(sku: &str, name: &str, amount: i64, currency: &str) -> Value {
    json!({ "input": { "sku": sku, "name": name, "description": "d", "weightGrams": 100,
                       "price": { "amount": amount, "currency": currency } } })
}

#[tokio::test]
async fn admins_create_products_with_unique_sku_and_slug() {
    let catalog = TestCatalog::new().await;
    let admin = catalog.admin();
    let first =
        catalog.graphql(CREATE, input("ab-1", "Oak Chair", 1299, "usd"), Some(&admin)).await;
    let product = &first["data"]["createProduct"];
    assert_eq!(product["sku"], "AB-1", "{first}");
    assert_eq!(product["slug"], "oak-chair");
    assert_eq!(
        product["price"],
        json!({ "amount": 1299, "currency": "USD", "formatted": "$12.99" })
    );

    let same_name =
        catalog.graphql(CREATE, input("AB-2", "Oak Chair", 1, "USD"), Some(&admin)).await;
    assert_eq!(same_name["data"]["createProduct"]["slug"], "oak-chair-2", "{same_name}");

    let same_sku = catalog.graphql(CREATE, input("ab-1", "Other", 1, "USD"), Some(&admin)).await;
    assert_eq!(error_code(&same_sku), "CONFLICT");
}

#[tokio::test]
async fn bad_product_input_is_refused_and_nothing_is_stored() {
    let catalog = TestCatalog::new().await;
    let admin = catalog.admin();
    for (vars, why) in [
        (input("A-1", "Chair", -1, "USD"), "negative price"),
        (input("A-1", "Chair", 1, "XYZ"), "unknown currency"),
        (input("A-1", "  ", 1, "USD"), "empty name"),
        (input("bad sku!", "Chair", 1, "USD"), "bad sku"),
    ] {
        let response = catalog.graphql(CREATE, vars, Some(&admin)).await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{why}: {response}");
    }
    let customer = catalog.customer(uuid::Uuid::new_v4());
    let forbidden = catalog.graphql(CREATE, input("A-1", "Chair", 1, "USD"), Some(&customer)).await;
    assert_eq!(error_code(&forbidden), "FORBIDDEN");
    let anonymous = catalog.graphql(CREATE, input("A-1", "Chair", 1, "USD"), None).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let all = catalog.graphql("{ products { totalCount } }", json!({}), None).await;
    assert_eq!(all["data"]["products"]["totalCount"], 0, "{all}");
}

#[tokio::test]
async fn search_is_case_and_accent_insensitive_and_matches_prefixes() {
    let catalog = TestCatalog::new().await;
    catalog.create("T-1", "Crème Brûlée Torch", 2500, json!({ "tags": ["Kitchen"] })).await;
    catalog.create("T-2", "Garden Hose", 1500, json!({})).await;
    let search =
        "query($s: String!) { products(filter: { search: $s }) { edges { node { name } } } }";
    for term in ["creme", "BRULEE tor", "crè", "kitch", "t-1"] {
        let response = catalog.graphql(search, json!({ "s": term }), None).await;
        let names: Vec<&str> = response["data"]["products"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{response}"))
            .iter()
            .filter_map(|e| e["node"]["name"].as_str())
            .collect();
        assert_eq!(names, ["Crème Brûlée Torch"], "search {term:?}");
    }
    let none = catalog.graphql(search, json!({ "s": "creme hose" }), None).await;
    assert_eq!(none["data"]["products"]["edges"], json!([]));
}

async fn page(
    catalog: &TestCatalog,
    sort: &str,
    after: Option<&str>,
) -> (Vec<String>, Option<String>) {
    let response = catalog
        .graphql(
            "query($sort: ProductSort, $after: String) { products(sort: $sort, first: 2, after: $after) {
                edges { node { sku } } pageInfo { hasNextPage endCursor } } }",
            json!({ "sort": sort, "after": after }),
            None,
        )
        .await;
    let connection = &response["data"]["products"];
    let skus = connection["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{response}"))
        .iter()
        .map(|e| e["node"]["sku"].as_str().expect("sku").to_owned())
        .collect();
    let next = (connection["pageInfo"]["hasNextPage"] == true)
        .then(|| connection["pageInfo"]["endCursor"].as_str().expect("cursor").to_owned());
    (skus, next)
}

#[tokio::test]
async fn pages_stay_stable_when_products_are_inserted_between_them() {
    let catalog = TestCatalog::new().await;
    for (sku, price) in [("P-1", 500), ("P-2", 100), ("P-3", 300), ("P-4", 200)] {
        catalog.create(sku, sku, price, json!({})).await;
    }
    let (first, cursor) = page(&catalog, "PRICE_ASC", None).await;
    assert_eq!(first, ["P-2", "P-4"]);
    // Inserted before the cursor in price order: must not shift the next page.
    catalog.create("P-5", "P-5", 50, json!({})).await;
    let (second, cursor) = page(&catalog, "PRICE_ASC", cursor.as_deref()).await;
    assert_eq!(second, ["P-3", "P-1"]);
    assert_eq!(cursor, None);

    let (newest, cursor) = page(&catalog, "NEWEST", None).await;
    assert_eq!(newest, ["P-5", "P-4"]);
    catalog.create("P-6", "P-6", 50, json!({})).await;
    let (older, _) = page(&catalog, "NEWEST", cursor.as_deref()).await;
    assert_eq!(older, ["P-3", "P-2"]);

    let garbage =
        catalog.graphql("{ products(after: \"!!\") { totalCount } }", json!({}), None).await;
    assert_eq!(error_code(&garbage), "BAD_USER_INPUT");
    let capped =
        catalog.graphql("{ products(first: 1000) { edges { cursor } } }", json!({}), None).await;
    assert_eq!(capped["data"]["products"]["edges"].as_array().map(Vec::len), Some(6), "{capped}");
}

#[tokio::test]
async fn category_filters_include_descendants_and_price_ranges_apply() {
    let catalog = TestCatalog::new().await;
    let admin = catalog.admin();
    let create = "mutation($input: CategoryInput!) { createCategory(input: $input) { id slug parent { name } } }";
    let furniture =
        catalog.graphql(create, json!({ "input": { "name": "Furniture" } }), Some(&admin)).await;
    let furniture_id = furniture["data"]["createCategory"]["id"].as_str().expect("id").to_owned();
    let seating = catalog
        .graphql(
            create,
            json!({ "input": { "name": "Seating", "parentId": furniture_id } }),
            Some(&admin),
        )
        .await;
    assert_eq!(seating["data"]["createCategory"]["parent"]["name"], "Furniture", "{seating}");
    let seating_id = seating["data"]["createCategory"]["id"].as_str().expect("id").to_owned();
    catalog.create("F-1", "Table", 9000, json!({ "categoryId": furniture_id })).await;
    catalog.create("S-1", "Stool", 3000, json!({ "categoryId": seating_id })).await;
    catalog.create("X-1", "Lamp", 4000, json!({})).await;

    let query =
        "query($f: ProductFilter) { products(filter: $f, sort: NAME) { edges { node { sku } } } }";
    let skus = |r: Value| -> Vec<String> {
        r["data"]["products"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["sku"].as_str().expect("sku").to_owned())
            .collect()
    };
    let in_furniture =
        catalog.graphql(query, json!({ "f": { "categoryId": furniture_id } }), None).await;
    assert_eq!(skus(in_furniture), ["S-1", "F-1"]);
    let cheap =
        catalog.graphql(query, json!({ "f": { "minPrice": 3000, "maxPrice": 4000 } }), None).await;
    assert_eq!(skus(cheap), ["X-1", "S-1"]);
    let inverted =
        catalog.graphql(query, json!({ "f": { "minPrice": 5, "maxPrice": 1 } }), None).await;
    assert_eq!(error_code(&inverted), "BAD_USER_INPUT");
    let tree = catalog
        .graphql(
            "{ categories { name children { name } products { totalCount } } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(
        tree["data"]["categories"],
        json!([
            { "name": "Furniture", "children": [{ "name": "Seating" }], "products": { "totalCount": 2 } },
            { "name": "Seating", "children": [], "products": { "totalCount": 1 } },
        ])
    );
}

#[tokio::test]
async fn update_and_delete_change_what_clients_see() {
    let catalog = TestCatalog::new().await;
    let admin = catalog.admin();
    let id = catalog.create("U-1", "Desk", 1000, json!({})).await;
    let update = "mutation($id: ID!, $input: ProductUpdateInput!) { updateProduct(id: $id, input: $input) { name price { amount } } }";
    let updated = catalog
        .graphql(update, json!({ "id": id, "input": { "name": "Standing Desk", "price": { "amount": 1500, "currency": "USD" } } }), Some(&admin))
        .await;
    assert_eq!(
        updated["data"]["updateProduct"],
        json!({ "name": "Standing Desk", "price": { "amount": 1500 } })
    );
    let found = catalog
        .graphql("{ products(filter: { search: \"standing\" }) { totalCount } }", json!({}), None)
        .await;
    assert_eq!(found["data"]["products"]["totalCount"], 1);

    let deleted = catalog
        .graphql("mutation($id: ID!) { deleteProduct(id: $id) }", json!({ "id": id }), Some(&admin))
        .await;
    assert_eq!(deleted["data"]["deleteProduct"], true, "{deleted}");
    let gone = catalog
        .graphql("query($id: ID) { product(id: $id) { id } }", json!({ "id": id }), None)
        .await;
    assert_eq!(gone["data"]["product"], Value::Null);
    let again = catalog
        .graphql("mutation($id: ID!) { deleteProduct(id: $id) }", json!({ "id": id }), Some(&admin))
        .await;
    assert_eq!(error_code(&again), "NOT_FOUND");
    // The SKU is free again.
    catalog.create("U-1", "Desk", 1000, json!({})).await;
}

#[tokio::test]
async fn a_product_is_found_by_id_or_slug_but_not_both() {
    let catalog = TestCatalog::new().await;
    let id = catalog.create("S-1", "Bamboo Cutting Board", 1999, json!({})).await;
    let by_slug = catalog
        .graphql("{ product(slug: \"bamboo-cutting-board\") { id name } }", json!({}), None)
        .await;
    assert_eq!(by_slug["data"]["product"], json!({ "id": id, "name": "Bamboo Cutting Board" }));
    let by_id = catalog
        .graphql("query($id: ID) { product(id: $id) { slug } }", json!({ "id": id }), None)
        .await;
    assert_eq!(by_id["data"]["product"]["slug"], "bamboo-cutting-board");
    let both = catalog
        .graphql(
            "query($id: ID) { product(id: $id, slug: \"x\") { id } }",
            json!({ "id": id }),
            None,
        )
        .await;
    assert_eq!(error_code(&both), "BAD_USER_INPUT");
    let missing = catalog.graphql("{ product(slug: \"nope\") { id } }", json!({}), None).await;
    assert_eq!(missing["data"]["product"], Value::Null);
}
