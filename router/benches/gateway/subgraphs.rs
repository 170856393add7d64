//! The four subgraphs of the public federation gateway benchmark, in its
//! shape: accounts (users), products (`topProducts`), inventory (`inStock`,
//! and `shippingEstimate` requiring price and weight) and reviews (users'
//! and products' reviews, each with its author and product). Our own data:
//! lists of a few to a few dozen items, and review bodies of a few hundred
//! bytes, so the nested query's response is about 100 KB.

use async_graphql::{
    ComplexObject, EmptyMutation, EmptySubscription, ID, Object, Schema, SimpleObject,
};

const USERS: usize = 6;
const PRODUCTS: usize = 8;
const REVIEWS: usize = 18;

const BODIES: [&str; 3] = [
    "Solid and well made. It arrived two days early, the box was intact and assembly took ten minutes with the included tools. After a month of daily use nothing has loosened, the finish shows no wear and the colour matches the photos. I would buy it again and have already recommended it to friends.",
    "Good value for the price, though the instructions could be clearer: two of the diagrams show the panels the wrong way round. Once built it feels sturdy. The delivery driver called ahead, which I appreciated. Docked one star for the packaging, which used far more plastic than it needed to.",
    "Not what I expected. The material is thinner than described and one of the legs was scratched on arrival. Customer service replaced the part within a week without any fuss, so I am keeping it, but check the dimensions carefully before ordering if your space is tight.",
];

fn user_id(i: usize) -> String {
    format!("{}", i + 1)
}

fn upc(i: usize) -> String {
    format!("{}", i + 1)
}

/// Review `i` is by user `i % USERS` about product `(i * 5) % PRODUCTS`.
fn review(i: usize) -> reviews::Review {
    reviews::Review {
        id: ID(format!("{}", i + 1)),
        body: BODIES[i % BODIES.len()].to_owned(),
        author_id: user_id(i % USERS),
        product_upc: upc((i * 5) % PRODUCTS),
    }
}

fn index_of(id: &str) -> Option<usize> {
    id.parse::<usize>().ok()?.checked_sub(1)
}

pub mod accounts {
    use super::*;

    #[derive(SimpleObject, Clone)]
    pub struct User {
        pub id: ID,
        pub name: String,
        pub username: String,
    }

    fn user(i: usize) -> Option<User> {
        const NAMES: [(&str, &str); USERS] = [
            ("Ada Lovelace", "ada"),
            ("Alan Turing", "alan"),
            ("Grace Hopper", "grace"),
            ("Edsger Dijkstra", "edsger"),
            ("Barbara Liskov", "barbara"),
            ("Donald Knuth", "don"),
        ];
        let (name, username) = NAMES.get(i)?;
        Some(User { id: ID(user_id(i)), name: (*name).into(), username: (*username).into() })
    }

    pub struct Query;

    #[Object]
    impl Query {
        async fn users(&self) -> Vec<User> {
            (0..USERS).filter_map(user).collect()
        }
        async fn user(&self, id: ID) -> Option<User> {
            index_of(&id).and_then(user)
        }
        async fn me(&self) -> Option<User> {
            user(0)
        }
        #[graphql(entity)]
        async fn find_user_by_id(&self, id: ID) -> Option<User> {
            index_of(&id).and_then(user)
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription).enable_federation().finish()
    }
}

pub mod products {
    use super::*;

    #[derive(SimpleObject, Clone)]
    pub struct Product {
        pub upc: String,
        pub name: String,
        pub price: i32,
        pub weight: i32,
    }

    fn product(i: usize) -> Option<Product> {
        const NAMES: [&str; PRODUCTS] =
            ["Table", "Couch", "Chair", "Lamp", "Desk", "Shelf", "Rug", "Stool"];
        let name = NAMES.get(i)?;
        let step = i32::try_from(i).ok()?;
        Some(Product {
            upc: upc(i),
            name: (*name).into(),
            price: 99 + 150 * step,
            weight: 20 + 35 * step,
        })
    }

    pub struct Query;

    #[Object]
    impl Query {
        async fn top_products(&self, #[graphql(default = 5)] first: i32) -> Vec<Product> {
            (0..usize::try_from(first).unwrap_or(0).min(PRODUCTS)).filter_map(product).collect()
        }
        #[graphql(entity)]
        async fn find_product_by_upc(&self, upc: String) -> Option<Product> {
            index_of(&upc).and_then(product)
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription).enable_federation().finish()
    }
}

pub mod inventory {
    use super::*;

    #[derive(SimpleObject)]
    #[graphql(complex)]
    pub struct Product {
        pub upc: String,
        #[graphql(external)]
        pub price: Option<i32>,
        #[graphql(external)]
        pub weight: Option<i32>,
    }

    #[ComplexObject]
    impl Product {
        async fn in_stock(&self) -> bool {
            index_of(&self.upc).is_some_and(|i| i % 4 != 3)
        }
        /// Free over 1000, otherwise half the weight.
        #[graphql(requires = "price weight")]
        async fn shipping_estimate(&self) -> Option<i32> {
            let (price, weight) = (self.price?, self.weight?);
            Some(if price > 1000 { 0 } else { weight / 2 })
        }
    }

    pub struct Query;

    #[Object]
    impl Query {
        #[graphql(entity)]
        async fn find_product_by_upc(
            &self,
            #[graphql(key)] upc: String,
            price: Option<i32>,
            weight: Option<i32>,
        ) -> Product {
            Product { upc, price, weight }
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription).enable_federation().finish()
    }
}

pub mod reviews {
    use super::*;

    #[derive(SimpleObject, Clone)]
    #[graphql(complex)]
    pub struct Review {
        pub id: ID,
        pub body: String,
        #[graphql(skip)]
        pub author_id: String,
        #[graphql(skip)]
        pub product_upc: String,
    }

    #[ComplexObject]
    impl Review {
        async fn author(&self) -> User {
            User { id: ID(self.author_id.clone()) }
        }
        async fn product(&self) -> Product {
            Product { upc: self.product_upc.clone() }
        }
    }

    #[derive(SimpleObject)]
    #[graphql(complex)]
    pub struct User {
        pub id: ID,
    }

    #[ComplexObject]
    impl User {
        async fn reviews(&self) -> Vec<Review> {
            (0..REVIEWS).map(review).filter(|r| r.author_id == self.id.as_str()).collect()
        }
    }

    #[derive(SimpleObject)]
    #[graphql(complex)]
    pub struct Product {
        pub upc: String,
    }

    #[ComplexObject]
    impl Product {
        async fn reviews(&self) -> Vec<Review> {
            (0..REVIEWS).map(review).filter(|r| r.product_upc == self.upc).collect()
        }
    }

    pub struct Query;

    #[Object]
    impl Query {
        #[graphql(entity)]
        async fn find_user_by_id(&self, id: ID) -> User {
            User { id }
        }
        #[graphql(entity)]
        async fn find_product_by_upc(&self, upc: String) -> Product {
            Product { upc }
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription).enable_federation().finish()
    }
}
