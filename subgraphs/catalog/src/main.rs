#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kit::telemetry::init();
    catalog::run(kit::cli::Command::from_args()?).await
}
