#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kit::telemetry::init();
    router::run(std::env::args().skip(1).collect()).await
}
