//! Section 6: what exporting traces costs. A process has one global
//! subscriber, so each setting runs in a child process of this bench
//! (sections 1-3 only): logging alone, then traces exported over OTLP to a
//! collector in this process with the sampler at ratio 0.01 and at 1.0.
//! The children alternate, round after round, so drift on a shared
//! machine hits each alike; each round's router overhead p50 is read from
//! the child's output and the medians compared.

use std::{
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use axum::{Router, body::Bytes, extract::State, routing::post};

/// Set in a child: it installs the process's telemetry from the
/// environment (`OTEL_*`) before anything starts.
const CHILD: &str = "BENCH_TRACE_CHILD";

/// Rounds of the three children; `BENCH_TRACE_ROUNDS` changes it.
const ROUNDS: usize = 7;

/// In a child, the telemetry it runs with; `None` in the parent.
pub fn child_telemetry() -> Option<server::telemetry::Telemetry> {
    std::env::var_os(CHILD).map(|_| server::telemetry::init("router"))
}

/// The settings compared: a label and the child's extra environment.
fn settings(collector: &str) -> [(&'static str, Vec<(&'static str, String)>); 3] {
    let export = |ratio: &str| {
        vec![
            ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.to_owned()),
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio".to_owned()),
            ("OTEL_TRACES_SAMPLER_ARG", ratio.to_owned()),
        ]
    };
    [
        ("logging only", Vec::new()),
        ("traces, ratio 0.01", export("0.01")),
        ("traces, ratio 1.0", export("1.0")),
    ]
}

pub async fn compare(requests: u64) {
    let received = Arc::new(AtomicU64::new(0));
    let app = Router::new()
        .route(
            "/v1/traces",
            post(|State(received): State<Arc<AtomicU64>>, body: Bytes| async move {
                received.fetch_add(body.len() as u64, Ordering::Relaxed);
            }),
        )
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let collector = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    let settings = settings(&collector);
    let rounds = std::env::var("BENCH_TRACE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ROUNDS)
        .max(1);
    let mut overheads: [Vec<f64>; 3] = Default::default();
    for _ in 0..rounds {
        for ((_, env), overheads) in settings.iter().zip(&mut overheads) {
            overheads.push(child_overhead(env, requests).await);
        }
    }
    let median = |values: &mut Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    println!();
    let baseline = median(&mut overheads[0]);
    for ((label, _), overheads) in settings.iter().zip(&mut overheads) {
        let p50 = median(overheads);
        println!(
            "{label:<30}: overhead p50 {p50:>6.0} us (median of {rounds} runs), ratio {:.3} ({:+.1}%)",
            p50 / baseline,
            (p50 - baseline) / baseline * 100.0
        );
    }
    println!(
        "{:<30}: {} KiB of OTLP received",
        "collector",
        received.load(Ordering::Relaxed) / 1024
    );
}

/// One child run of sections 1-3 with `env`; its router overhead p50.
async fn child_overhead(env: &[(&str, String)], requests: u64) -> f64 {
    let bench = std::env::current_exe().expect("this bench");
    let env: Vec<(String, String)> =
        env.iter().map(|(name, value)| ((*name).to_owned(), value.clone())).collect();
    // A blocking child on a thread of its own: the collector it exports to
    // runs on this runtime. (Not tokio's process driver: the bench would
    // then measure a runtime the router binary does not have.)
    let run = move || {
        std::process::Command::new(bench)
            .arg("--bench")
            .env(CHILD, "1")
            .env("BENCH_SECTIONS", "")
            .env("BENCH_SECONDS", "0")
            .env("BENCH_REQUESTS", requests.to_string())
            .envs(env)
            .stderr(Stdio::inherit())
            .output()
    };
    let output = tokio::task::spawn_blocking(run).await.expect("joined").expect("child bench");
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find(|line| line.starts_with("router overhead"))
        .and_then(|line| line.split_whitespace().nth(4))
        .and_then(|p50| p50.parse().ok())
        .unwrap_or_else(|| panic!("no overhead in the child's output:\n{text}"))
}
