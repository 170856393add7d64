#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kit::telemetry::init();
    notifications::run(kit::cli::Command::from_args()?).await
}
