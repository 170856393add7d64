//! Four small subgraphs that exercise Federation 2: products, inventory,
//! reviews and accounts. Their data is fixed so expected responses can be
//! written by hand.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use async_graphql::{
    ComplexObject, Context, EmptyMutation, EmptySubscription, ID, Interface, Object, Result,
    Schema, SimpleObject, Union,
};

/// Things the tests observe across subgraphs.
#[derive(Default, Clone)]
pub struct Probe {
    /// Mutation side effects, in the order they happened.
    pub log: Arc<Mutex<Vec<String>>>,
    /// `_entities` representations each subgraph has resolved.
    pub products_resolved: Arc<AtomicUsize>,
    pub accounts_resolved: Arc<AtomicUsize>,
    /// Times accounts' `slow` ran.
    pub slow_calls: Arc<AtomicUsize>,
}

impl Probe {
    pub fn count(counter: &AtomicUsize) -> usize {
        counter.load(Ordering::SeqCst)
    }
}

// ------------------------------------------------------------ products

pub mod products {
    use super::*;

    pub const DATA: &[(&str, &str, i32, i32, i32, i32)] = &[
        // upc, name, price, weight, width, height
        ("1", "Table", 899, 100, 10, 20),
        ("2", "Couch", 1299, 1000, 50, 30),
        ("3", "Chair", 54, 50, 5, 10),
    ];

    #[derive(SimpleObject, Clone)]
    #[graphql(shareable)]
    pub struct Dims {
        pub width: i32,
        pub height: i32,
    }

    #[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
    pub enum Category {
        Furniture,
        Seating,
    }

    #[derive(SimpleObject, Clone)]
    #[graphql(complex)]
    pub struct Product {
        pub upc: ID,
        #[graphql(shareable)]
        pub name: String,
        pub category: Category,
        pub price: i32,
        pub weight: i32,
        pub dims: Dims,
        /// Hidden from clients by @inaccessible.
        #[graphql(inaccessible)]
        pub internal_code: String,
    }

    #[ComplexObject]
    impl Product {
        /// Overridden by inventory: this answer must never be used.
        async fn in_stock(&self) -> bool {
            false
        }
    }

    #[derive(SimpleObject, Clone)]
    pub struct Gift {
        pub upc: ID,
        pub name: String,
    }

    #[derive(Interface, Clone)]
    #[graphql(field(name = "upc", ty = "&ID"), field(name = "name", ty = "&String"))]
    pub enum Item {
        Product(Product),
        Gift(Gift),
    }

    #[derive(Union, Clone)]
    pub enum SearchResult {
        Product(Product),
        Gift(Gift),
    }

    pub fn product(upc: &str) -> Option<Product> {
        DATA.iter().find(|p| p.0 == upc).map(|&(upc, name, price, weight, width, height)| Product {
            upc: ID(upc.into()),
            name: name.into(),
            price,
            weight,
            dims: Dims { width, height },
            category: if upc == "3" { Category::Seating } else { Category::Furniture },
            internal_code: format!("INT-{upc}"),
        })
    }

    fn gift() -> Gift {
        Gift { upc: ID("g1".into()), name: "Gift card".into() }
    }

    pub struct Query;

    #[Object]
    impl Query {
        async fn top_products(&self, #[graphql(default = 5)] first: i32) -> Vec<Product> {
            DATA.iter().take(first as usize).filter_map(|p| product(p.0)).collect()
        }
        async fn product(&self, upc: ID) -> Option<Product> {
            product(&upc)
        }
        async fn by_category(&self, category: Category) -> Vec<Product> {
            DATA.iter().filter_map(|p| product(p.0)).filter(|p| p.category == category).collect()
        }
        async fn items(&self) -> Vec<Item> {
            vec![
                Item::Product(product("1").expect("p1")),
                Item::Gift(gift()),
                Item::Product(product("3").expect("p3")),
            ]
        }
        async fn search(&self) -> Vec<SearchResult> {
            vec![SearchResult::Gift(gift()), SearchResult::Product(product("2").expect("p2"))]
        }
        #[graphql(entity)]
        async fn find_product(&self, ctx: &Context<'_>, upc: ID) -> Option<Product> {
            ctx.data_unchecked::<Probe>().products_resolved.fetch_add(1, Ordering::SeqCst);
            product(&upc)
        }
        #[graphql(entity)]
        async fn find_gift(&self, upc: ID) -> Option<Gift> {
            (upc.as_str() == "g1").then(gift)
        }
        #[graphql(entity)]
        async fn find_item(&self, upc: ID) -> Option<Item> {
            if upc.as_str() == "g1" {
                Some(Item::Gift(gift()))
            } else {
                product(&upc).map(Item::Product)
            }
        }
    }

    pub struct Mutation;

    #[Object]
    impl Mutation {
        /// Appends to the shared log; returns the position written.
        async fn record(&self, ctx: &Context<'_>, entry: String) -> usize {
            let mut log = ctx.data_unchecked::<Probe>().log.lock().expect("log");
            log.push(format!("products:{entry}"));
            log.len()
        }
    }

    pub fn schema(probe: Probe) -> Schema<Query, Mutation, EmptySubscription> {
        Schema::build(Query, Mutation, EmptySubscription).enable_federation().data(probe).finish()
    }
}

// ------------------------------------------------------------ inventory

pub mod inventory {
    use super::*;

    #[derive(SimpleObject, Clone)]
    #[graphql(shareable)]
    pub struct Dims {
        pub width: i32,
        pub height: i32,
    }

    /// The part of `Dims` that `shippingEstimate` requires.
    #[derive(async_graphql::InputObject)]
    pub struct RequiredDims {
        pub width: i32,
    }

    #[derive(SimpleObject)]
    #[graphql(complex)]
    pub struct Product {
        pub upc: ID,
        #[graphql(external)]
        pub weight: Option<i32>,
        #[graphql(external)]
        pub dims: Option<Dims>,
    }

    #[ComplexObject]
    impl Product {
        #[graphql(override_from = "products")]
        async fn in_stock(&self) -> bool {
            self.upc.as_str() != "2"
        }
        /// weight * 2 + width, from fields other subgraphs own.
        #[graphql(requires = "weight dims { width }")]
        async fn shipping_estimate(&self) -> Result<i32> {
            let weight = self.weight.ok_or("weight was not provided")?;
            let width = self.dims.as_ref().ok_or("dims were not provided")?.width;
            Ok(weight * 2 + width)
        }
        /// Nullable, fails for upc 2.
        async fn warehouse(&self) -> Result<Option<String>> {
            if self.upc.as_str() == "2" {
                Err("warehouse lookup failed".into())
            } else {
                Ok(Some(format!("WH-{}", self.upc.as_str())))
            }
        }
        /// Non-null, fails for upc 2.
        async fn stock_code(&self) -> Result<String> {
            if self.upc.as_str() == "2" {
                Err("no stock code".into())
            } else {
                Ok(format!("SC-{}", self.upc.as_str()))
            }
        }
    }

    pub struct Query;

    #[Object]
    impl Query {
        #[graphql(entity)]
        async fn find_product(
            &self,
            #[graphql(key)] upc: ID,
            weight: Option<i32>,
            dims: Option<RequiredDims>,
        ) -> Product {
            let dims = dims.map(|d| Dims { width: d.width, height: 0 });
            Product { upc, weight, dims }
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription).enable_federation().finish()
    }
}

// ------------------------------------------------------------ reviews

pub mod reviews {
    use super::*;

    pub const DATA: &[(&str, &str, &str, &str)] = &[
        // id, body, product upc, author id
        ("r1", "Sturdy", "1", "a1"),
        ("r2", "Too big", "2", "a2"),
        ("r3", "Love it", "1", "a2"),
    ];
    const USERNAMES: &[(&str, &str)] = &[("a1", "ada"), ("a2", "alan")];

    #[derive(SimpleObject, Clone)]
    pub struct Review {
        pub id: ID,
        pub body: String,
        pub product: Product,
        #[graphql(provides = "username")]
        pub author: Account,
    }

    #[derive(SimpleObject, Clone)]
    #[graphql(complex)]
    pub struct Product {
        pub upc: ID,
    }

    #[ComplexObject]
    impl Product {
        /// Shareable with products: reviews keeps product names too.
        #[graphql(shareable)]
        async fn name(&self) -> String {
            super::products::DATA
                .iter()
                .find(|p| p.0 == self.upc.as_str())
                .map(|p| p.1.to_owned())
                .unwrap_or_default()
        }
        async fn reviews(&self) -> Vec<Review> {
            all().into_iter().filter(|r| r.product.upc == self.upc).collect()
        }
        /// Nullable, so a reviews outage leaves the rest of a product intact.
        async fn review_count(&self) -> Option<i32> {
            Some(all().iter().filter(|r| r.product.upc == self.upc).count() as i32)
        }
    }

    #[derive(SimpleObject, Clone)]
    #[graphql(complex)]
    pub struct Account {
        pub id: ID,
        #[graphql(external)]
        pub username: String,
    }

    #[ComplexObject]
    impl Account {
        async fn reviews(&self) -> Vec<Review> {
            all().into_iter().filter(|r| r.author.id == self.id).collect()
        }
    }

    /// The `Item` interface, seen from here as an object.
    #[derive(SimpleObject)]
    #[graphql(interface_object)]
    pub struct Item {
        pub upc: ID,
        pub average_rating: Option<f64>,
    }

    fn all() -> Vec<Review> {
        DATA.iter()
            .map(|&(id, body, upc, author)| Review {
                id: ID(id.into()),
                body: body.into(),
                product: Product { upc: ID(upc.into()) },
                author: Account {
                    id: ID(author.into()),
                    username: USERNAMES
                        .iter()
                        .find(|u| u.0 == author)
                        .map(|u| u.1.to_owned())
                        .unwrap_or_default(),
                },
            })
            .collect()
    }

    pub struct Query;

    #[Object]
    impl Query {
        async fn latest_reviews(&self) -> Vec<Review> {
            all()
        }
        /// Items as this subgraph knows them: an interface object, whose
        /// concrete types only products can tell.
        async fn top_rated_items(&self) -> Vec<Item> {
            vec![
                Item { upc: ID("g1".into()), average_rating: Some(5.0) },
                Item { upc: ID("1".into()), average_rating: Some(4.5) },
            ]
        }
        async fn best_item(&self) -> Option<Item> {
            Some(Item { upc: ID("3".into()), average_rating: None })
        }
        #[graphql(entity)]
        async fn find_product(&self, upc: ID) -> Product {
            Product { upc }
        }
        #[graphql(entity)]
        async fn find_account(&self, id: ID) -> Account {
            let username = USERNAMES
                .iter()
                .find(|u| u.0 == id.as_str())
                .map(|u| u.1.to_owned())
                .unwrap_or_default();
            Account { id, username }
        }
        #[graphql(entity)]
        async fn find_item(&self, upc: ID) -> Item {
            let average_rating = match upc.as_str() {
                "1" => Some(4.5),
                "2" => Some(2.0),
                "g1" => Some(5.0),
                _ => None,
            };
            Item { upc, average_rating }
        }
    }

    pub struct Mutation;

    #[Object]
    impl Mutation {
        /// Appends to the shared log; returns the position written.
        async fn note(&self, ctx: &Context<'_>, entry: String) -> usize {
            let mut log = ctx.data_unchecked::<Probe>().log.lock().expect("log");
            log.push(format!("reviews:{entry}"));
            log.len()
        }
    }

    pub fn schema(probe: Probe) -> Schema<Query, Mutation, EmptySubscription> {
        Schema::build(Query, Mutation, EmptySubscription).enable_federation().data(probe).finish()
    }
}

// ------------------------------------------------------------ accounts

pub mod accounts {
    use super::*;

    pub const DATA: &[(&str, &str, &str)] =
        &[("a1", "Ada Lovelace", "ada"), ("a2", "Alan Turing", "alan")];

    #[derive(SimpleObject, Clone)]
    pub struct Account {
        pub id: ID,
        pub name: String,
        #[graphql(shareable)]
        pub username: String,
    }

    fn account(id: &str) -> Option<Account> {
        DATA.iter().find(|a| a.0 == id).map(|&(id, name, username)| Account {
            id: ID(id.into()),
            name: name.into(),
            username: username.into(),
        })
    }

    pub struct Query;

    #[Object]
    impl Query {
        async fn accounts(&self) -> Vec<Account> {
            DATA.iter().filter_map(|a| account(a.0)).collect()
        }
        /// Answers after two seconds, for timeout and deduplication tests.
        async fn slow(&self, ctx: &Context<'_>) -> String {
            ctx.data_unchecked::<Probe>().slow_calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            "finally".into()
        }
        #[graphql(entity)]
        async fn find_account(&self, ctx: &Context<'_>, id: ID) -> Option<Account> {
            ctx.data_unchecked::<Probe>().accounts_resolved.fetch_add(1, Ordering::SeqCst);
            account(&id)
        }
    }

    pub fn schema(probe: Probe) -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription)
            .enable_federation()
            .data(probe)
            .finish()
    }
}
