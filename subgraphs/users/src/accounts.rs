//! Account and session logic: registration, login with throttling, refresh
//! rotation with reuse detection, logout, password change and reset.

use std::{
    sync::{Arc, LazyLock},
    time::Duration,
};

use chrono::{DateTime, Utc};
use kit::{AppError, AppResult, auth::Role, events::outbox, telemetry::TraceParent};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    config::UsersConfig,
    domain::{Email, check_password_policy, hash_password, parse_name, verify_password},
    events,
    repository::{resets, sessions, throttle, users, users::UserRow},
    tokens::{TokenIssuer, hash_opaque_token, new_opaque_token},
};

/// The same message for an unknown email and a wrong password, so login
/// cannot be used to find out who has an account.
const BAD_CREDENTIALS: &str = "invalid email or password";

/// A signed-in session as returned to the client.
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserRow,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub refresh_token_ttl: Duration,
    pub password_reset_ttl: Duration,
    pub login_max_failures: i64,
    pub login_throttle_window: Duration,
}

impl From<&UsersConfig> for Policy {
    fn from(config: &UsersConfig) -> Self {
        Self {
            refresh_token_ttl: config.refresh_token_ttl,
            password_reset_ttl: config.password_reset_ttl,
            login_max_failures: config.login_max_failures,
            login_throttle_window: config.login_throttle_window,
        }
    }
}

#[derive(Clone)]
pub struct Accounts {
    pool: PgPool,
    issuer: TokenIssuer,
    policy: Arc<Policy>,
}

impl Accounts {
    pub fn new(pool: PgPool, issuer: TokenIssuer, policy: Policy) -> Self {
        Self { pool, issuer, policy: Arc::new(policy) }
    }

    #[tracing::instrument(skip_all, err(level = "info", Debug))]
    pub async fn register(
        &self,
        email: &str,
        password: &str,
        name: &str,
        trace: Option<&TraceParent>,
    ) -> AppResult<Session> {
        let email = Email::parse(email)?;
        let name = parse_name(name)?;
        check_password_policy(password, &email, &name)?;
        let hash = blocking(password.to_owned(), |p| hash_password(&p)).await?;
        let mut tx = self.pool.begin().await?;
        let user =
            users::insert(&mut tx, Uuid::now_v7(), email.as_str(), &name, &hash.0, Role::Customer)
                .await?;
        outbox::enqueue(&mut tx, &events::user_registered(&user, trace)).await?;
        let session = self.start_session(&mut tx, user, Uuid::now_v7()).await?;
        tx.commit().await?;
        tracing::info!(user_id = %session.user.id, "user registered");
        Ok(session)
    }

    #[tracing::instrument(skip_all, err(level = "info", Debug))]
    pub async fn login(&self, email: &str, password: &str) -> AppResult<Session> {
        let Ok(email) = Email::parse(email) else {
            return Err(AppError::unauthenticated(BAD_CREDENTIALS));
        };
        let window = self.policy.login_throttle_window;
        let failures = throttle::recent_failures(&self.pool, email.as_str(), window).await?;
        if failures >= self.policy.login_max_failures {
            return Err(AppError::rate_limited(format!(
                "too many failed sign-in attempts; try again in {} minutes",
                window.as_secs().div_ceil(60)
            )));
        }
        let user = users::find_by_email(&self.pool, email.as_str()).await?;
        // Verify against a dummy hash when there is no user, so both cases
        // take the same time.
        let stored =
            user.as_ref().map_or(DUMMY_HASH.as_str(), |u| u.password_hash.as_str()).to_owned();
        let valid =
            blocking((password.to_owned(), stored), |(p, s)| Ok(verify_password(&p, &s))).await?;
        let user = match user {
            Some(user) if valid => user,
            _ => {
                throttle::record_failure(&self.pool, email.as_str(), window).await?;
                return Err(AppError::unauthenticated(BAD_CREDENTIALS));
            }
        };
        let mut tx = self.pool.begin().await?;
        throttle::clear(&mut *tx, email.as_str()).await?;
        let session = self.start_session(&mut tx, user, Uuid::now_v7()).await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Rotates a refresh token. Presenting a token that was already rotated
    /// revokes its whole family: either the client or an attacker holds a
    /// stolen copy, and both must sign in again.
    #[tracing::instrument(skip_all, err(level = "info", Debug))]
    pub async fn refresh(&self, refresh_token: &str) -> AppResult<Session> {
        let invalid = || AppError::unauthenticated("refresh token is invalid or expired");
        let mut tx = self.pool.begin().await?;
        let row = sessions::find_for_update(&mut tx, &hash_opaque_token(refresh_token))
            .await?
            .ok_or_else(invalid)?;
        if row.revoked_at.is_some() || row.expires_at <= Utc::now() {
            return Err(invalid());
        }
        if row.rotated_at.is_some() {
            let revoked = sessions::revoke_family(&mut *tx, row.family_id).await?;
            tx.commit().await?;
            tracing::warn!(user_id = %row.user_id, family = %row.family_id, revoked, "refresh token reuse: family revoked");
            return Err(AppError::unauthenticated(
                "refresh token was already used; all sessions from that sign-in were ended",
            ));
        }
        sessions::mark_rotated(&mut *tx, row.id).await?;
        let user = users::find_by_id(&mut *tx, row.user_id).await?.ok_or_else(invalid)?;
        let session = self.start_session(&mut tx, user, row.family_id).await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Ends the sign-in that `refresh_token` belongs to. False if the token
    /// is unknown.
    pub async fn logout(&self, refresh_token: &str) -> AppResult<bool> {
        let mut tx = self.pool.begin().await?;
        let Some(row) =
            sessions::find_for_update(&mut tx, &hash_opaque_token(refresh_token)).await?
        else {
            return Ok(false);
        };
        sessions::revoke_family(&mut *tx, row.family_id).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Changes the password and ends every other session.
    #[tracing::instrument(skip_all, err(level = "info", Debug))]
    pub async fn change_password(&self, user_id: Uuid, current: &str, new: &str) -> AppResult<()> {
        let user = users::find_by_id(&self.pool, user_id)
            .await?
            .ok_or_else(|| AppError::unauthenticated("account no longer exists"))?;
        let stored = user.password_hash.clone();
        let valid =
            blocking((current.to_owned(), stored), |(p, s)| Ok(verify_password(&p, &s))).await?;
        if !valid {
            return Err(AppError::bad_input("current password is incorrect"));
        }
        if current == new {
            return Err(AppError::bad_input("new password must differ from the current one"));
        }
        self.replace_password(&user, new).await
    }

    /// Always succeeds from the caller's point of view, so it cannot be used
    /// to find out who has an account.
    #[tracing::instrument(skip_all, err(level = "info", Debug))]
    pub async fn request_password_reset(
        &self,
        email: &str,
        trace: Option<&TraceParent>,
    ) -> AppResult<()> {
        let email = Email::parse(email)?;
        let Some(user) = users::find_by_email(&self.pool, email.as_str()).await? else {
            return Ok(());
        };
        let (token, hash) = new_opaque_token();
        let expires_at = Utc::now() + self.policy.password_reset_ttl;
        let mut tx = self.pool.begin().await?;
        resets::insert(&mut *tx, &hash, user.id, expires_at).await?;
        let event = events::password_reset_requested(&user, &token, expires_at, trace);
        outbox::enqueue(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, err(level = "info", Debug))]
    pub async fn reset_password(&self, token: &str, new: &str) -> AppResult<()> {
        let invalid = || AppError::bad_input("reset token is invalid or has expired");
        let mut tx = self.pool.begin().await?;
        let user_id =
            resets::consume(&mut *tx, &hash_opaque_token(token)).await?.ok_or_else(invalid)?;
        let user = users::find_by_id(&mut *tx, user_id).await?.ok_or_else(invalid)?;
        let email = Email::parse(&user.email)?;
        // Checked before anything commits: a weak password leaves the token
        // unused, so the user can try again with the same link.
        check_password_policy(new, &email, &user.name)?;
        let hash = blocking(new.to_owned(), |p| hash_password(&p)).await?;
        users::update_password(&mut *tx, user.id, &hash.0).await?;
        sessions::revoke_all_for_user(&mut *tx, user.id).await?;
        throttle::clear(&mut *tx, &user.email).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn replace_password(&self, user: &UserRow, new: &str) -> AppResult<()> {
        let email = Email::parse(&user.email)?;
        check_password_policy(new, &email, &user.name)?;
        let hash = blocking(new.to_owned(), |p| hash_password(&p)).await?;
        let mut tx = self.pool.begin().await?;
        users::update_password(&mut *tx, user.id, &hash.0).await?;
        sessions::revoke_all_for_user(&mut *tx, user.id).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn start_session(
        &self,
        conn: &mut sqlx::PgConnection,
        user: UserRow,
        family_id: Uuid,
    ) -> AppResult<Session> {
        let (refresh_token, hash) = new_opaque_token();
        let refresh_expires = Utc::now() + self.policy.refresh_token_ttl;
        sessions::insert(&mut *conn, user.id, family_id, &hash, refresh_expires).await?;
        let (access_token, expires_at) = self.issuer.access_token(user.id, user.role)?;
        Ok(Session { access_token, refresh_token, expires_at, user })
    }
}

/// A real argon2id hash of a throw-away password, used to spend the same
/// time on unknown emails as on real ones.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("shopgraph timing equaliser").map(|h| h.0).unwrap_or_default());

/// Password hashing is CPU-bound for tens of milliseconds; keep it off the
/// async workers.
async fn blocking<I, O>(
    input: I,
    f: impl FnOnce(I) -> AppResult<O> + Send + 'static,
) -> AppResult<O>
where
    I: Send + 'static,
    O: Send + 'static,
{
    tokio::task::spawn_blocking(move || f(input)).await.map_err(AppError::internal)?
}
