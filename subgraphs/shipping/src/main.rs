#[tokio::main]
async fn main() -> std::process::ExitCode {
    kit::cli::run::<shipping::ShippingSubgraph>(env!("CARGO_PKG_VERSION")).await
}
