//! Who asked for one operation on a shared WebSocket connection.
//!
//! The router carries many users' subscriptions on one graphql-transport-ws
//! connection per subgraph, so `connection_init` can only say who the
//! connection is (the router); each `subscribe` names its end user in
//! `payload.extensions`, signed as `server::signing::operation` says. With
//! signing on, an operation that names a user without a valid signature is
//! refused; one that names nobody runs as the connection's
//! `connection_init` said.

use std::sync::Arc;

use async_graphql::{
    Request, ServerError, ServerResult,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest},
};
use axum::http::HeaderValue;
use server::signing::{
    RequestVerifier,
    operation::{AUTHORIZATION_EXTENSION, METHOD, SIGNATURE_EXTENSION, signed_body},
};

use crate::auth::{Authorization, JwtVerifier, authenticate};

/// Put in a WebSocket connection's session data: how its operations'
/// identities are checked.
#[derive(Clone)]
pub struct OperationCredentials {
    pub tokens: JwtVerifier,
    /// `None` when signing is disabled.
    pub signatures: Option<Arc<RequestVerifier>>,
    pub path: String,
}

/// The schema extension; it acts only where `OperationCredentials` is in
/// the session (subscriptions over WebSocket).
pub struct OperationIdentity;

impl ExtensionFactory for OperationIdentity {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperationIdentityExtension)
    }
}

struct OperationIdentityExtension;

#[async_trait::async_trait]
impl Extension for OperationIdentityExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let Some(credentials) = ctx.data_opt::<OperationCredentials>() else {
            return next.run(ctx, request).await;
        };
        let authorization = match request.extensions.get(AUTHORIZATION_EXTENSION) {
            None => return next.run(ctx, request).await,
            Some(async_graphql::Value::String(value)) => value.clone(),
            Some(_) => return Err(unauthenticated("`extensions.authorization` must be a string")),
        };
        if let Some(signatures) = &credentials.signatures {
            let signature = match request.extensions.get(SIGNATURE_EXTENSION) {
                Some(async_graphql::Value::String(value)) => HeaderValue::from_str(value).ok(),
                _ => None,
            };
            let variables = serde_json::to_string(&request.variables).unwrap_or_default();
            let verified = signatures.verify(
                signature.as_ref(),
                METHOD,
                &credentials.path,
                Some(authorization.as_bytes()),
                &signed_body(&request.query, &variables),
            );
            if let Err(refusal) = verified {
                tracing::warn!(%refusal, "refused an operation's identity");
                return Err(unauthenticated("this operation's identity is not signed"));
            }
        }
        // Query data wins over the connection's session data.
        request.data.insert(authenticate(&credentials.tokens, Some(&authorization)).await);
        request.data.insert(Authorization(authorization));
        next.run(ctx, request).await
    }
}

fn unauthenticated(message: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", "UNAUTHENTICATED");
    error.extensions = Some(extensions);
    error
}
