//! The catalog against SecantusDB (or MongoDB) and Redis. Every test gets
//! its own database and Redis key prefix.

mod caching;
mod entities;
mod events;
mod helpers;
mod products;
mod reviews;
mod schema_file;
