//! The whole platform in-process for end-to-end tests: every real subgraph
//! on port 0, one PostgreSQL database shared by the PostgreSQL services
//! (their tables and migration versions do not meet), a fresh MongoDB
//! database, and per-test Redis prefixes, RabbitMQ exchange and queues.

use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::net::TcpListener;

/// Every consumer queue of the platform, without the test's prefix.
const CONSUMER_QUEUES: [&str; 5] =
    ["inventory.orders", "orders.saga", "payments.saga", "shipping.orders", "notifications.events"];

mod launch;

use launch::Fleet;
pub use launch::Layout;

/// The platform's services, in the order they start.
const SERVICES: [&str; 9] = [
    "users",
    "catalog",
    "inventory",
    "cart",
    "shipping",
    "orders",
    "payments",
    "notifications",
    "router",
];

pub struct Platform {
    fleet: Fleet,
    /// The suffix of the test's exchange and the prefix of its queues.
    unique: String,
    pub pool: PgPool,
    /// The composed supergraph, for extra routers with other settings.
    pub supergraph: String,
    /// Where the notifications service sends email.
    pub smtp: kit::testing::SmtpSink,
    /// The payment provider every payments instance charges (the sandbox:
    /// it counts the charges it really made).
    pub provider: payments::provider::Provider,
    orders_config: orders::OrdersConfig,
    verifier: kit::auth::JwtVerifier,
    http: reqwest::Client,
}

impl Platform {
    pub async fn start(pool: PgPool) -> Self {
        Self::start_with(pool, None).await
    }

    /// With `broker`, every service reaches RabbitMQ at that address (a
    /// proxy the test can stop).
    pub async fn start_with(test_pool: PgPool, broker: Option<std::net::SocketAddr>) -> Self {
        Self::start_laid_out(test_pool, Layout { broker, ..Layout::default() }).await
    }

    pub async fn start_laid_out(test_pool: PgPool, layout: Layout) -> Self {
        // Seven services with relays, listeners and consumers need more
        // connections than a test pool offers: open a bigger pool on the
        // same test database.
        let options = (*test_pool.connect_options()).clone();
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(60)
            .connect_with(options)
            .await
            .expect("pool");
        for migrator in [
            &users::MIGRATOR,
            &inventory::MIGRATOR,
            &orders::MIGRATOR,
            &payments::MIGRATOR,
            &shipping::MIGRATOR,
        ] {
            kit::db::migrate(&pool, migrator).await.expect("migrations");
        }
        users::seed_pool(&pool, "shopgraph-admin").await.expect("users seed");
        inventory::seed::seed(&pool).await.expect("inventory seed");
        shipping::rates::seed(&pool).await.expect("rates");
        let keys = users::keys::SigningKeys::generate().expect("keys");
        let verifier = keys.verifier();
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let isolate = |service: &mut kit::config::ServiceConfig| {
            service.events.exchange = format!("test.events.{unique}");
            service.events.queue_prefix = format!("test.{unique}.");
            service.events.outbox_poll = std::time::Duration::from_millis(50);
            service.events.retry_delay = std::time::Duration::from_millis(100);
        };
        let linked = |service: &kit::config::ServiceConfig, amqp: Option<String>| {
            let mut service = service.clone();
            if let Some(url) = amqp {
                service.events.amqp_url = url;
            }
            service
        };
        let mut fleet = Fleet::bind(layout, &SERVICES).await;

        let mut users_config = users::UsersConfig::from_env().expect("config");
        isolate(&mut users_config.service);
        fleet
            .launch("users", async |amqp| {
                let config = users::UsersConfig {
                    service: linked(&users_config.service, amqp),
                    ..users_config.clone()
                };
                users::build_with_pool(&config, pool.clone(), keys.clone())
            })
            .await;

        let mut catalog_config = catalog::CatalogConfig::from_env().expect("config");
        isolate(&mut catalog_config.service);
        catalog_config.mongo.database = format!("test_platform_{unique}");
        catalog_config.redis.key_prefix = format!("test:{unique}:catalog:");
        catalog_config.image_base_url = fleet.url("catalog", "/images");
        let database = kit::mongo::connect(&catalog_config.mongo).await.expect("mongo");
        catalog::seed::seed(&catalog::catalog(&catalog_config, &database).await.expect("catalog"))
            .await
            .expect("seed");
        fleet
            .launch("catalog", async |amqp| {
                let config = catalog::CatalogConfig {
                    service: linked(&catalog_config.service, amqp),
                    ..catalog_config.clone()
                };
                catalog::build_with(&config, database.clone(), verifier.clone())
                    .await
                    .expect("catalog")
            })
            .await;

        let mut inventory_config = inventory::InventoryConfig::from_env().expect("config");
        isolate(&mut inventory_config.service);
        inventory_config.redis.key_prefix = format!("test:{unique}:inventory:");
        fleet
            .launch("inventory", async |amqp| {
                let config = inventory::InventoryConfig {
                    service: linked(&inventory_config.service, amqp),
                    ..inventory_config.clone()
                };
                inventory::build_with_pool(&config, pool.clone(), verifier.clone())
            })
            .await;

        let mut cart_config = cart::CartConfig::from_env().expect("config");
        cart_config.redis.key_prefix = format!("test:{unique}:cart:");
        cart_config.catalog_url = fleet.url("catalog", "/graphql");
        fleet
            .launch("cart", async |_| {
                cart::build_with(&cart_config, verifier.clone()).expect("cart")
            })
            .await;

        let mut shipping_config = shipping::ShippingConfig::from_env().expect("config");
        isolate(&mut shipping_config.service);
        shipping_config.catalog_url = fleet.url("catalog", "/graphql");
        shipping_config.carrier_step = std::time::Duration::from_millis(100);
        // Shipping asks orders who owns an order.
        shipping_config.orders_url = fleet.url("orders", "/graphql");
        fleet
            .launch("shipping", async |amqp| {
                let config = shipping::ShippingConfig {
                    service: linked(&shipping_config.service, amqp),
                    ..shipping_config.clone()
                };
                shipping::build_with_pool(&config, pool.clone(), verifier.clone())
            })
            .await;

        let mut orders_config = orders::OrdersConfig::from_env().expect("config");
        isolate(&mut orders_config.service);
        orders_config.cart_url = fleet.url("cart", "/graphql");
        orders_config.catalog_url = fleet.url("catalog", "/graphql");
        orders_config.inventory_url = fleet.url("inventory", "/graphql");
        orders_config.users_url = fleet.url("users", "/graphql");
        orders_config.shipping_url = fleet.url("shipping", "/graphql");
        orders_config.payments_url = fleet.url("payments", "/graphql");
        fleet
            .launch("orders", async |amqp| {
                let config = orders::OrdersConfig {
                    service: linked(&orders_config.service, amqp),
                    ..orders_config.clone()
                };
                orders::build_with_pool(&config, pool.clone(), verifier.clone())
            })
            .await;

        let mut payments_config = payments::PaymentsConfig::from_env().expect("config");
        isolate(&mut payments_config.service);
        payments_config.stripe_webhook_secrets = vec![STRIPE_WEBHOOK_SECRET.to_owned()];
        let provider = payments::provider(&payments_config);
        fleet
            .launch("payments", async |amqp| {
                let config = payments::PaymentsConfig {
                    service: linked(&payments_config.service, amqp),
                    ..payments_config.clone()
                };
                payments::build_with(&config, pool.clone(), provider.clone(), verifier.clone())
            })
            .await;

        let smtp = kit::testing::SmtpSink::start().await;
        let mut notifications_config =
            notifications::NotificationsConfig::from_env().expect("config");
        isolate(&mut notifications_config.service);
        notifications_config.mongo.database = format!("test_platform_notifications_{unique}");
        notifications_config.smtp.host = smtp.addr.ip().to_string();
        notifications_config.smtp.port = smtp.addr.port();
        notifications_config.email = notifications::EmailTransport::Smtp;
        let database = kit::mongo::connect(&notifications_config.mongo).await.expect("mongo");
        fleet
            .launch("notifications", async |amqp| {
                let config = notifications::NotificationsConfig {
                    service: linked(&notifications_config.service, amqp),
                    ..notifications_config.clone()
                };
                notifications::build_with(&config, database.clone(), verifier.clone())
                    .await
                    .expect("notifications")
            })
            .await;

        let source = |name: &str, sdl: String| router::compose::SubgraphSource {
            name: name.into(),
            routing_url: fleet.url(name, "/graphql"),
            sdl,
        };
        let supergraph = router::compose::compose(&[
            source("users", users::schema_sdl()),
            source("catalog", catalog::schema_sdl()),
            source("inventory", inventory::schema_sdl()),
            source("cart", cart::schema_sdl()),
            source("orders", orders::schema_sdl()),
            source("payments", payments::schema_sdl()),
            source("shipping", shipping::schema_sdl()),
            source("notifications", notifications::schema_sdl()),
        ])
        .unwrap_or_else(|e| panic!("{e:?}"));
        let router_config = shopgraph::with_shopgraph_auth(
            router::RouterConfig::default(),
            &fleet.url("users", ""),
        );
        fleet
            .launch("router", async |_| {
                router::build_from_sdl(router_config.clone(), &supergraph, None).expect("router")
            })
            .await;
        let platform = Self {
            fleet,
            unique: unique.clone(),
            pool,
            supergraph,
            smtp,
            provider,
            orders_config,
            verifier,
            http: reqwest::Client::new(),
        };
        platform.wait_for_consumers(&unique).await;
        platform
    }

    /// Stops every service and closes the pool, so the test database can be
    /// dropped when the test ends. Call it last in every test.
    pub async fn stop(self) {
        // Straight to RabbitMQ: a test may have cut its proxy.
        let mut direct = kit::config::EventsConfig::from_env().expect("config");
        direct.exchange.clone_from(&self.orders_config.service.events.exchange);
        let (broker, unique) = (kit::events::Broker::new(direct), self.unique);
        self.fleet.stop().await;
        self.pool.close().await;
        delete_queues(&broker, &unique).await;
    }

    /// `http://host:port{path}` of the router (its balancer when scaled out).
    pub fn router_url(&self, path: &str) -> String {
        self.fleet.url("router", path)
    }

    /// `http://host:port{path}` of a service (its balancer when scaled out).
    pub fn url(&self, service: &str, path: &str) -> String {
        self.fleet.url(service, path)
    }

    /// The platform's RabbitMQ exchange, for publishing events directly.
    pub fn broker(&self) -> kit::events::Broker {
        kit::events::Broker::new(self.orders_config.service.events.clone())
    }

    /// Adds a DELIVERED row to an order's history directly, as a status
    /// change would, but without announcing it (see `status_event`).
    pub async fn record_status_row(&self, order: &str, reason: &str) {
        sqlx::query("INSERT INTO order_status_history (order_id, status, reason, at) VALUES ($1::uuid, 'DELIVERED', $2, clock_timestamp())")
            .bind(order)
            .bind(reason)
            .execute(&self.pool)
            .await
            .expect("a history row");
    }

    /// Takes the first instance of `name` away, as a crash would.
    pub async fn kill(&mut self, name: &str) {
        self.fleet.crash(name, 0).await;
    }

    /// Every instance's link to RabbitMQ down, or back (scaled out only).
    pub async fn broker_links(&mut self, up: bool) {
        self.fleet.broker_links(up).await;
    }

    /// Another orders instance on the same database and exchange, on its
    /// own port (not behind the balancer); stopped with the platform.
    pub async fn second_orders(&mut self) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let app =
            orders::build_with_pool(&self.orders_config, self.pool.clone(), self.verifier.clone());
        self.fleet.adopt("orders-2", app.spawn(listener))
    }

    /// Another router on this platform's subgraphs with other settings
    /// (and Shopgraph's token verification, unless they set their own).
    pub async fn router_with(&mut self, config: router::RouterConfig) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let config = shopgraph::with_shopgraph_auth(config, &self.fleet.url("users", ""));
        let app = router::build_from_sdl(config, &self.supergraph, None).expect("router");
        self.fleet.adopt("router-2", app.spawn(listener))
    }

    /// The saga's queues are bound and consumed before the first event is
    /// published.
    async fn wait_for_consumers(&self, unique: &str) {
        let broker =
            kit::events::Broker::new(kit::config::EventsConfig::from_env().expect("config"));
        for queue in CONSUMER_QUEUES {
            let name = format!("test.{unique}.{queue}");
            let mut ready = false;
            // Generous: on two busy cores (CI builds beside the tests) eight
            // services can take several seconds to bind their queues.
            for _ in 0..800 {
                let channel = broker.channel().await.expect("channel");
                let passive =
                    lapin::options::QueueDeclareOptions { passive: true, ..Default::default() };
                // Consuming starts after the bindings exist.
                let queue = channel
                    .queue_declare(
                        name.as_str().into(),
                        passive,
                        lapin::types::FieldTable::default(),
                    )
                    .await;
                if queue.is_ok_and(|q| q.consumer_count() > 0) {
                    ready = true;
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
            assert!(ready, "queue {name} never appeared");
        }
    }

    pub async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        self.post_as(&json!({ "query": query, "variables": variables }), token).await
    }

    /// Posts a whole GraphQL request body (with `extensions`, say).
    pub async fn post(&self, body: &Value) -> Value {
        self.post_as(body, None).await
    }

    async fn post_as(&self, body: &Value, token: Option<&str>) -> Value {
        let mut request = self.http.post(self.router_url("/graphql")).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("router").json().await.expect("json")
    }

    /// Puts `quantity` of `product` in the customer's cart; the response.
    pub async fn add_to_cart(&self, token: &str, product: &str, quantity: i32) -> Value {
        self.graphql(
            "mutation($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { itemCount } }",
            json!({ "p": product, "q": quantity }),
            Some(token),
        )
        .await
    }

    /// Registers a customer; their access token.
    pub async fn customer(&self, email: &str) -> String {
        let response = self
            .graphql(
                "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
                json!({ "i": { "email": email, "password": "correct horse battery", "name": "Shopper" } }),
                None,
            )
            .await;
        response["data"]["register"]["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("{response}"))
            .to_owned()
    }

    /// The seeded admin's access token.
    pub async fn admin(&self) -> String {
        let login = self
            .graphql(
                "mutation($e: String!) { login(email: $e, password: \"shopgraph-admin\") { accessToken } }",
                json!({ "e": users::ADMIN_EMAIL }),
                None,
            )
            .await;
        login["data"]["login"]["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("{login}"))
            .to_owned()
    }

    /// Ids of the first `n` products matching `search`.
    pub async fn products(&self, search: &str, n: usize) -> Vec<String> {
        let response = self
            .graphql("query($s: String) { products(first: 20, filter: { search: $s }) { edges { node { id availableQuantity } } } }", json!({ "s": search }), None)
            .await;
        response["data"]["products"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{response}"))
            .iter()
            .filter(|e| e["node"]["availableQuantity"].as_i64().unwrap_or(0) > 0)
            .take(n)
            .map(|e| e["node"]["id"].as_str().expect("id").to_owned())
            .collect()
    }

    pub async fn available(&self, product: &str) -> i64 {
        let response = self
            .graphql(
                "query($id: ID) { product(id: $id) { availableQuantity } }",
                json!({ "id": product }),
                None,
            )
            .await;
        response["data"]["product"]["availableQuantity"]
            .as_i64()
            .unwrap_or_else(|| panic!("{response}"))
    }

    pub async fn checkout(&self, token: &str, payment_token: &str, key: &str) -> Value {
        self.checkout_paying(token, json!({ "paymentToken": payment_token }), key).await
    }

    /// Checkout with `payment` (`{"paymentToken": …}` or
    /// `{"paymentMethodId": …}`) merged into the input.
    pub async fn checkout_paying(&self, token: &str, payment: Value, key: &str) -> Value {
        let mut input = json!({ "idempotencyKey": key,
            "shippingAddress": { "name": "Shopper", "line1": "1 Main St", "city": "London", "postalCode": "N1 9GU", "country": "GB" } });
        if let (Some(input), Some(payment)) = (input.as_object_mut(), payment.as_object()) {
            input.extend(payment.clone());
        }
        self.graphql(
            "mutation($i: CheckoutInput!) { checkout(input: $i) { id status } }",
            json!({ "i": input }),
            Some(token),
        )
        .await
    }

    /// Polls the order until it has reached `expected` (or 15 s pass). A
    /// paid order may already be on its way: PAID is reached by FULFILLING,
    /// SHIPPED and DELIVERED too.
    pub async fn wait_for_status(&self, token: &str, order: &str, expected: &str) -> Value {
        let mut last = Value::Null;
        for _ in 0..300 {
            last = self
                .graphql(
                    "query($id: ID!) { order(id: $id) { status payment { status attempts } } }",
                    json!({ "id": order }),
                    Some(token),
                )
                .await;
            if last["data"]["order"]["status"]
                .as_str()
                .is_some_and(|status| reached(status, expected))
            {
                return last;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("order {order} never became {expected}: {last}");
    }
}

/// The payments service's Stripe webhook signing secret here: tests sign
/// webhooks with it as Stripe would.
pub const STRIPE_WEBHOOK_SECRET: &str = "whsec_platform_tests";

/// The `order.status_changed` event announcing rows added by
/// `record_status_row`.
pub fn status_event(order: &str) -> kit::events::Envelope {
    kit::events::Envelope::new(
        "orders",
        "order.status_changed",
        order,
        json!({ "orderId": order, "status": "DELIVERED" }),
        None,
    )
}

/// Whether an order in `status` has got as far as `expected`.
pub fn reached(status: &str, expected: &str) -> bool {
    const JOURNEY: [&str; 4] = ["PAID", "FULFILLING", "SHIPPED", "DELIVERED"];
    match (JOURNEY.iter().position(|s| *s == status), JOURNEY.iter().position(|s| *s == expected)) {
        (Some(at), Some(wanted)) => at >= wanted,
        _ => status == expected,
    }
}

/// The test's queues and exchange go with it, once nothing consumes them
/// (a consumer would declare them again): quorum queues each keep a
/// replicated log, which the shared broker should not accumulate.
async fn delete_queues(broker: &kit::events::Broker, unique: &str) {
    let Ok(channel) = broker.channel().await else { return };
    for queue in CONSUMER_QUEUES {
        let name = format!("test.{unique}.{queue}");
        for queue in [format!("{name}.dlq"), format!("{name}.retry"), name] {
            let options = lapin::options::QueueDeleteOptions::default();
            let _ = channel.queue_delete(queue.as_str().into(), options).await;
        }
    }
    let options = lapin::options::ExchangeDeleteOptions::default();
    let _ = channel.exchange_delete(broker.exchange().into(), options).await;
}
