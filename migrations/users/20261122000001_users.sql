-- Users, sessions and addresses.

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    -- Stored normalised (trimmed, lower-cased) so the unique constraint is
    -- case-insensitive without citext.
    email         TEXT        NOT NULL,
    name          TEXT        NOT NULL,
    password_hash TEXT        NOT NULL,
    role          TEXT        NOT NULL DEFAULT 'CUSTOMER' CHECK (role IN ('CUSTOMER', 'ADMIN')),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email)
);

-- Keyset pagination for the admin `users` connection.
CREATE INDEX users_created_at_id ON users (created_at, id);

-- Refresh tokens are opaque random strings; only their SHA-256 is stored.
-- Every token belongs to a family that starts at login. Refreshing rotates
-- the token (the old row gets `rotated_at`); presenting a rotated token again
-- means it leaked, so the whole family is revoked.
CREATE TABLE refresh_tokens (
    id          UUID PRIMARY KEY,
    user_id     UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   UUID        NOT NULL,
    token_hash  BYTEA       NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL,
    rotated_at  TIMESTAMPTZ,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

-- Failed logins per normalised email, for throttling. Rows older than the
-- throttle window are irrelevant and pruned on write.
CREATE TABLE login_failures (
    email        TEXT        NOT NULL,
    attempted_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email_time ON login_failures (email, attempted_at);

-- Single-use password reset tokens, stored hashed like refresh tokens.
CREATE TABLE password_resets (
    token_hash BYTEA PRIMARY KEY,
    user_id    UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

CREATE TABLE addresses (
    id          UUID PRIMARY KEY,
    user_id     UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT        NOT NULL,
    line1       TEXT        NOT NULL,
    line2       TEXT,
    city        TEXT        NOT NULL,
    region      TEXT,
    postal_code TEXT        NOT NULL,
    country     CHAR(2)     NOT NULL,
    phone       TEXT,
    is_default  BOOLEAN     NOT NULL DEFAULT false,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX addresses_user ON addresses (user_id, created_at);
-- At most one default per user, enforced by the database; the repository
-- keeps it at exactly one whenever the user has any address.
CREATE UNIQUE INDEX addresses_one_default_per_user ON addresses (user_id) WHERE is_default;
