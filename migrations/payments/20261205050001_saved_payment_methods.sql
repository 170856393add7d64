-- Saved cards: the provider's reference and what a customer needs to tell
-- them apart (brand, last four digits, expiry). Never a card number.
CREATE TABLE provider_customers (
    customer_id          UUID        NOT NULL,
    provider             TEXT        NOT NULL,
    -- e.g. Stripe's cus_…
    provider_customer_id TEXT        NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, provider)
);

CREATE TABLE payment_methods (
    id                 UUID        PRIMARY KEY,
    customer_id        UUID        NOT NULL,
    provider           TEXT        NOT NULL,
    -- e.g. Stripe's pm_…
    provider_method_id TEXT        NOT NULL,
    brand              TEXT        NOT NULL,
    last4              CHAR(4)     NOT NULL CHECK (last4 ~ '^[0-9]{4}$'),
    exp_month          INT         NOT NULL CHECK (exp_month BETWEEN 1 AND 12),
    exp_year           INT         NOT NULL,
    is_default         BOOLEAN     NOT NULL DEFAULT false,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT payment_methods_once UNIQUE (customer_id, provider, provider_method_id)
);
CREATE UNIQUE INDEX payment_methods_one_default ON payment_methods (customer_id) WHERE is_default;
CREATE INDEX payment_methods_customer ON payment_methods (customer_id, created_at);

-- A payment made with a saved method: which one, and the provider's
-- customer the method is attached to (Stripe charges it with both).
ALTER TABLE payments ADD COLUMN payment_method_id UUID;
ALTER TABLE payments ADD COLUMN provider_customer_id TEXT;
