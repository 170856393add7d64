#[tokio::main]
async fn main() -> std::process::ExitCode {
    kit::cli::run::<orders::OrdersSubgraph>(env!("CARGO_PKG_VERSION")).await
}
