#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kit::telemetry::init();
    users::run(kit::cli::Command::from_args()?).await
}
