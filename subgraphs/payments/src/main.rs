#[tokio::main]
async fn main() -> std::process::ExitCode {
    kit::cli::run::<payments::PaymentsSubgraph>(env!("CARGO_PKG_VERSION")).await
}
