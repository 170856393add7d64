//! The router against real subgraphs (async-graphql on port 0), composed by
//! `router compose`'s own code at test time. Expected responses are written
//! by hand from the GraphQL and Federation specs.

mod abstract_types;
mod browse;
mod checkout;
mod composition;
mod entities;
mod failures;
mod fixtures;
mod helpers;
mod http;
mod live;
mod loading;
mod node_client;
mod operations;
mod platform;
mod whole_system;
mod ws_client;
mod ws_protocol;
