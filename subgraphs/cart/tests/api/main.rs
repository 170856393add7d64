//! The cart against real Redis (a fresh key prefix per test) and the real
//! catalog subgraph (SecantusDB) for prices.

mod cart;
mod helpers;
mod schema_file;
