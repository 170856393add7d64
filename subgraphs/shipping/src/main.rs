#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kit::telemetry::init();
    shipping::run(kit::cli::Command::from_args()?).await
}
