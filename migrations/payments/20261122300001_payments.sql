-- One payment per order (the unique constraint is what makes a second
-- charge impossible), and the refunds against it.

CREATE TABLE payments (
    id                 UUID PRIMARY KEY,
    order_id           UUID        NOT NULL,
    customer_id        UUID        NOT NULL,
    amount             BIGINT      NOT NULL CHECK (amount >= 0),
    currency           CHAR(3)     NOT NULL,
    status             TEXT        NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED', 'REFUNDED', 'PARTIALLY_REFUNDED')),
    provider           TEXT        NOT NULL,
    -- The provider's token for the card (e.g. tok_visa). Never card data.
    payment_token      TEXT        NOT NULL,
    -- The provider's id for the charge, once made.
    provider_reference TEXT,
    attempts           INT         NOT NULL DEFAULT 0,
    failure_reason     TEXT,
    refunded           BIGINT      NOT NULL DEFAULT 0 CHECK (refunded >= 0),
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT payments_order_id_key UNIQUE (order_id),
    CONSTRAINT payments_refund_within_amount CHECK (refunded <= amount)
);

CREATE TABLE refunds (
    id                 UUID PRIMARY KEY,
    payment_id         UUID        NOT NULL REFERENCES payments (id),
    amount             BIGINT      NOT NULL CHECK (amount > 0),
    reason             TEXT,
    provider_reference TEXT        NOT NULL,
    idempotency_key    TEXT        NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT refunds_payment_idempotency_key UNIQUE (payment_id, idempotency_key)
);
CREATE INDEX refunds_payment ON refunds (payment_id, created_at);
