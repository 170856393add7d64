#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kit::telemetry::init();
    inventory::run(kit::cli::Command::from_args()?).await
}
