//! Demo catalog: categories, 56 products with fixed ids (`kit::demo`), and
//! reviews by the demo customers. Idempotent: existing documents are kept.

use kit::{demo, money::Money};

use crate::{
    catalog::Catalog,
    domain,
    events::{self, PRODUCT_CREATED},
    store::{
        documents::{CategoryDoc, ProductDoc, ReviewDoc, now_ms},
        is_duplicate_key,
    },
};

/// (id, name, parent id)
const CATEGORIES: &[(&str, &str, Option<&str>)] = &[
    ("cat-furniture", "Furniture", None),
    ("cat-seating", "Seating", Some("cat-furniture")),
    ("cat-tables", "Tables", Some("cat-furniture")),
    ("cat-kitchen", "Kitchen", None),
    ("cat-cookware", "Cookware", Some("cat-kitchen")),
    ("cat-lighting", "Lighting", None),
    ("cat-textiles", "Textiles", None),
];

/// (category, names): eight products per leaf-ish category, 56 in all.
const PRODUCTS: &[(&str, [&str; 8])] = &[
    (
        "cat-seating",
        [
            "Oak Dining Chair",
            "Velvet Armchair",
            "Café Bar Stool",
            "Rattan Lounge Chair",
            "Ergonomic Desk Chair",
            "Folding Garden Chair",
            "Leather Ottoman",
            "Rocking Chair",
        ],
    ),
    (
        "cat-tables",
        [
            "Walnut Dining Table",
            "Marble Coffee Table",
            "Standing Desk",
            "Nesting Side Tables",
            "Pine Kitchen Table",
            "Glass Console Table",
            "Round Bistro Table",
            "Bedside Table",
        ],
    ),
    (
        "cat-cookware",
        [
            "Cast Iron Skillet",
            "Copper Saucepan",
            "Dutch Oven",
            "Nonstick Frying Pan",
            "Stock Pot",
            "Wok",
            "Crêpe Pan",
            "Steamer Basket",
        ],
    ),
    (
        "cat-kitchen",
        [
            "Chef's Knife",
            "Bamboo Cutting Board",
            "Espresso Maker",
            "Ceramic Mixing Bowls",
            "Pepper Mill",
            "Tea Kettle",
            "Salad Spinner",
            "Measuring Cups",
        ],
    ),
    (
        "cat-lighting",
        [
            "Brass Floor Lamp",
            "Pendant Light",
            "Desk Lamp",
            "Paper Lantern",
            "Wall Sconce",
            "LED Strip",
            "Table Lamp",
            "Candle Holder",
        ],
    ),
    (
        "cat-textiles",
        [
            "Linen Duvet Cover",
            "Wool Throw",
            "Cotton Bath Towel",
            "Jute Rug",
            "Velvet Cushion",
            "Blackout Curtains",
            "Waffle Bathrobe",
            "Table Runner",
        ],
    ),
    (
        "cat-furniture",
        [
            "Bookshelf",
            "Shoe Rack",
            "Coat Stand",
            "Storage Bench",
            "Wardrobe",
            "Chest of Drawers",
            "TV Stand",
            "Wall Shelf",
        ],
    ),
];

pub async fn seed(catalog: &Catalog) -> anyhow::Result<()> {
    for &(id, name, parent) in CATEGORIES {
        let ancestors = match parent {
            Some(parent) => CATEGORIES
                .iter()
                .find(|c| c.0 == parent)
                .map(|c| c.2.into_iter().map(str::to_owned).chain([parent.to_owned()]).collect())
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let category = CategoryDoc {
            id: id.into(),
            slug: domain::slugify(name),
            name: name.into(),
            parent_id: parent.map(str::to_owned),
            ancestors,
        };
        ignore_duplicate(catalog.store.insert_category(&category).await)?;
    }
    let customers = demo::customer_ids();
    let mut n: u128 = 0;
    let mut created = 0;
    for &(category, names) in PRODUCTS {
        for name in names {
            let product = demo_product(n, category, name);
            if ignore_duplicate(catalog.store.insert_product(&product).await)? {
                created += 1;
            }
            // Roughly two in three products get reviews, from 1-3 customers.
            for (k, author) in customers.iter().enumerate().take((n % 4) as usize) {
                let rating = 3 + ((n as usize + k) % 3) as i32;
                let review = ReviewDoc {
                    id: format!("review-{n}-{k}"),
                    product_id: product.id.clone(),
                    author_id: author.to_string(),
                    rating,
                    title: ["Lovely", "Does the job", "Great value"][k].into(),
                    body: format!(
                        "{} — {} out of 5.",
                        ["Beautifully made.", "Solid and simple.", "Would buy again."][k],
                        rating
                    ),
                    created_at_ms: product.created_at_ms + 1000 * (k as i64 + 1),
                };
                if ignore_duplicate(catalog.store.insert_review(&review).await)? {
                    catalog.store.count_review(&review.product_id, rating).await?;
                    catalog.cache.invalidate(&review.product_id).await;
                }
            }
            n += 1;
        }
    }
    tracing::info!(created, "catalog seed applied");
    Ok(())
}

fn demo_product(n: u128, category: &str, name: &str) -> ProductDoc {
    let sku = format!("SG-{:04}", n + 1);
    let tags: Vec<String> = match n % 3 {
        0 => vec!["bestseller".into()],
        1 => vec!["new".into(), "eco".into()],
        _ => vec![],
    };
    let created = now_ms() - (demo::PRODUCT_COUNT - n) as i64 * 60_000;
    let mut product = ProductDoc {
        id: demo::product_id(n).to_string(),
        slug: domain::slugify(name),
        name_key: domain::fold(name),
        search_terms: domain::search_terms(name, &sku, &tags),
        sku,
        name: name.into(),
        description: format!("{name}: a Shopgraph demo product."),
        price: Money { amount: 1_000 + (n as i64 * 737) % 49_000, currency: "USD".into() },
        images: vec![format!("https://images.shopgraph.dev/{}.jpg", domain::slugify(name))],
        media: Vec::new(),
        category_id: Some(category.into()),
        tags,
        weight_grams: 200 + (n as i32 * 311) % 20_000,
        rating_sum: 0,
        review_count: 0,
        average_rating: None,
        rating_key: -1.0,
        created_at_ms: created,
        updated_at_ms: created,
        deleted: false,
        pending_events: Vec::new(),
    };
    product.pending_events.push(events::product_event(PRODUCT_CREATED, &product, None));
    product
}

/// `Ok(true)` if written, `Ok(false)` if it was already there.
fn ignore_duplicate(result: mongodb::error::Result<()>) -> anyhow::Result<bool> {
    match result {
        Ok(()) => Ok(true),
        Err(e) if is_duplicate_key(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}
