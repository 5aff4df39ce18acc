//! The client credentials grant (RFC 6749 §4.4).

use super::mint::{TokenResponse, issue_client_token};
use super::{TokenError, TokenRequest, err};
use crate::app::AppState;
use crate::domain::Scope;
use crate::oidc::error::ErrorCode;
use crate::store::clients::Client;

/// RFC 6749 §4.4: a confidential client, on its own behalf, within its allowed scopes.
pub(super) fn client_credentials(
    state: &AppState,
    client: &Client,
    req: &TokenRequest,
) -> Result<TokenResponse, TokenError> {
    if client.secret_hash.is_none() {
        return Err(err(
            ErrorCode::UnauthorizedClient,
            "Only confidential clients may use client_credentials",
        ));
    }
    let scope: Vec<&str> = match req.scope.as_deref() {
        None => client.allowed_scopes.iter().map(String::as_str).collect(),
        Some(asked) => {
            let asked: Vec<&str> = asked.split(' ').filter(|s| !s.is_empty()).collect();
            if asked
                .iter()
                .any(|s| !client.allowed_scopes.iter().any(|a| a == s))
            {
                return Err(err(
                    ErrorCode::InvalidScope,
                    "The scope is not allowed for this client",
                ));
            }
            asked
        }
    };
    let scope = Scope::from_values(scope);
    Ok(issue_client_token(
        state,
        client.client_id.as_str(),
        &scope,
    )?)
}
