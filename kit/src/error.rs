//! One error type for every service, split by audience.
//!
//! Client errors carry a stable `extensions.code` from the API contract and a
//! message written for the caller. Internal errors are logged with their cause
//! and an error id, and the client sees only the id and a generic message.
//!
//! `AppError` deliberately does not implement `Display`: async-graphql has a
//! blanket `From<T: Display> for Error` that would copy the message and drop
//! the code. Without `Display`, `?` in a resolver goes through our `From`
//! impl below and the code survives.

use std::sync::Arc;

use async_graphql::ErrorExtensions;

/// The error codes of the API contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    BadUserInput,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    RateLimited,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::Conflict => "CONFLICT",
            Self::RateLimited => "RATE_LIMITED",
            Self::Unavailable => "UNAVAILABLE",
            Self::Internal => "INTERNAL_SERVER_ERROR",
        }
    }
}

#[derive(Clone)]
pub enum AppError {
    /// A client-safe error: the message is shown as is.
    Client { code: ErrorCode, message: String },
    /// A failure the client cannot act on. The cause goes to the logs only.
    Internal(Arc<anyhow::Error>),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    fn client(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Client { code, message: message.into() }
    }
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::client(ErrorCode::BadUserInput, message)
    }
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::client(ErrorCode::Unauthenticated, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::client(ErrorCode::Forbidden, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::client(ErrorCode::NotFound, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::client(ErrorCode::Conflict, message)
    }
    pub fn rate_limited(message: impl Into<String>) -> Self {
        Self::client(ErrorCode::RateLimited, message)
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::client(ErrorCode::Unavailable, message)
    }
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self::Internal(Arc::new(cause.into()))
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Client { code, .. } => *code,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The message a client may see.
    pub fn public_message(&self) -> &str {
        match self {
            Self::Client { message, .. } => message,
            Self::Internal(_) => "internal server error",
        }
    }
}

impl std::fmt::Debug for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Client { code, message } => write!(f, "{}: {message}", code.as_str()),
            Self::Internal(cause) => write!(f, "INTERNAL_SERVER_ERROR: {cause:#}"),
        }
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        if let AppError::Internal(cause) = &err {
            // The only place internal causes are reported: logged with
            // context, never sent to the client.
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
        let mut gql = async_graphql::Error::new(err.public_message());
        gql = gql.extend_with(|_, ext| ext.set("code", err.code().as_str()));
        gql
    }
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        Self::Internal(Arc::new(err))
    }
}

/// The one place where storage errors become client errors: a unique
/// violation is a CONFLICT, named after the column in the constraint
/// (`users_email_key` reads as "email already exists"); anything else is
/// internal.
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err
            && db.is_unique_violation()
        {
            let what =
                db.constraint().and_then(conflicting_field).unwrap_or_else(|| "record".to_owned());
            return Self::conflict(format!("{what} already exists"));
        }
        Self::internal(err)
    }
}

/// Parses a client-supplied id. A malformed id is BAD_USER_INPUT, never an
/// internal error.
pub fn parse_uuid(id: &str, what: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(id)
        .map_err(|_| AppError::bad_input(format!("`{id}` is not a valid {what} id")))
}

/// `users_email_key` -> `email`; `addresses_one_default_per_user` is not a
/// column and falls back to the generic name.
fn conflicting_field(constraint: &str) -> Option<String> {
    let body = constraint.strip_suffix("_key")?;
    let (_, column) = body.split_once('_')?;
    Some(column.replace('_', " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_are_masked() {
        let err = AppError::internal(anyhow::anyhow!("password=hunter2 connection refused"));
        let gql: async_graphql::Error = err.into();
        assert_eq!(gql.message, "internal server error");
        let ext = gql.extensions.expect("extensions");
        assert_eq!(ext.get("code"), Some(&async_graphql::Value::from("INTERNAL_SERVER_ERROR")));
    }

    #[test]
    fn client_errors_keep_code_and_message() {
        let gql: async_graphql::Error = AppError::conflict("email already exists").into();
        assert_eq!(gql.message, "email already exists");
        let ext = gql.extensions.expect("extensions");
        assert_eq!(ext.get("code"), Some(&async_graphql::Value::from("CONFLICT")));
    }

    #[test]
    fn constraint_names_become_field_names() {
        assert_eq!(conflicting_field("users_email_key").as_deref(), Some("email"));
        assert_eq!(conflicting_field("products_external_sku_key").as_deref(), Some("external sku"));
        assert_eq!(conflicting_field("addresses_pkey"), None);
    }
}
