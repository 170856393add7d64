//! Stripe's webhook signature: the `Stripe-Signature` header carries a
//! timestamp `t` and one or more `v1` signatures, each an HMAC-SHA256 of
//! `"{t}.{body}"` under the endpoint's signing secret, in hex. Several `v1`
//! entries appear while a secret is being rolled. A signature older (or
//! newer) than the tolerance is refused, so a captured request cannot be
//! replayed later; within the window, replays are caught by event id.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a webhook was refused (logged; the sender only sees 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no Stripe-Signature header")]
    Missing,
    #[error("the Stripe-Signature header has no timestamp or no v1 signature")]
    Malformed,
    #[error("the signature's timestamp is {0} s away from now")]
    OutsideTolerance(i64),
    #[error("no v1 signature matches")]
    Mismatch,
}

/// Checks `header` against `body` with any of `secrets`, at `now` (unix
/// seconds), allowing `tolerance_secs` of clock difference.
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secrets: &[String],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.extend(decode_hex(value)),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else { return Err(SignatureError::Malformed) };
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let skew = now - timestamp;
    if skew.abs() > tolerance_secs {
        return Err(SignatureError::OutsideTolerance(skew));
    }
    let matches = secrets.iter().any(|secret| {
        signatures.iter().any(|signature| {
            // `verify_slice` compares in constant time.
            signed(secret, timestamp, body).verify_slice(signature).is_ok()
        })
    });
    if matches { Ok(()) } else { Err(SignatureError::Mismatch) }
}

/// The header Stripe would send for `body` at `timestamp` (for the sandbox
/// and for tests that play Stripe).
pub fn header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let digest = signed(secret, timestamp, body).finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

fn signed(secret: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length.
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;
    const NOW: i64 = 1_800_000_000;

    fn check(header: &str, now: i64) -> Result<(), SignatureError> {
        verify(Some(header), BODY, &[SECRET.to_owned()], now, 300)
    }

    #[test]
    fn a_signature_made_with_the_secret_is_accepted_within_the_tolerance() {
        let signed = header(SECRET, NOW, BODY);
        assert_eq!(check(&signed, NOW), Ok(()));
        assert_eq!(check(&signed, NOW + 300), Ok(()));
        assert_eq!(check(&signed, NOW + 301), Err(SignatureError::OutsideTolerance(301)));
        assert_eq!(check(&signed, NOW - 301), Err(SignatureError::OutsideTolerance(-301)));
    }

    #[test]
    fn another_secret_another_body_or_a_moved_timestamp_is_refused() {
        assert_eq!(check(&header("whsec_other", NOW, BODY), NOW), Err(SignatureError::Mismatch));
        assert_eq!(check(&header(SECRET, NOW, b"{}"), NOW), Err(SignatureError::Mismatch));
        let moved =
            header(SECRET, NOW, BODY).replacen(&format!("t={NOW}"), &format!("t={}", NOW + 1), 1);
        assert_eq!(check(&moved, NOW), Err(SignatureError::Mismatch));
    }

    #[test]
    fn any_matching_v1_of_several_and_any_configured_secret_will_do() {
        let good = header(SECRET, NOW, BODY);
        let v1 = good.split_once(",v1=").expect("v1").1;
        let rolled = format!("t={NOW},v1={},v1={v1},v0=abc", "00".repeat(32));
        assert_eq!(check(&rolled, NOW), Ok(()));
        let secrets = ["whsec_new".to_owned(), SECRET.to_owned()];
        assert_eq!(verify(Some(&good), BODY, &secrets, NOW, 300), Ok(()));
    }

    #[test]
    fn missing_or_malformed_headers_are_refused() {
        assert_eq!(
            verify(None, BODY, &[SECRET.to_owned()], NOW, 300),
            Err(SignatureError::Missing)
        );
        assert_eq!(check("v1=abcd", NOW), Err(SignatureError::Malformed));
        assert_eq!(check(&format!("t={NOW}"), NOW), Err(SignatureError::Malformed));
        assert_eq!(check(&format!("t={NOW},v1=zz"), NOW), Err(SignatureError::Malformed));
    }
}
