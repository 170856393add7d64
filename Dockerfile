# One image for the whole platform: every binary, each service chosen by
# its command (`docker run shopgraph router`, `... orders`, `... users seed`).
#
#   docker build -t shopgraph .
#
# Dependencies are compiled in their own layer (cargo-chef), so a change to
# Shopgraph's code rebuilds only Shopgraph's crates.

FROM rust:1.95-slim-bookworm AS chef
# make: jemalloc, the router's allocator, is built with its own makefile.
RUN apt-get update \
 && apt-get install -y --no-install-recommends make \
 && rm -rf /var/lib/apt/lists/*
RUN cargo install cargo-chef --version 0.1.78 --locked
WORKDIR /src

# The dependency graph only: unchanged unless a Cargo.toml or the lock is.
FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked \
      -p router -p shopgraph -p users -p catalog -p inventory -p cart \
      -p orders -p payments -p shipping -p notifications

# Small, and nothing runs as root.
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/shopgraph --create-home shopgraph
COPY --from=builder \
     /src/target/release/router /src/target/release/shopgraph \
     /src/target/release/users /src/target/release/catalog \
     /src/target/release/inventory /src/target/release/cart \
     /src/target/release/orders /src/target/release/payments \
     /src/target/release/shipping /src/target/release/notifications \
     /usr/local/bin/
COPY schema/supergraph.graphql /etc/shopgraph/supergraph.graphql
USER 10001
WORKDIR /var/lib/shopgraph
# Listen beyond the container's loopback; logs as JSON lines for a
# collector; the router serves the supergraph baked in unless a mounted
# one replaces it (it reloads the file when it changes).
ENV BIND_HOST=0.0.0.0 \
    ROUTER_LISTEN=0.0.0.0:4000 \
    SUPERGRAPH_PATH=/etc/shopgraph/supergraph.graphql \
    SHOPGRAPH_DATA_DIR=/var/lib/shopgraph \
    LOG_FORMAT=json
EXPOSE 4000 4001 4002 4003 4004 4005 4006 4007 4008
# Every binary answers /health on its port; compose and Kubernetes check
# /ready with the service's own port.
CMD ["router"]
