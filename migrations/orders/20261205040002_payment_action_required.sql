-- An order whose card needs 3-D Secure waits in PAYMENT_ACTION_REQUIRED
-- until the customer confirms with their bank (payments settles it by
-- Stripe's webhook).
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN (
    'PENDING', 'PAYMENT_ACTION_REQUIRED', 'PAYMENT_FAILED', 'PAID', 'FULFILLING',
    'SHIPPED', 'DELIVERED', 'CANCELLED', 'REFUNDED'));
