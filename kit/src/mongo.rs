//! MongoDB setup for the services that keep documents.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use mongodb::{
    Client, Database,
    event::{EventHandler, command::CommandEvent},
    options::ClientOptions,
};

use crate::config::MongoConfig;

/// Told the name of every command the driver starts.
pub type CommandObserver = Arc<dyn Fn(&str) + Send + Sync>;

/// Connects and checks the server answers.
pub async fn connect(config: &MongoConfig) -> anyhow::Result<Database> {
    connect_with(config, None).await
}

/// As [`connect`], reporting every command the driver starts to `observer`
/// (tests count queries with it).
pub async fn connect_with(
    config: &MongoConfig,
    observer: Option<CommandObserver>,
) -> anyhow::Result<Database> {
    let mut options = ClientOptions::parse(&config.url)
        .await
        .with_context(|| format!("invalid MONGODB_URL {}", config.url))?;
    options.app_name = Some("shopgraph".into());
    options.server_selection_timeout = Some(Duration::from_secs(5));
    options.connect_timeout = Some(Duration::from_secs(5));
    if let Some(observer) = observer {
        options.command_event_handler = Some(EventHandler::callback(move |event| {
            if let CommandEvent::Started(started) = event {
                observer(&started.command_name);
            }
        }));
    }
    let client = Client::with_options(options)?;
    let database = client.database(&config.database);
    database
        .run_command(mongodb::bson::doc! { "ping": 1 })
        .await
        .with_context(|| format!("MongoDB at {} did not answer", config.url))?;
    Ok(database)
}

/// Duplicate-key errors (E11000) from any write.
pub fn is_duplicate_key(error: &mongodb::error::Error) -> bool {
    use mongodb::error::{ErrorKind, WriteFailure};
    match error.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) => e.code == 11000,
        ErrorKind::Command(e) => e.code == 11000,
        ErrorKind::InsertMany(e) => e.write_errors.iter().flatten().any(|w| w.code == 11000),
        _ => error.to_string().contains("E11000"),
    }
}
