//! Typed configuration from the environment.
//!
//! Every setting has a localhost default so that a service starts with no
//! configuration at all. Values are parsed once at startup; a bad value stops
//! the service with a message that names the variable.

use std::{fmt::Display, str::FromStr, time::Duration};

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {var}={value:?}: {reason}")]
pub struct ConfigError {
    pub var: String,
    pub value: String,
    pub reason: String,
}

/// Reads `name`, falling back to `default` when it is unset or empty.
pub fn var_or<T>(name: &str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    Ok(var_opt(name)?.unwrap_or(default))
}

/// Reads `name` if it is set and not empty.
pub fn var_opt<T>(name: &str) -> Result<Option<T>, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    match std::env::var(name) {
        Ok(raw) => parse_value(name, &raw),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(ConfigError {
            var: name.to_owned(),
            value: String::new(),
            reason: "not valid UTF-8".into(),
        }),
    }
}

fn parse_value<T>(name: &str, raw: &str) -> Result<Option<T>, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    trimmed.parse().map(Some).map_err(|e: T::Err| ConfigError {
        var: name.to_owned(),
        value: raw.to_owned(),
        reason: e.to_string(),
    })
}

/// Overrides `slot` with `name`'s value when it is set and not empty.
pub fn set<T>(slot: &mut T, name: &str) -> Result<(), ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    if let Some(value) = var_opt(name)? {
        *slot = value;
    }
    Ok(())
}

/// [`set`] for a setting that is off unless given.
pub fn set_some<T>(slot: &mut Option<T>, name: &str) -> Result<(), ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    if let Some(value) = var_opt(name)? {
        *slot = Some(value);
    }
    Ok(())
}

/// [`set`] for a comma-separated list (blank entries dropped); whether
/// the variable was given.
pub fn set_list(slot: &mut Vec<String>, name: &str) -> Result<bool, ConfigError> {
    let Some(value) = var_opt::<String>(name)? else { return Ok(false) };
    *slot = value.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
    Ok(true)
}

/// A duration in milliseconds, e.g. `OUTBOX_POLL_MS=250`.
pub fn millis_or(name: &str, default_ms: u64) -> Result<Duration, ConfigError> {
    var_or(name, default_ms).map(Duration::from_millis)
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "pretty" | "text" => Ok(Self::Pretty),
            "json" => Ok(Self::Json),
            other => Err(format!("expected `pretty` or `json`, got `{other}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_format_rejects_unknown_values() {
        assert_eq!("JSON".parse::<LogFormat>(), Ok(LogFormat::Json));
        assert!("xml".parse::<LogFormat>().is_err());
    }

    #[test]
    fn a_bad_value_names_the_variable() {
        let err = parse_value::<u16>("USERS_PORT", "abc").expect_err("not a port");
        assert!(err.to_string().contains("USERS_PORT=\"abc\""), "{err}");
        assert_eq!(parse_value::<u16>("USERS_PORT", " 4101 ").ok(), Some(Some(4101)));
        assert_eq!(parse_value::<u16>("USERS_PORT", "  ").ok(), Some(None));
    }
}
