#[tokio::main]
async fn main() -> std::process::ExitCode {
    kit::cli::run::<catalog::CatalogSubgraph>(env!("CARGO_PKG_VERSION")).await
}
