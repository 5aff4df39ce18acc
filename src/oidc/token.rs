//! The token endpoint (RFC 6749 §3.2): authorization code (§4.1.3, OIDC Core
//! §3.1.3), refresh token (§6), client credentials (§4.4), and Auth0's
//! passwordless OTP grant.

use anyhow::Context;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::authorize::s256;
use super::client_auth::{ClientAuthError, ClientCredentials, PublicClients, authenticate};
use super::error::{ErrorCode, OAuthError};
use super::issue::{
    Planned, Refresh, TokenResponse, UserGrant, issue_client_token, issue_user_tokens_in,
};
use crate::app::AppState;
use crate::crypto::{constant_time_eq, sha256_hex};
use crate::domain::{GrantType, PASSWORDLESS_OTP_GRANT, Scope};
use crate::store::{
    self, TransactionTrait, authorization_codes::Issued, clients::Client,
    refresh_tokens::RefreshToken,
};

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

pub(super) fn err(code: ErrorCode, description: &'static str) -> TokenError {
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
        GrantType::AuthorizationCode => exchange_code(state, &client, &req).await,
        GrantType::RefreshToken => refresh(state, &client, &req).await,
        GrantType::ClientCredentials => client_credentials(state, &client, &req),
        GrantType::PasswordlessOtp => super::passwordless::otp_grant(state, &client, &req).await,
    }
}

/// Whether a user grant gets a refresh token: the client has the grant and
/// `offline_access` was granted, or the (first-party) client is set to
/// receive one without it.
pub(super) fn wants_refresh(client: &Client, scope: &Scope) -> Refresh {
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
    let user = store::users::find_by_id(&state.db, grant.user_id)
        .await?
        .filter(|u| !u.blocked)
        .ok_or_else(|| invalid_grant("The user can no longer sign in"))?;
    let scope = Scope::parse_known(&grant.scope);
    let refresh = wants_refresh(client, &scope);
    let plan = Planned::new(state);
    let issued = Issued {
        access_token_jti: plan.jti.clone(),
        access_token_expires_at: plan.access_token_expires_at,
        refresh_family_id: refresh.family_id(),
        keep_until: match refresh {
            Refresh::No => plan.access_token_expires_at,
            _ => plan.refresh_family_expires_at(state),
        },
    };
    // Consuming the code, recording what it issues and storing the refresh
    // token commit together: a replay that finds the code used also finds
    // what to revoke, and on PostgreSQL a replay racing this one waits on the
    // code's row until it is committed.
    let txn = state.db.begin().await.context("starting a transaction")?;
    if !store::authorization_codes::update_consumed(&txn, &code_hash, &issued, now).await? {
        txn.rollback().await.context("rolling back")?;
        // Lost a race with another exchange of the same code: revoke what it issued.
        if let Some(winner) =
            store::authorization_codes::find_by_hash(&state.db, &code_hash).await?
        {
            revoke_issued(state, &winner).await?;
        }
        tracing::warn!(client_id = %grant.client_id, "authorization code reused; its tokens were revoked");
        return Err(invalid_grant("The authorization code was already used"));
    }
    let response = issue_user_tokens_in(
        &txn,
        state,
        &plan,
        &UserGrant {
            client_id: &grant.client_id,
            user: &user,
            scope: &scope,
            nonce: grant.nonce.as_deref(),
            auth_time: grant.auth_time,
            amr: &grant.amr,
            acr: grant.acr.as_deref(),
            sid: Some(&grant.sid),
            id_token_claims: &grant.id_token_claims,
        },
        refresh,
    )
    .await?;
    txn.commit().await.context("committing the tokens")?;
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
    let now = Utc::now();
    if let (Some(jti), Some(exp)) = (&stored.access_token_jti, stored.access_token_expires_at) {
        store::revoked_access_tokens::insert(&state.db, jti, exp, now).await?;
    }
    if let Some(family) = stored.refresh_family_id {
        super::token_family::revoke_family(state, family, now).await?;
    }
    Ok(())
}

/// RFC 6749 §6, with rotation: each use returns a new token; presenting a
/// rotated one again means it was stolen, so the family and the SSO session
/// it came from are revoked (OAuth 2.0 Security BCP §4.14.2).
async fn refresh(
    state: &AppState,
    client: &Client,
    req: &TokenRequest,
) -> Result<TokenResponse, TokenError> {
    let invalid_grant = |d| err(ErrorCode::InvalidGrant, d);
    let Some(token) = req.refresh_token.as_deref().filter(|t| !t.is_empty()) else {
        return Err(err(
            ErrorCode::InvalidRequest,
            "The refresh_token parameter is missing",
        ));
    };
    let token_hash = sha256_hex(token);
    let Some(stored) = store::refresh_tokens::find_by_hash(&state.db, &token_hash).await? else {
        return Err(invalid_grant("The refresh token is invalid"));
    };
    if stored.client_id != client.client_id.as_str() {
        return Err(invalid_grant(
            "The refresh token was issued to another client",
        ));
    }
    let now = Utc::now();
    if stored.revoked_at.is_some() {
        return Err(invalid_grant("The refresh token was revoked"));
    }
    if stored.rotated_at.is_some() {
        return Err(reused(state, &stored, now).await?);
    }
    if stored.expires_at <= now {
        return Err(invalid_grant("The refresh token has expired"));
    }
    let granted = Scope::parse_known(&stored.scope);
    let scope = match req.scope.as_deref() {
        None => granted,
        Some(asked) => {
            let asked = Scope::parse_known(asked);
            if !granted.contains_all(&asked) {
                return Err(err(
                    ErrorCode::InvalidScope,
                    "The scope exceeds what was granted",
                ));
            }
            asked
        }
    };
    let user = store::users::find_by_id(&state.db, stored.user_id)
        .await?
        .filter(|u| !u.blocked)
        .ok_or_else(|| invalid_grant("The user can no longer sign in"))?;
    let plan = Planned::new(state);
    // One transaction locks the family (refused when it is revoked), consumes
    // the parent and stores the child: a revocation, which takes the same
    // lock, either sees the child or is seen by this rotation.
    let txn = state.db.begin().await.context("starting a transaction")?;
    if !store::refresh_token_families::update_used_if_live(&txn, stored.family_id, now).await? {
        txn.rollback().await.context("rolling back")?;
        return Err(invalid_grant("The refresh token was revoked"));
    }
    if !store::refresh_tokens::update_rotated(&txn, &token_hash, now).await? {
        // Another use rotated it since it was read: this one is the replay.
        txn.rollback().await.context("rolling back")?;
        return Err(reused(state, &stored, now).await?);
    }
    let response = issue_user_tokens_in(
        &txn,
        state,
        &plan,
        &UserGrant {
            client_id: &stored.client_id,
            user: &user,
            scope: &scope,
            // OIDC Core §12.2: a refreshed ID token has no nonce.
            nonce: None,
            auth_time: stored.auth_time,
            amr: &stored.amr,
            acr: Some(super::authorize::ACR_SMS),
            sid: stored.sid.as_deref(),
            id_token_claims: &[],
        },
        Refresh::Rotate {
            family_id: stored.family_id,
            parent_hash: token_hash,
            family_expires_at: stored.family_expires_at,
        },
    )
    .await?;
    txn.commit().await.context("committing the tokens")?;
    Ok(response)
}

/// A rotated token presented again: it was stolen, or the client is
/// confused; either way its family and the SSO session it came from are
/// revoked (OAuth 2.0 Security BCP §4.14.2).
async fn reused(
    state: &AppState,
    stored: &RefreshToken,
    now: DateTime<Utc>,
) -> Result<TokenError, TokenError> {
    super::token_family::revoke_family(state, stored.family_id, now).await?;
    if let Some(sid) = &stored.sid {
        store::sso_sessions::update_revoked_by_sid(&state.db, sid, now).await?;
    }
    tracing::warn!(client_id = %stored.client_id, "refresh token reused; its family and session were revoked");
    Ok(err(
        ErrorCode::InvalidGrant,
        "The refresh token was already used",
    ))
}

/// RFC 6749 §4.4: a confidential client, on its own behalf, within its allowed scopes.
fn client_credentials(
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
