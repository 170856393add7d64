-- `inventory.reserved` can overtake `order.created` (one payments instance
-- holds order.created while its broker link is down; the other gets the
-- reservation). The reservation waits here, and the charge runs as soon as
-- order.created has recorded what to charge.
CREATE TABLE early_reservations (
    order_id    UUID        PRIMARY KEY,
    -- The reservation's trace context, for the charge's events.
    traceparent TEXT,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
