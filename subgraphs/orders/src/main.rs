#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kit::telemetry::init();
    orders::run(kit::cli::Command::from_args()?).await
}
