-- Card payments that need the customer's action (3-D Secure) wait in
-- ACTION_REQUIRED with the PaymentIntent's client secret, for the owner's
-- browser to complete; Stripe's webhooks then settle them.
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('PENDING', 'ACTION_REQUIRED', 'SUCCEEDED', 'FAILED', 'REFUNDED', 'PARTIALLY_REFUNDED'));
ALTER TABLE payments ADD COLUMN client_secret TEXT;
CREATE INDEX payments_provider_reference ON payments (provider_reference);

-- Every Stripe event applied, by Stripe's event id: a redelivered or
-- replayed webhook finds its id here and changes nothing.
CREATE TABLE stripe_events (
    event_id    TEXT        PRIMARY KEY,
    event_type  TEXT        NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
