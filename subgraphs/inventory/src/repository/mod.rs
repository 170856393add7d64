//! SQL for inventory. Functions take a connection so that the caller
//! decides the transaction.

pub mod reservations;
pub mod stock;
pub mod warehouses;
