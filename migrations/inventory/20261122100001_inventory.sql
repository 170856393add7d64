-- Warehouses, stock per product per warehouse, a ledger of every change,
-- and reservations that hold stock for orders.

CREATE TABLE warehouses (
    id         UUID PRIMARY KEY,
    code       TEXT        NOT NULL,
    name       TEXT        NOT NULL,
    country    CHAR(2)     NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT warehouses_code_key UNIQUE (code)
);

-- Product ids belong to the catalog; inventory keeps them as opaque text.
-- The checks make overselling impossible whatever the code does:
-- nothing reserved that is not on hand, nothing below zero.
CREATE TABLE stock_levels (
    product_id   TEXT        NOT NULL,
    warehouse_id UUID        NOT NULL REFERENCES warehouses (id),
    on_hand      INT         NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved     INT         NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (product_id, warehouse_id),
    CONSTRAINT stock_levels_reserved_within_on_hand CHECK (reserved <= on_hand)
);
CREATE INDEX stock_levels_available ON stock_levels ((on_hand - reserved));

-- Every change to on_hand: who, why, how much.
CREATE TABLE stock_ledger (
    id           BIGSERIAL PRIMARY KEY,
    product_id   TEXT        NOT NULL,
    warehouse_id UUID        NOT NULL REFERENCES warehouses (id),
    delta        INT         NOT NULL,
    reason       TEXT        NOT NULL,
    actor        TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX stock_ledger_product ON stock_ledger (product_id, created_at);

-- One row per order: the order id is the idempotency key of every
-- reservation operation.
CREATE TABLE reservations (
    order_id   TEXT PRIMARY KEY,
    status     TEXT        NOT NULL CHECK (status IN ('RESERVED', 'COMMITTED', 'RELEASED', 'FAILED')),
    reason     TEXT,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX reservations_expiring ON reservations (expires_at) WHERE status = 'RESERVED';

CREATE TABLE reservation_items (
    order_id     TEXT NOT NULL REFERENCES reservations (order_id),
    product_id   TEXT NOT NULL,
    warehouse_id UUID NOT NULL REFERENCES warehouses (id),
    quantity     INT  NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, product_id, warehouse_id)
);
