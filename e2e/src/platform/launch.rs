//! Where each service of the platform listens, and how its instances are
//! started: one instance on its own port, or several behind a round-robin
//! balancer (what a Kubernetes Service does), each instance with its own
//! link to RabbitMQ so that a test can take one instance away entirely.

use std::{collections::HashMap, net::SocketAddr};

use kit::{http::RunningApp, testing::TcpProxy};
use tokio::net::TcpListener;

/// How the platform is laid out.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// Instances of every subgraph and of the router.
    pub instances: usize,
    /// Every service reaches RabbitMQ at this address (a proxy the test can
    /// stop). Unset: the broker itself, or with several instances, a proxy
    /// per instance.
    pub broker: Option<SocketAddr>,
}

impl Default for Layout {
    fn default() -> Self {
        Self { instances: 1, broker: None }
    }
}

impl Layout {
    /// `instances` of everything, each behind a round-robin balancer.
    pub fn scaled(instances: usize) -> Self {
        Self { instances, broker: None }
    }

    fn scaled_out(self) -> bool {
        self.instances > 1
    }
}

/// One running instance of a service.
pub(super) struct Instance {
    pub name: &'static str,
    pub app: RunningApp,
    /// This instance's own link to RabbitMQ, when scaled out.
    pub broker: Option<TcpProxy>,
}

/// The addresses of one service: its instances' listeners, bound before
/// any instance starts so that services can be told each other's URLs, and
/// the balancer in front of them when there are several.
pub(super) struct Slot {
    listeners: Vec<TcpListener>,
    balancer: Option<TcpProxy>,
    url: String,
}

impl Slot {
    pub async fn bind(instances: usize) -> Self {
        let mut listeners = Vec::with_capacity(instances);
        for _ in 0..instances {
            listeners.push(TcpListener::bind("127.0.0.1:0").await.expect("bind"));
        }
        let addrs: Vec<SocketAddr> =
            listeners.iter().map(|l| l.local_addr().expect("address")).collect();
        let balancer = if instances > 1 { Some(TcpProxy::balancing(&addrs).await) } else { None };
        let addr = balancer.as_ref().map_or(addrs[0], |b| b.addr);
        Self { listeners, balancer, url: format!("http://{addr}") }
    }

    /// `http://host:port` of the service (its balancer when scaled out).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}

/// The services' slots, by name, and the instances started in them.
pub(super) struct Fleet {
    pub layout: Layout,
    pub slots: HashMap<&'static str, Slot>,
    pub instances: Vec<Instance>,
}

impl Fleet {
    pub async fn bind(layout: Layout, names: &[&'static str]) -> Self {
        let mut slots = HashMap::new();
        for name in names {
            slots.insert(*name, Slot::bind(layout.instances).await);
        }
        Self { layout, slots, instances: Vec::new() }
    }

    pub fn url(&self, name: &str, path: &str) -> String {
        self.slots.get(name).unwrap_or_else(|| panic!("no service {name}")).url(path)
    }

    /// Starts every instance of `name`: `build` gets the AMQP URL the
    /// instance must use instead of the configured one, if any.
    pub async fn launch(
        &mut self,
        name: &'static str,
        build: impl AsyncFn(Option<String>) -> server::App,
    ) {
        let listeners = std::mem::take(
            &mut self.slots.get_mut(name).unwrap_or_else(|| panic!("no service {name}")).listeners,
        );
        for listener in listeners {
            let broker = match (self.layout.broker, self.layout.scaled_out()) {
                (Some(_), _) | (None, false) => None,
                (None, true) => Some(TcpProxy::start().await),
            };
            let amqp = self.layout.broker.or(broker.as_ref().map(|b| b.addr));
            let amqp = amqp.map(|addr| format!("amqp://guest:guest@{addr}/%2f"));
            let app = build(amqp).await.spawn(listener);
            self.instances.push(Instance { name, app, broker });
        }
    }

    /// Keeps `app` with the platform's instances (stopped with them); its URL.
    pub fn adopt(&mut self, name: &'static str, app: RunningApp) -> String {
        let url = app.url("/graphql");
        self.instances.push(Instance { name, app, broker: None });
        url
    }

    /// Takes instance `index` of `name` away as a crash would: its
    /// balancer stops sending it connections and closes the open ones, its
    /// broker link drops (RabbitMQ requeues what it had not acknowledged),
    /// then it stops.
    pub async fn crash(&mut self, name: &str, index: usize) {
        let at = self
            .instances
            .iter()
            .enumerate()
            .filter(|(_, i)| i.name == name)
            .nth(index)
            .map(|(at, _)| at)
            .unwrap_or_else(|| panic!("no instance {index} of {name}"));
        let mut instance = self.instances.remove(at);
        if let Some(balancer) = self.slots.get(name).and_then(|s| s.balancer.as_ref()) {
            balancer.cut(instance.app.addr);
        }
        if let Some(broker) = instance.broker.as_mut() {
            broker.stop().await;
        }
        instance.app.stop().await;
    }

    /// Every instance's broker link down (`up: false`) or back.
    pub async fn broker_links(&mut self, up: bool) {
        for broker in self.instances.iter_mut().filter_map(|i| i.broker.as_mut()) {
            if up {
                broker.restart().await;
            } else {
                broker.stop().await;
            }
        }
    }

    pub async fn stop(self) {
        for mut instance in self.instances {
            instance.app.stop().await;
            if let Some(broker) = instance.broker.as_mut() {
                broker.stop().await;
            }
        }
        for balancer in self.slots.into_values().filter_map(|s| s.balancer) {
            let mut balancer = balancer;
            balancer.stop().await;
        }
    }
}
