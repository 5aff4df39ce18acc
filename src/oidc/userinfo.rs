//! The UserInfo endpoint (OIDC Core §5.3): claims for a valid access token.

use serde::Deserialize;
use uuid::Uuid;

use crate::app::AppState;
use crate::crypto::keys::validation;
use crate::domain::Scope;
use crate::store;

/// Why the token was refused: answered with 401 and
/// `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3.1).
#[derive(Debug, thiserror::Error)]
pub enum UserInfoError {
    #[error("no access token was given")]
    MissingToken,
    #[error("{0}")]
    InvalidToken(&'static str),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

#[derive(Deserialize)]
struct AccessClaims {
    sub: String,
    jti: String,
    scope: String,
    exp: i64,
}

/// The claims the token's scopes allow.
pub async fn userinfo(
    state: &AppState,
    token: Option<&str>,
) -> Result<serde_json::Value, UserInfoError> {
    let token = token
        .filter(|t| !t.is_empty())
        .ok_or(UserInfoError::MissingToken)?;
    let issuer = state.settings.issuer_base();
    let claims: AccessClaims = state
        .keys
        .verify(
            token,
            "at+jwt",
            &validation(issuer, &super::access_token_audience(issuer)),
        )
        .ok()
        .filter(|c: &AccessClaims| c.exp > state.clock.now().timestamp())
        .ok_or(UserInfoError::InvalidToken(
            "The access token is invalid or expired",
        ))?;
    if store::revoked_access_tokens::is_revoked(&state.db, &claims.jti)
        .await
        .map_err(anyhow::Error::from)?
    {
        return Err(UserInfoError::InvalidToken("The access token was revoked"));
    }
    let user_id = Uuid::parse_str(&claims.sub)
        .map_err(|_| UserInfoError::InvalidToken("The access token is invalid"))?;
    let user = store::users::find_by_id(&state.db, user_id)
        .await
        .map_err(anyhow::Error::from)?
        .filter(|u| !u.blocked)
        .ok_or(UserInfoError::InvalidToken("The user no longer exists"))?;
    Ok(super::claims::userinfo_claims(
        &user,
        &Scope::parse_known(&claims.scope),
    ))
}
