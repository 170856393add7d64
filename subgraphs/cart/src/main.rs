#[tokio::main]
async fn main() -> std::process::ExitCode {
    kit::cli::run::<cart::CartSubgraph>(env!("CARGO_PKG_VERSION")).await
}
