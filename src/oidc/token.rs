//! The token endpoint (RFC 6749 §3.2, §4.1.3; OIDC Core §3.1.3).

use chrono::Utc;

use super::authorize::s256;
use super::error::{ErrorCode, OAuthError};
use super::issue::{TokenGrant, TokenResponse, issue_tokens};
use crate::crypto::{constant_time_eq, sha256_hex, verify_sha256_hex};
use crate::domain::{ClientId, ClientType, GrantType, Scope};
use crate::startup::AppState;
use crate::store::{self, clients::Client};

/// A token request, as parsed from the form and the Authorization header.
#[derive(Debug, Default)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// `client_secret_basic` credentials, already URL-decoded (RFC 6749 §2.3.1).
    pub basic: Option<(String, String)>,
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

/// Handles a token request.
pub async fn token(state: &AppState, req: TokenRequest) -> Result<TokenResponse, TokenError> {
    let client = authenticate_client(state, &req).await?;
    match req.grant_type.as_deref() {
        None | Some("") => Err(err(
            ErrorCode::InvalidRequest,
            "The grant_type parameter is missing",
        )),
        Some("authorization_code") => {
            if !client.grant_types.contains(&GrantType::AuthorizationCode) {
                return Err(err(
                    ErrorCode::UnauthorizedClient,
                    "This client may not use this grant type",
                ));
            }
            exchange_code(state, &client, &req).await
        }
        Some(_) => Err(err(
            ErrorCode::UnsupportedGrantType,
            "This grant type is not supported",
        )),
    }
}

/// RFC 6749 §2.3: exactly one way of authenticating; confidential clients
/// prove their secret, public clients send only their id.
async fn authenticate_client(state: &AppState, req: &TokenRequest) -> Result<Client, TokenError> {
    let invalid = || err(ErrorCode::InvalidClient, "Client authentication failed");
    let (client_id, secret) = match (&req.basic, &req.client_secret) {
        (Some(_), Some(_)) => {
            return Err(err(
                ErrorCode::InvalidRequest,
                "Use only one client authentication method",
            ));
        }
        (Some((id, secret)), None) => {
            if req
                .client_id
                .as_deref()
                .is_some_and(|form_id| form_id != id)
            {
                return Err(err(
                    ErrorCode::InvalidRequest,
                    "The client_id does not match the credentials",
                ));
            }
            (id.as_str(), Some(secret.as_str()))
        }
        (None, secret) => match &req.client_id {
            Some(id) => (id.as_str(), secret.as_deref()),
            None => return Err(invalid()),
        },
    };
    let client_id = ClientId::parse(client_id).map_err(|_| invalid())?;
    let client = store::clients::find_by_client_id(&state.db, &client_id)
        .await?
        .ok_or_else(invalid)?;
    match (client.client_type, secret, &client.secret_hash) {
        (ClientType::Confidential, Some(secret), Some(hash)) if verify_sha256_hex(secret, hash) => {
            Ok(client)
        }
        (ClientType::Public, None, _) => Ok(client),
        _ => Err(invalid()),
    }
}

async fn exchange_code(
    state: &AppState,
    client: &Client,
    req: &TokenRequest,
) -> Result<TokenResponse, TokenError> {
    let invalid_grant = |d| err(ErrorCode::InvalidGrant, d);
    let Some(code) = req.code.as_deref().filter(|c| !c.is_empty()) else {
        return Err(err(
            ErrorCode::InvalidRequest,
            "The code parameter is missing",
        ));
    };
    let code_hash = sha256_hex(code);
    let Some(stored) = store::authorization_codes::find_by_hash(&state.db, &code_hash).await?
    else {
        return Err(invalid_grant("The authorization code is invalid"));
    };
    let grant = &stored.grant;
    if grant.client_id != client.client_id.as_str() {
        return Err(invalid_grant(
            "The authorization code was issued to another client",
        ));
    }
    let now = Utc::now();
    if stored.consumed_at.is_some() {
        // RFC 6749 §4.1.2: a reused code must fail, and should revoke what it issued.
        revoke_issued(state, &stored).await?;
        tracing::warn!(client_id = %grant.client_id, "authorization code reused; its tokens were revoked");
        return Err(invalid_grant("The authorization code was already used"));
    }
    if grant.expires_at <= now {
        return Err(invalid_grant("The authorization code has expired"));
    }
    match req.redirect_uri.as_deref() {
        Some(uri) if uri == grant.redirect_uri => {}
        None if client.redirect_uris.len() == 1 => {}
        _ => {
            return Err(invalid_grant(
                "The redirect_uri does not match the authorization request",
            ));
        }
    }
    match (&grant.code_challenge, req.code_verifier.as_deref()) {
        (Some(challenge), Some(verifier)) if is_verifier(verifier) => {
            if !constant_time_eq(s256(verifier).as_bytes(), challenge.as_bytes()) {
                return Err(invalid_grant(
                    "The code_verifier does not match the code_challenge",
                ));
            }
        }
        (Some(_), Some(_)) => return Err(invalid_grant("The code_verifier is malformed")),
        (Some(_), None) => return Err(invalid_grant("The code_verifier is missing")),
        // A verifier without a challenge: refuse, or PKCE could be downgraded.
        (None, Some(_)) => {
            return Err(invalid_grant(
                "A code_verifier was sent but no code_challenge was",
            ));
        }
        (None, None) => {}
    }
    if !store::authorization_codes::update_consumed(&state.db, &code_hash, now).await? {
        // Lost a race with another exchange of the same code.
        return Err(invalid_grant("The authorization code was already used"));
    }
    let user = store::users::find_by_id(&state.db, grant.user_id)
        .await?
        .filter(|u| !u.blocked)
        .ok_or_else(|| invalid_grant("The user can no longer sign in"))?;
    let scope = Scope::parse_known(&grant.scope);
    let response = issue_tokens(
        state,
        &TokenGrant {
            client_id: &grant.client_id,
            user: &user,
            scope: &scope,
            nonce: grant.nonce.as_deref(),
            auth_time: grant.auth_time,
            amr: &grant.amr,
            sid: &grant.sid,
        },
    )?;
    store::authorization_codes::update_issued_access_token(
        &state.db,
        &code_hash,
        &response.jti,
        response.access_token_expires_at,
    )
    .await?;
    Ok(response)
}

/// RFC 7636 §4.1: 43–128 unreserved characters.
fn is_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

async fn revoke_issued(
    state: &AppState,
    stored: &store::authorization_codes::StoredCode,
) -> anyhow::Result<()> {
    if let (Some(jti), Some(exp)) = (&stored.access_token_jti, stored.access_token_expires_at) {
        store::revoked_access_tokens::insert(&state.db, jti, exp, Utc::now()).await?;
    }
    Ok(())
}
