//! The RS256 signing key and the JWKS that publishes its public half.

use std::{collections::HashMap, path::Path};

use anyhow::Context;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{DecodingKey, EncodingKey};
use rsa::{
    RsaPrivateKey, RsaPublicKey,
    pkcs1::DecodeRsaPrivateKey,
    pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding},
    traits::PublicKeyParts,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::config::SigningKeySource;

const KEY_BITS: usize = 2048;

/// The service's signing key, with everything derived from it.
#[derive(Clone)]
pub struct SigningKeys {
    pub kid: String,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    /// The JWK Set served at `/.well-known/jwks.json`.
    pub jwks: Value,
}

impl SigningKeys {
    pub fn load(source: &SigningKeySource) -> anyhow::Result<Self> {
        let private = match source {
            SigningKeySource::Pem(pem) => parse_pem(pem).context("JWT_PRIVATE_KEY_PEM")?,
            SigningKeySource::File(path) => {
                let pem = std::fs::read_to_string(path)
                    .with_context(|| format!("JWT_PRIVATE_KEY_FILE={}", path.display()))?;
                parse_pem(&pem)
                    .with_context(|| format!("JWT_PRIVATE_KEY_FILE={}", path.display()))?
            }
            SigningKeySource::GeneratedAt(path) => load_or_generate(path)?,
        };
        Self::from_private_key(&private)
    }

    /// Generates a fresh key in memory (tests, and one-off tools).
    pub fn generate() -> anyhow::Result<Self> {
        Self::from_private_key(&RsaPrivateKey::new(&mut rand::rngs::OsRng, KEY_BITS)?)
    }

    pub fn from_private_key(private: &RsaPrivateKey) -> anyhow::Result<Self> {
        let public = RsaPublicKey::from(private);
        let n = URL_SAFE_NO_PAD.encode(public.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(public.e().to_bytes_be());
        // The key id is a fingerprint of the public key, so it changes
        // exactly when the key does.
        let kid = hex_prefix(&Sha256::digest(public.n().to_bytes_be()), 8);
        let pem = private.to_pkcs8_pem(LineEnding::LF)?;
        Ok(Self {
            encoding: EncodingKey::from_rsa_pem(pem.as_bytes())?,
            decoding: DecodingKey::from_rsa_components(&n, &e)?,
            jwks: json!({ "keys": [{
                "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e
            }]}),
            kid,
        })
    }

    /// A 15-minute access token for `user_id`: how other services' tests
    /// sign their callers in.
    pub fn access_token(
        &self,
        user_id: uuid::Uuid,
        role: kit::auth::Role,
    ) -> anyhow::Result<String> {
        let issuer =
            crate::tokens::TokenIssuer::new(self.clone(), std::time::Duration::from_secs(900));
        let (token, _) =
            issuer.access_token(user_id, role).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        Ok(token)
    }

    /// A verifier for this service's own tokens, without an HTTP round trip.
    pub fn verifier(&self) -> kit::auth::JwtVerifier {
        kit::auth::JwtVerifier::with_keys(HashMap::from([(
            Some(self.kid.clone()),
            self.decoding.clone(),
        )]))
    }
}

fn parse_pem(pem: &str) -> anyhow::Result<RsaPrivateKey> {
    RsaPrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
        .context("expected an RSA private key in PKCS#8 or PKCS#1 PEM")
}

fn load_or_generate(path: &Path) -> anyhow::Result<RsaPrivateKey> {
    if path.exists() {
        let pem = std::fs::read_to_string(path)
            .with_context(|| format!("reading the dev signing key {}", path.display()))?;
        return parse_pem(&pem).with_context(|| format!("dev signing key {}", path.display()));
    }
    tracing::info!(path = %path.display(), "generating a dev JWT signing key");
    let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, KEY_BITS)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let pem = private.to_pkcs8_pem(LineEnding::LF)?;
    write_private(path, pem.as_bytes())?;
    Ok(private)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(bytes)?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

fn hex_prefix(bytes: &[u8], n: usize) -> String {
    bytes.iter().take(n).map(|b| format!("{b:02x}")).collect()
}
