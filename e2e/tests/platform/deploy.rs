//! What the containers are told agrees with what the code expects: the
//! router's deployment config, docker-compose.yml and the Dockerfile are
//! read here and checked against the supergraph, the services' ports and
//! the token settings. No Docker runs in CI; this is what can be checked
//! without one.

use std::collections::BTreeMap;

use serde_yaml::Value;

fn repository_file(path: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Each subgraph of the checked-in supergraph and its port there.
fn subgraph_ports() -> BTreeMap<String, u16> {
    let supergraph = repository_file("schema/supergraph.graphql");
    let ports: BTreeMap<String, u16> = supergraph
        .lines()
        .filter_map(|line| {
            let (_, rest) = line.split_once("@join__graph(name: \"")?;
            let (name, rest) = rest.split_once('"')?;
            let (_, url) = rest.split_once("url: \"")?;
            let port = url.split(':').nth(2)?.split('/').next()?.parse().ok()?;
            Some((name.to_owned(), port))
        })
        .collect();
    assert_eq!(ports.len(), 8, "{ports:?}");
    ports
}

fn compose() -> Value {
    let mut compose: Value =
        serde_yaml::from_str(&repository_file("docker-compose.yml")).expect("YAML");
    compose.apply_merge().expect("merge keys");
    compose
}

fn text<'a>(value: &'a Value, what: &str) -> &'a str {
    value.as_str().unwrap_or_else(|| panic!("{what} is not a string: {value:?}"))
}

#[test]
fn the_routers_deployment_config_reaches_every_subgraph_and_trusts_users_tokens() {
    let config: router::RouterConfig =
        serde_yaml::from_str(&repository_file("deploy/router.yaml")).expect("a router config");
    for (name, port) in subgraph_ports() {
        assert_eq!(
            config.subgraph_urls.get(&name).map(String::as_str),
            Some(format!("http://{name}:{port}/graphql").as_str()),
            "{name}"
        );
    }
    assert_eq!(config.subgraph_urls.len(), 8);
    assert_eq!(config.auth.jwks_urls, ["http://users:4001/.well-known/jwks.json"]);
    assert_eq!(config.auth.issuers, [kit::auth::ISSUER]);
    let admin = &config.authorization.policies[kit::directives::ADMIN_POLICY];
    assert_eq!(admin.claim, "role");
    assert_eq!(admin.equals, serde_json::to_value(kit::auth::Role::Admin).ok());
}

#[test]
fn compose_runs_each_service_on_its_port_and_wires_them_to_each_other() {
    let compose = compose();
    let services = &compose["services"];
    let ports = subgraph_ports();
    let signing_key = text(&services["users"]["environment"]["SERVICE_SIGNING_KEYS"], "key");
    for (name, port) in &ports {
        let service = &services[name.as_str()];
        assert_eq!(service["command"][0], Value::from(name.as_str()), "{name} runs its binary");
        assert_eq!(service["image"], "shopgraph:latest");
        let health = service["healthcheck"]["test"][3].as_str().unwrap_or_default();
        assert_eq!(health, format!("http://127.0.0.1:{port}/ready"), "{name}'s healthcheck");
        let environment = &service["environment"];
        assert_eq!(environment["OTEL_SERVICE_NAME"], Value::from(name.as_str()));
        assert_eq!(text(&environment["SERVICE_SIGNING_KEYS"], "key"), signing_key);
        // Every URL a service is given names a service and its port.
        for (variable, value) in environment.as_mapping().expect("environment") {
            let variable = text(variable, "variable");
            if let Some(upstream) = variable.strip_suffix("_URL").map(str::to_ascii_lowercase)
                && let Some(upstream_port) = ports.get(&upstream)
            {
                let expected = format!("http://{upstream}:{upstream_port}/graphql");
                assert_eq!(text(value, variable), expected, "{name}: {variable}");
            }
        }
        assert_eq!(
            services["router"]["depends_on"][name.as_str()]["condition"],
            "service_healthy",
            "the router waits for {name}"
        );
    }
    // The router signs with the key the services check, and reads the
    // deployment config it is given.
    let router = &services["router"];
    assert_eq!(text(&router["environment"]["ROUTER_SUBGRAPH_SIGNING_KEY"], "key"), signing_key);
    let config_path = text(&router["command"][2], "--config");
    let mounted = router["volumes"]
        .as_sequence()
        .expect("volumes")
        .iter()
        .any(|v| text(v, "volume") == format!("./deploy/router.yaml:{config_path}:ro"));
    assert!(mounted, "deploy/router.yaml is not mounted at {config_path}");
    // The seed runs each service's seed once they have migrated.
    let seed = text(&services["seed"]["command"][2], "seed command");
    for name in ["users", "catalog", "inventory", "shipping", "notifications"] {
        assert!(seed.contains(&format!("{name} seed")), "{seed}");
        assert_eq!(services["seed"]["depends_on"][name]["condition"], "service_healthy");
    }
    // Prometheus reads the scrape config whose targets these services are.
    let scrape = repository_file("deploy/prometheus/prometheus.yml");
    for (name, port) in &ports {
        assert!(scrape.contains(&format!("{name}:{port}")), "{name} is not scraped");
    }
}

#[test]
fn the_image_holds_every_binary_compose_runs() {
    let dockerfile = repository_file("Dockerfile");
    let compose = compose();
    let services = compose["services"].as_mapping().expect("services");
    for (name, service) in services {
        let name = text(name, "service");
        if service["image"] != "shopgraph:latest" {
            continue;
        }
        let command = &service["command"];
        let binaries: Vec<String> = if command[0] == "sh" {
            let script = text(&command[2], "script");
            script
                .split("&&")
                .filter_map(|step| step.split_whitespace().next())
                .map(str::to_owned)
                .collect()
        } else {
            vec![text(&command[0], "binary").to_owned()]
        };
        for binary in binaries {
            assert!(dockerfile.contains(&format!("-p {binary}")), "{name}: {binary} is not built");
            assert!(
                dockerfile.contains(&format!("/src/target/release/{binary}")),
                "{name}: {binary} is not copied into the image"
            );
        }
    }
    assert!(dockerfile.contains("USER 10001"), "the image runs as root");
}

#[test]
fn the_kubernetes_router_config_is_the_deployment_config_and_the_current_supergraph() {
    // kustomize reads only files below its root: the router's ConfigMap is
    // built from copies, which must not drift.
    for (copy, original) in [
        ("deploy/kubernetes/base/router/router.yaml", "deploy/router.yaml"),
        ("deploy/kubernetes/base/router/supergraph.graphql", "schema/supergraph.graphql"),
    ] {
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            std::fs::write(root.join(copy), repository_file(original)).expect("write the copy");
        }
        assert!(
            repository_file(copy) == repository_file(original),
            "{copy} differs from {original}: run with UPDATE_SCHEMA=1"
        );
    }
}
