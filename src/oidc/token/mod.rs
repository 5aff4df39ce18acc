//! The token endpoint (RFC 6749 §3.2): authorization code (§4.1.3, OIDC Core
//! §3.1.3), refresh token (§6), client credentials (§4.4), and Auth0's
//! passwordless OTP grant. This module parses the request and dispatches to
//! one module per grant; `mint` is the one place a token response is made.

mod authorization_code;
mod client_credentials;
pub mod mint;
mod passwordless_otp;
mod refresh_token;

use uuid::Uuid;

use self::mint::{Refresh, TokenResponse};
use super::client_auth::{ClientAuthError, ClientCredentials, PublicClients, authenticate};
use super::error::{ErrorCode, OAuthError};
use crate::app::AppState;
use crate::domain::{GrantType, PASSWORDLESS_OTP_GRANT, Scope};
use crate::store::{self, clients::Client};

/// A token request, as parsed from the form and the Authorization header.
#[derive(Debug, Default)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    /// The passwordless grant's phone number.
    pub username: Option<String>,
    pub otp: Option<String>,
    pub realm: Option<String>,
    pub credentials: ClientCredentials,
    /// The client's IP, for the OTP engine's records.
    pub ip: Option<String>,
}

/// Why no tokens were issued. `InvalidClient` answers 401 with
/// `WWW-Authenticate`; the others 400 (RFC 6749 §5.2).
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("{0}")]
    OAuth(OAuthError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

fn err(code: ErrorCode, description: &'static str) -> TokenError {
    TokenError::OAuth(OAuthError::new(code, description))
}

impl From<store::StoreError> for TokenError {
    fn from(e: store::StoreError) -> Self {
        Self::Unexpected(e.into())
    }
}

impl From<ClientAuthError> for TokenError {
    fn from(e: ClientAuthError) -> Self {
        match e {
            ClientAuthError::OAuth(e) => Self::OAuth(e),
            ClientAuthError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

/// Handles a token request.
pub async fn token(state: &AppState, req: TokenRequest) -> Result<TokenResponse, TokenError> {
    let client = authenticate(state, &req.credentials, PublicClients::Allowed).await?;
    let grant = match req.grant_type.as_deref() {
        None | Some("") => {
            return Err(err(
                ErrorCode::InvalidRequest,
                "The grant_type parameter is missing",
            ));
        }
        Some("authorization_code") => GrantType::AuthorizationCode,
        Some("refresh_token") => GrantType::RefreshToken,
        Some("client_credentials") => GrantType::ClientCredentials,
        Some(PASSWORDLESS_OTP_GRANT) => GrantType::PasswordlessOtp,
        Some(_) => {
            return Err(err(
                ErrorCode::UnsupportedGrantType,
                "This grant type is not supported",
            ));
        }
    };
    if !client.grant_types.contains(&grant) {
        return Err(err(
            ErrorCode::UnauthorizedClient,
            "This client may not use this grant type",
        ));
    }
    match grant {
        GrantType::AuthorizationCode => {
            authorization_code::exchange_code(state, &client, &req).await
        }
        GrantType::RefreshToken => refresh_token::refresh(state, &client, &req).await,
        GrantType::ClientCredentials => {
            client_credentials::client_credentials(state, &client, &req)
        }
        GrantType::PasswordlessOtp => passwordless_otp::otp_grant(state, &client, &req).await,
    }
}

/// Whether a user grant gets a refresh token: the client has the grant and
/// `offline_access` was granted, or the (first-party) client is set to
/// receive one without it.
fn wants_refresh(client: &Client, scope: &Scope) -> Refresh {
    let allowed = client.grant_types.contains(&GrantType::RefreshToken)
        && (scope.contains("offline_access") || client.refresh_without_offline_access);
    if allowed {
        Refresh::NewFamily {
            family_id: Uuid::new_v4(),
        }
    } else {
        Refresh::No
    }
}
