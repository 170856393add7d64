use std::{sync::OnceLock, time::Duration};

use kit::{auth::Role, events::Envelope, http::RunningApp, testing::SmtpSink};
use notifications::NotificationsConfig;
use serde_json::{Value, json};
use users::keys::SigningKeys;
use uuid::Uuid;

fn keys() -> SigningKeys {
    static KEYS: OnceLock<SigningKeys> = OnceLock::new();
    KEYS.get_or_init(|| SigningKeys::generate().expect("key")).clone()
}

/// The service on port 0 with its own database, exchange, queues and SMTP
/// sink; retries fast.
pub struct TestNotifications {
    pub app: RunningApp,
    pub smtp: SmtpSink,
    pub database: mongodb::Database,
    broker: kit::events::Broker,
}

impl TestNotifications {
    pub async fn start() -> Self {
        let smtp = SmtpSink::start().await;
        let unique = Uuid::new_v4().simple().to_string();
        let mut config = NotificationsConfig::from_env().expect("config");
        config.mongo.database = format!("test_notifications_{unique}");
        config.service.events.exchange = format!("test.events.{unique}");
        config.service.events.queue_prefix = format!("test.{unique}.");
        config.service.events.retry_delay = Duration::from_millis(100);
        config.smtp.port = smtp.addr.port();
        config.smtp.host = smtp.addr.ip().to_string();
        config.max_attempts = 3;
        config.retry_base = Duration::from_millis(50);
        config.poll = Duration::from_millis(50);
        let database = kit::mongo::connect(&config.mongo).await.expect("mongo");
        let app = notifications::build_with(&config, database.clone(), keys().verifier())
            .await
            .expect("build")
            .spawn(tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind"));
        let broker = kit::events::Broker::new(config.service.events.clone());
        let service = Self { app, smtp, database, broker };
        service.wait_for_queue(&format!("test.{unique}.notifications.events")).await;
        service
    }

    async fn wait_for_queue(&self, name: &str) {
        for _ in 0..200 {
            let channel = self.broker.channel().await.expect("channel");
            let passive =
                lapin::options::QueueDeclareOptions { passive: true, ..Default::default() };
            // A consumer only starts after its bindings exist: before that,
            // a published event could find no queue bound and be dropped.
            let queue = channel.queue_declare(name.into(), passive, Default::default()).await;
            if queue.is_ok_and(|q| q.consumer_count() > 0) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("queue {name} never got its consumer");
    }

    pub async fn publish(&self, envelope: &Envelope) {
        kit::events::consumer::publish_direct(&self.broker, envelope).await.expect("publish");
    }

    pub fn customer(&self, id: Uuid) -> String {
        keys().access_token(id, Role::Customer).expect("token")
    }

    pub fn admin(&self) -> String {
        keys().access_token(Uuid::new_v4(), Role::Admin).expect("token")
    }

    pub async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        kit::testing::graphql_at(&self.app.url("/graphql"), query, variables, token).await
    }

    /// The user's notifications, newest first, polling until `until` holds
    /// (or 10 s pass).
    pub async fn inbox(&self, user: Uuid, until: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { notifications(first: 50) { totalCount edges { node { id channel template subject body status attempts readAt } } } } } }";
        let token = self.customer(user);
        let mut last = Vec::new();
        for _ in 0..200 {
            let response = self
                .graphql(
                    query,
                    json!({ "r": [{ "__typename": "User", "id": user }] }),
                    Some(&token),
                )
                .await;
            last = response["data"]["_entities"][0]["notifications"]["edges"]
                .as_array()
                .unwrap_or_else(|| panic!("{response}"))
                .iter()
                .map(|e| e["node"].clone())
                .collect();
            if until(&last) {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the inbox never got there: {last:#?}");
    }

    pub async fn stop(self) {
        self.app.stop().await;
        let _ = self.database.drop().await;
    }
}

pub fn registered(user: Uuid, email: &str, name: &str) -> Envelope {
    Envelope::new(
        "users",
        "user.registered",
        user,
        json!({ "userId": user, "email": email, "name": name }),
        None,
    )
}

pub fn order_created(order: Uuid, customer: Uuid, number: &str) -> Envelope {
    Envelope::new(
        "orders",
        "order.created",
        order,
        json!({ "orderId": order, "number": number, "customerId": customer, "items": [],
                "total": { "amount": 12345, "currency": "USD" }, "paymentToken": "tok_visa" }),
        None,
    )
}

pub fn status_changed(order: Uuid, customer: Uuid, status: &str) -> Envelope {
    Envelope::new(
        "orders",
        "order.status_changed",
        order,
        json!({ "orderId": order, "customerId": customer, "status": status, "previousStatus": "FULFILLING" }),
        None,
    )
}

/// `order.status_changed` as orders sends it now: it names the order's
/// number and total, so it can be handled before `order.created`.
pub fn described_status_change(
    order: Uuid,
    customer: Uuid,
    number: &str,
    status: &str,
) -> Envelope {
    Envelope::new(
        "orders",
        "order.status_changed",
        order,
        json!({ "orderId": order, "customerId": customer, "number": number, "status": status,
                "previousStatus": "FULFILLING", "total": { "amount": 12345, "currency": "USD" } }),
        None,
    )
}
