#[tokio::main]
async fn main() -> std::process::ExitCode {
    kit::cli::run::<users::UsersSubgraph>(env!("CARGO_PKG_VERSION")).await
}
