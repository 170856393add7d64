-- The event backbone's tables, present in every service database that uses
-- PostgreSQL. Written in the same transaction as the state change they
-- describe, so an event exists if and only if its change committed.

CREATE TABLE outbox (
    -- Insertion order, which the relay publishes in.
    seq          BIGSERIAL PRIMARY KEY,
    -- The envelope id: consumers deduplicate on it.
    event_id     UUID        NOT NULL UNIQUE,
    routing_key  TEXT        NOT NULL,
    envelope     JSONB       NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at TIMESTAMPTZ,
    attempts     INT         NOT NULL DEFAULT 0
);

-- The relay only ever looks for unpublished rows; keep that index small.
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;

-- One row per (consumer, event) that a consumer has applied. Inserted in the
-- handler's transaction, so a redelivered event is recognised and skipped.
CREATE TABLE processed_events (
    consumer     TEXT        NOT NULL,
    event_id     UUID        NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
