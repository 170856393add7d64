#[tokio::main]
async fn main() -> std::process::ExitCode {
    kit::cli::run::<inventory::InventorySubgraph>(env!("CARGO_PKG_VERSION")).await
}
