#[tokio::main]
async fn main() -> std::process::ExitCode {
    kit::cli::run::<notifications::NotificationsSubgraph>(env!("CARGO_PKG_VERSION")).await
}
