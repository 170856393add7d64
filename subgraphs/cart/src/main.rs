#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kit::telemetry::init();
    cart::run(kit::cli::Command::from_args()?).await
}
