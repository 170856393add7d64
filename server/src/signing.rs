//! Signed requests between services: how a subgraph knows a request comes
//! from the router (or from another service), not from whoever reached its
//! port.
//!
//! The caller adds `x-request-signature: v1,caller=<name>,t=<unix
//! seconds>,n=<nonce>,sig=<hex>`, where `sig` is HMAC-SHA256 with a shared
//! key over the version, caller, timestamp, nonce, method, path and query,
//! the `Authorization` header (the end user's identity travels beside the
//! caller's, and cannot be swapped under a captured signature) and the
//! body. The receiver accepts it when the timestamp is within the window,
//! the signature matches one of its keys (two during a rotation: sign with
//! the new one once every receiver accepts both) and the nonce was not seen
//! before in this instance.

use std::{
    collections::HashMap,
    sync::{Mutex, OnceLock},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::http::HeaderValue;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "x-request-signature";

const VERSION: &str = "v1";
/// Nonces remembered at most; beyond it the expired ones are dropped, and
/// if none are, new requests are refused rather than memory grown.
const MAX_NONCES: usize = 200_000;

type HmacSha256 = Hmac<Sha256>;

/// A random key for this process, for when none is configured: services in
/// one process (`shopgraph dev`, tests) trust each other, and nothing
/// outside it can call them.
pub fn process_key() -> &'static str {
    static KEY: OnceLock<String> = OnceLock::new();
    KEY.get_or_init(|| {
        use rand::RngCore;
        let mut bytes = [0_u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        hex(&bytes)
    })
}

/// Signs outgoing requests as `caller` with one key.
#[derive(Clone)]
pub struct RequestSigner {
    caller: String,
    key: HmacSha256,
}

impl std::fmt::Debug for RequestSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestSigner").field("caller", &self.caller).finish_non_exhaustive()
    }
}

impl RequestSigner {
    pub fn new(caller: impl Into<String>, key: &str) -> Self {
        Self { caller: caller.into(), key: keyed(key) }
    }

    /// The signature header for this request.
    pub fn sign(
        &self,
        method: &str,
        path_and_query: &str,
        authorization: Option<&[u8]>,
        body: &[u8],
    ) -> HeaderValue {
        self.sign_at(unix_now(), method, path_and_query, authorization, body)
    }

    fn sign_at(
        &self,
        timestamp: u64,
        method: &str,
        path_and_query: &str,
        authorization: Option<&[u8]>,
        body: &[u8],
    ) -> HeaderValue {
        let nonce = nonce();
        let mut mac = self.key.clone();
        feed(
            &mut mac,
            &self.caller,
            timestamp,
            &nonce,
            method,
            path_and_query,
            authorization,
            body,
        );
        let signature = hex(&mac.finalize().into_bytes());
        let value =
            format!("{VERSION},caller={},t={timestamp},n={nonce},sig={signature}", self.caller);
        HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
    }
}

/// Why a request's proof was not accepted (for the logs; the caller gets
/// one answer whatever the reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("no request signature")]
    Missing,
    #[error("a malformed request signature")]
    Malformed,
    #[error("a request signature outside the time window")]
    Stale,
    #[error("a request signature no configured key made")]
    Forged,
    #[error("a request signature seen before")]
    Replayed,
}

/// Checks incoming requests' signatures.
pub struct RequestVerifier {
    keys: Vec<HmacSha256>,
    window: Duration,
    /// Nonce -> the unix second after which its timestamp is stale anyway.
    seen: Mutex<HashMap<String, u64>>,
}

impl RequestVerifier {
    /// Accepts signatures by any of `keys`, timestamped within `window`
    /// of this machine's clock.
    pub fn new(keys: &[String], window: Duration) -> Self {
        Self {
            keys: keys.iter().map(|k| keyed(k)).collect(),
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// The caller's name when the proof holds.
    pub fn verify(
        &self,
        header: Option<&HeaderValue>,
        method: &str,
        path_and_query: &str,
        authorization: Option<&[u8]>,
        body: &[u8],
    ) -> Result<String, Refusal> {
        let header = header.ok_or(Refusal::Missing)?;
        let proof = Proof::parse(header.to_str().map_err(|_| Refusal::Malformed)?)?;
        let now = unix_now();
        let window = self.window.as_secs();
        if proof.timestamp.abs_diff(now) > window {
            return Err(Refusal::Stale);
        }
        let signature = unhex(proof.signature).ok_or(Refusal::Malformed)?;
        let signed_by_a_key = self.keys.iter().any(|key| {
            let mut mac = key.clone();
            let (caller, nonce) = (proof.caller, proof.nonce);
            feed(
                &mut mac,
                caller,
                proof.timestamp,
                nonce,
                method,
                path_and_query,
                authorization,
                body,
            );
            mac.verify_slice(&signature).is_ok()
        });
        if !signed_by_a_key {
            return Err(Refusal::Forged);
        }
        self.remember(proof.nonce, proof.timestamp + window, now)?;
        Ok(proof.caller.to_owned())
    }

    fn remember(&self, nonce: &str, stale_after: u64, now: u64) -> Result<(), Refusal> {
        let mut seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.len() >= MAX_NONCES {
            seen.retain(|_, expiry| *expiry >= now);
        }
        if seen.len() >= MAX_NONCES {
            return Err(Refusal::Replayed);
        }
        match seen.insert(nonce.to_owned(), stale_after) {
            Some(_) => Err(Refusal::Replayed),
            None => Ok(()),
        }
    }
}

struct Proof<'a> {
    caller: &'a str,
    timestamp: u64,
    nonce: &'a str,
    signature: &'a str,
}

impl<'a> Proof<'a> {
    fn parse(text: &'a str) -> Result<Self, Refusal> {
        let mut parts = text.split(',');
        if parts.next() != Some(VERSION) {
            return Err(Refusal::Malformed);
        }
        let (mut caller, mut timestamp, mut nonce, mut signature) = (None, None, None, None);
        for part in parts {
            let (name, value) = part.split_once('=').ok_or(Refusal::Malformed)?;
            match name {
                "caller" => caller = Some(value),
                "t" => timestamp = value.parse().ok(),
                "n" => nonce = Some(value),
                "sig" => signature = Some(value),
                _ => return Err(Refusal::Malformed),
            }
        }
        match (caller, timestamp, nonce, signature) {
            (Some(caller), Some(timestamp), Some(nonce), Some(signature))
                if !nonce.is_empty() && nonce.len() <= 64 =>
            {
                Ok(Self { caller, timestamp, nonce, signature })
            }
            _ => Err(Refusal::Malformed),
        }
    }
}

fn keyed(key: &str) -> HmacSha256 {
    // HMAC takes keys of any length.
    HmacSha256::new_from_slice(key.as_bytes()).unwrap_or_else(|_| unreachable!())
}

/// Every signed part, each ended by a newline so that no two requests
/// feed the same bytes; the body last.
#[expect(clippy::too_many_arguments)]
fn feed(
    mac: &mut HmacSha256,
    caller: &str,
    timestamp: u64,
    nonce: &str,
    method: &str,
    path_and_query: &str,
    authorization: Option<&[u8]>,
    body: &[u8],
) {
    for part in [VERSION.as_bytes(), caller.as_bytes()] {
        mac.update(part);
        mac.update(b"\n");
    }
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b"\n");
    for part in [nonce.as_bytes(), method.as_bytes(), path_and_query.as_bytes()] {
        mac.update(part);
        mac.update(b"\n");
    }
    mac.update(authorization.unwrap_or_default());
    mac.update(b"\n");
    mac.update(body);
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

fn nonce() -> String {
    use rand::RngCore;
    let mut bytes = [0_u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// One operation's identity on a shared subscription connection: the
/// router carries many users' subscriptions on one graphql-transport-ws
/// connection per subgraph, so each `subscribe` names its end user in
/// `payload.extensions` (`authorization`), signed (`signature`) with method
/// [`operation::METHOD`], the endpoint's path, that authorization, and
/// [`operation::signed_body`] as the body. A captured `subscribe` can then be
/// neither replayed (nonce) nor given another user, query or variables.
pub mod operation {
    pub const METHOD: &str = "SUBSCRIBE";
    pub const AUTHORIZATION_EXTENSION: &str = "authorization";
    pub const SIGNATURE_EXTENSION: &str = "signature";

    /// The query, a newline, and the variables as JSON.
    pub fn signed_body(query: &str, variables_json: &str) -> Vec<u8> {
        let mut body = Vec::with_capacity(query.len() + 1 + variables_json.len());
        body.extend_from_slice(query.as_bytes());
        body.push(b'\n');
        body.extend_from_slice(variables_json.as_bytes());
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier(keys: &[&str]) -> RequestVerifier {
        let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
        RequestVerifier::new(&keys, Duration::from_secs(60))
    }

    #[test]
    fn a_signed_request_passes_once_and_any_change_is_refused() {
        let signer = RequestSigner::new("router", "k1");
        let header = signer.sign("POST", "/graphql", Some(b"Bearer a"), b"{\"query\":\"{a}\"}");
        let verifier = verifier(&["k0", "k1"]);
        let check = |method: &str, path: &str, auth: Option<&[u8]>, body: &[u8]| {
            verifier.verify(Some(&header), method, path, auth, body)
        };
        assert_eq!(
            check("POST", "/graphql", Some(b"Bearer b"), b"{\"query\":\"{a}\"}"),
            Err(Refusal::Forged)
        );
        assert_eq!(
            check("POST", "/graphql", Some(b"Bearer a"), b"{\"query\":\"{b}\"}"),
            Err(Refusal::Forged)
        );
        assert_eq!(
            check("GET", "/graphql", Some(b"Bearer a"), b"{\"query\":\"{a}\"}"),
            Err(Refusal::Forged)
        );
        assert_eq!(
            check("POST", "/other", Some(b"Bearer a"), b"{\"query\":\"{a}\"}"),
            Err(Refusal::Forged)
        );
        assert_eq!(
            check("POST", "/graphql", Some(b"Bearer a"), b"{\"query\":\"{a}\"}").as_deref(),
            Ok("router")
        );
        assert_eq!(
            check("POST", "/graphql", Some(b"Bearer a"), b"{\"query\":\"{a}\"}"),
            Err(Refusal::Replayed)
        );
    }

    #[test]
    fn wrong_keys_stale_and_malformed_proofs_are_refused() {
        let header = RequestSigner::new("router", "old").sign("GET", "/graphql", None, b"");
        assert_eq!(
            verifier(&["new"]).verify(Some(&header), "GET", "/graphql", None, b""),
            Err(Refusal::Forged)
        );
        assert_eq!(
            verifier(&["new"]).verify(None, "GET", "/graphql", None, b""),
            Err(Refusal::Missing)
        );

        let stale = RequestSigner::new("router", "old").sign_at(
            unix_now() - 120,
            "GET",
            "/graphql",
            None,
            b"",
        );
        assert_eq!(
            verifier(&["old"]).verify(Some(&stale), "GET", "/graphql", None, b""),
            Err(Refusal::Stale)
        );
        for malformed in
            ["v2,caller=a,t=1,n=x,sig=00", "v1,caller=a", "v1,caller=a,t=x,n=y,sig=00", ""]
        {
            let value = HeaderValue::from_str(malformed).expect("header");
            assert_eq!(
                verifier(&["old"]).verify(Some(&value), "GET", "/", None, b""),
                Err(Refusal::Malformed),
                "{malformed}"
            );
        }
    }
}
