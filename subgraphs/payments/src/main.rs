#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kit::telemetry::init();
    payments::run(kit::cli::Command::from_args()?).await
}
