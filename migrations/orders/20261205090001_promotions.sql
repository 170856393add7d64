-- Promotions: sale prices (automatic, by product, category or tag, in a
-- time window) and discount codes (typed in by the customer). They live
-- with orders so that a code's use is counted in the same transaction
-- that places the order, and given back in the one that cancels it.

CREATE TABLE promotions (
    id           UUID PRIMARY KEY,
    name         TEXT        NOT NULL,
    description  TEXT,
    reward_type  TEXT        NOT NULL CHECK (reward_type IN ('PERCENTAGE', 'FIXED_AMOUNT')),
    -- A percentage (1-100), or minor units of `currency`.
    reward_value BIGINT      NOT NULL CHECK (reward_value > 0),
    currency     CHAR(3),
    -- What is on sale: any product listed, in a listed category (or one
    -- below it), or carrying a listed tag.
    product_ids  TEXT[]      NOT NULL DEFAULT '{}',
    category_ids TEXT[]      NOT NULL DEFAULT '{}',
    tags         TEXT[]      NOT NULL DEFAULT '{}',
    starts_at    TIMESTAMPTZ,
    ends_at      TIMESTAMPTZ,
    enabled      BOOLEAN     NOT NULL DEFAULT true,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (reward_type <> 'PERCENTAGE' OR reward_value <= 100),
    CHECK (reward_type <> 'FIXED_AMOUNT' OR currency IS NOT NULL),
    CHECK (starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at)
);
CREATE INDEX promotions_created ON promotions (created_at DESC, id DESC);

CREATE TABLE discount_codes (
    id                       UUID PRIMARY KEY,
    -- Stored upper-case; customers type it in any case.
    code                     TEXT        NOT NULL UNIQUE,
    description              TEXT,
    reward_type              TEXT        NOT NULL CHECK (reward_type IN ('PERCENTAGE', 'FIXED_AMOUNT', 'FREE_SHIPPING')),
    reward_value             BIGINT      NOT NULL CHECK (reward_value >= 0),
    currency                 CHAR(3),
    -- In `currency`: the merchandise subtotal (after sale prices) needed.
    minimum_subtotal         BIGINT      CHECK (minimum_subtotal > 0),
    usage_limit              INT         CHECK (usage_limit > 0),
    usage_limit_per_customer INT         CHECK (usage_limit_per_customer > 0),
    -- When false, lines already on sale are left out of the code's base.
    applies_to_sale_items    BOOLEAN     NOT NULL DEFAULT true,
    starts_at                TIMESTAMPTZ,
    ends_at                  TIMESTAMPTZ,
    enabled                  BOOLEAN     NOT NULL DEFAULT true,
    -- Orders holding a use now (placed, not cancelled or failed).
    times_used               INT         NOT NULL DEFAULT 0 CHECK (times_used >= 0),
    created_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (reward_type <> 'PERCENTAGE' OR reward_value BETWEEN 1 AND 100),
    CHECK (reward_type <> 'FIXED_AMOUNT' OR (reward_value > 0 AND currency IS NOT NULL)),
    CHECK (minimum_subtotal IS NULL OR currency IS NOT NULL),
    CHECK (usage_limit IS NULL OR times_used <= usage_limit),
    CHECK (starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at)
);
CREATE INDEX discount_codes_created ON discount_codes (created_at DESC, id DESC);

-- One use of a code by one order; given back (released_at) at most once.
CREATE TABLE discount_code_redemptions (
    order_id    UUID PRIMARY KEY REFERENCES orders (id),
    code_id     UUID        NOT NULL REFERENCES discount_codes (id),
    customer_id UUID        NOT NULL,
    amount      BIGINT      NOT NULL CHECK (amount >= 0),
    redeemed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    released_at TIMESTAMPTZ
);
CREATE INDEX discount_code_redemptions_customer ON discount_code_redemptions (code_id, customer_id)
    WHERE released_at IS NULL;

-- What was taken off an order, and why, as it was at checkout.
ALTER TABLE orders ADD COLUMN discount BIGINT NOT NULL DEFAULT 0 CHECK (discount >= 0);
ALTER TABLE orders ADD COLUMN discount_code TEXT;
ALTER TABLE order_items ADD COLUMN list_price BIGINT CHECK (list_price >= 0);

CREATE TABLE order_promotions (
    order_id     UUID   NOT NULL REFERENCES orders (id),
    position     INT    NOT NULL,
    kind         TEXT   NOT NULL CHECK (kind IN ('SALE', 'DISCOUNT_CODE')),
    -- A promotion's or a discount code's id; no foreign key, since either
    -- may be deleted later and the order keeps its history.
    source_id    UUID   NOT NULL,
    name         TEXT   NOT NULL,
    amount       BIGINT NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (order_id, position)
);

-- The code a customer has applied to their cart (the cart itself lives in
-- the cart subgraph); checkout takes it and clears it.
CREATE TABLE cart_discount_codes (
    customer_id UUID PRIMARY KEY,
    code        TEXT        NOT NULL,
    applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
