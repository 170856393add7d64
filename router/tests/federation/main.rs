//! The router alone, against small fixture subgraphs (async-graphql on
//! port 0) composed by `router compose`'s own code at test time. Expected responses are written
//! by hand from the GraphQL and Federation specs.

mod abstract_types;
mod api_schema;
mod auth;
mod authorization;
mod check;
mod composition;
mod context;
mod dedupe;
mod defer;
mod differential;
mod edge;
mod entities;
mod failures;
mod fixtures;
mod fuzz;
mod graphiql;
mod helpers;
mod http;
mod limits;
mod loading;
mod metrics;
mod operations;
mod persisted;
mod progressive_override;
mod query_plan;
mod rate_limit;
mod requires_abstract;
mod requires_arguments;
mod signing;
mod websocket;
