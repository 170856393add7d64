//! Access tokens (RS256 JWTs) and opaque tokens (refresh and reset).

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, Header};
use kit::{
    AppError,
    auth::{Claims, ISSUER, Role},
};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::keys::SigningKeys;

#[derive(Clone)]
pub struct TokenIssuer {
    keys: SigningKeys,
    access_ttl: Duration,
}

impl TokenIssuer {
    pub fn new(keys: SigningKeys, access_ttl: Duration) -> Self {
        Self { keys, access_ttl }
    }

    pub fn access_token(
        &self,
        user_id: Uuid,
        role: Role,
    ) -> Result<(String, DateTime<Utc>), AppError> {
        let now = Utc::now();
        let expires_at = now + self.access_ttl;
        let claims = Claims {
            sub: user_id,
            role,
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            jti: Uuid::new_v4(),
            iss: ISSUER.to_owned(),
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.keys.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &self.keys.encoding)
            .map_err(AppError::internal)?;
        Ok((token, expires_at))
    }
}

/// A random opaque token for the client and the hash that is stored.
pub fn new_opaque_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_opaque_token(&token);
    (token, hash)
}

/// Opaque tokens carry 256 bits of entropy, so a fast hash is enough: there
/// is nothing to brute-force, only a database leak to make useless.
pub fn hash_opaque_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}
