#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kit::telemetry::init();
    shopgraph::run().await
}
