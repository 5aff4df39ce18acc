//! Client authentication at the token, revocation and introspection
//! endpoints (RFC 6749 §2.3): exactly one method; confidential clients prove
//! their secret (compared in constant time), public clients send their id.

use std::sync::Arc;

use super::error::{ErrorCode, OAuthError};
use crate::app::AppState;
use crate::crypto::verify_sha256_hex;
use crate::domain::{ClientId, ClientType};
use crate::store::clients::Client;

/// The credentials a request carried.
#[derive(Debug, Default, Clone)]
pub struct ClientCredentials {
    /// `client_id` in the body.
    pub client_id: Option<String>,
    /// `client_secret` in the body (`client_secret_post`).
    pub client_secret: Option<String>,
    /// `client_secret_basic`, already URL-decoded.
    pub basic: Option<(String, String)>,
}

/// Whether a public client (no secret) is acceptable here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublicClients {
    Allowed,
    Refused,
}

fn invalid_client() -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClient, "Client authentication failed")
}

/// The authenticated client, or `invalid_client` / `invalid_request`.
pub async fn authenticate(
    state: &AppState,
    creds: &ClientCredentials,
    public: PublicClients,
) -> Result<Arc<Client>, ClientAuthError> {
    let (client_id, secret) = match (&creds.basic, &creds.client_secret) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::new(
                ErrorCode::InvalidRequest,
                "Use only one client authentication method",
            )
            .into());
        }
        (Some((id, secret)), None) => {
            if creds
                .client_id
                .as_deref()
                .is_some_and(|form_id| form_id != id)
            {
                return Err(OAuthError::new(
                    ErrorCode::InvalidRequest,
                    "The client_id does not match the credentials",
                )
                .into());
            }
            (id.as_str(), Some(secret.as_str()))
        }
        (None, secret) => match &creds.client_id {
            Some(id) => (id.as_str(), secret.as_deref()),
            None => return Err(invalid_client().into()),
        },
    };
    let client_id = ClientId::parse(client_id).map_err(|_| invalid_client())?;
    let client = state
        .clients
        .find(&state.db, &client_id)
        .await
        .map_err(|e| ClientAuthError::Unexpected(e.into()))?
        .ok_or_else(invalid_client)?;
    match (client.client_type, secret, &client.secret_hash) {
        (ClientType::Confidential, Some(secret), Some(hash)) if verify_sha256_hex(secret, hash) => {
            Ok(client)
        }
        (ClientType::Public, None, _) if public == PublicClients::Allowed => Ok(client),
        _ => Err(invalid_client().into()),
    }
}

/// A failed authentication.
#[derive(Debug, thiserror::Error)]
pub enum ClientAuthError {
    #[error("{0}")]
    OAuth(#[from] OAuthError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}
