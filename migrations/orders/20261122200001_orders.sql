-- Orders with snapshotted items and address, their status history, and the
-- idempotency key that makes checkout safe to retry.

CREATE SEQUENCE order_numbers START 1000;

CREATE TABLE orders (
    id               UUID PRIMARY KEY,
    -- Human-facing, e.g. SG-001000.
    number           TEXT        NOT NULL UNIQUE,
    customer_id      UUID        NOT NULL,
    status           TEXT        NOT NULL CHECK (status IN (
                         'PENDING', 'PAYMENT_FAILED', 'PAID', 'FULFILLING',
                         'SHIPPED', 'DELIVERED', 'CANCELLED', 'REFUNDED')),
    currency         CHAR(3)     NOT NULL,
    subtotal         BIGINT      NOT NULL CHECK (subtotal >= 0),
    shipping_cost    BIGINT      NOT NULL CHECK (shipping_cost >= 0),
    total            BIGINT      NOT NULL CHECK (total >= 0),
    -- A copy, so later address-book edits never change a placed order.
    shipping_address JSONB       NOT NULL,
    -- The same key from the same customer is the same checkout.
    idempotency_key  TEXT        NOT NULL,
    placed_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT orders_customer_idempotency_key UNIQUE (customer_id, idempotency_key)
);
CREATE INDEX orders_customer_placed ON orders (customer_id, placed_at DESC, id DESC);
CREATE INDEX orders_status_placed ON orders (status, placed_at DESC, id DESC);

CREATE TABLE order_items (
    order_id     UUID    NOT NULL REFERENCES orders (id),
    position     INT     NOT NULL,
    product_id   TEXT    NOT NULL,
    -- Name and price as they were at checkout.
    product_name TEXT    NOT NULL,
    quantity     INT     NOT NULL CHECK (quantity > 0),
    unit_price   BIGINT  NOT NULL CHECK (unit_price >= 0),
    PRIMARY KEY (order_id, position)
);

CREATE TABLE order_status_history (
    id       BIGSERIAL PRIMARY KEY,
    order_id UUID        NOT NULL REFERENCES orders (id),
    status   TEXT        NOT NULL,
    reason   TEXT,
    at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX order_status_history_order ON order_status_history (order_id, id);
