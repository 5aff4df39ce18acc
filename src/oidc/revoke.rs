//! Token revocation (RFC 7009) and introspection (RFC 7662).

use chrono::DateTime;
use serde::Deserialize;

use super::client_auth::{ClientAuthError, ClientCredentials, PublicClients, authenticate};
use super::error::{ErrorCode, OAuthError};
use crate::app::AppState;
use crate::crypto::keys::validation;
use crate::crypto::sha256_hex;
use crate::store;

#[derive(Deserialize)]
struct AccessClaims {
    sub: String,
    client_id: String,
    jti: String,
    scope: String,
    exp: i64,
    iat: i64,
}

fn access_claims(state: &AppState, token: &str, check_expiry: bool) -> Option<AccessClaims> {
    let issuer = state.settings.issuer_base();
    let v = validation(issuer, &super::access_token_audience(issuer));
    let claims: AccessClaims = state.keys.verify(token, "at+jwt", &v).ok()?;
    (!check_expiry || claims.exp > state.clock.now().timestamp()).then_some(claims)
}

/// RFC 7009 §2.1: revokes a refresh token (with its family) or an access
/// token (its `jti` denied until it expires). Unknown tokens are not an error.
pub async fn revoke(
    state: &AppState,
    creds: &ClientCredentials,
    token: &str,
) -> Result<(), ClientAuthError> {
    let client = authenticate(state, creds, PublicClients::Allowed).await?;
    let not_yours = || {
        OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "The token was not issued to this client",
        )
    };
    let now = state.clock.now();
    if let Some(stored) = store::refresh_tokens::find_by_hash(&state.db, &sha256_hex(token))
        .await
        .map_err(anyhow::Error::from)?
    {
        if stored.client_id != client.client_id.as_str() {
            return Err(not_yours().into());
        }
        super::token_family::revoke_family(
            &state.db,
            state.settings.tokens.refresh_token_ttl.0,
            stored.family_id,
            now,
        )
        .await?;
        return Ok(());
    }
    if let Some(claims) = access_claims(state, token, false) {
        if claims.client_id != client.client_id.as_str() {
            return Err(not_yours().into());
        }
        let expires_at = DateTime::from_timestamp(claims.exp, 0).unwrap_or(now);
        if expires_at > now {
            store::revoked_access_tokens::insert(&state.db, &claims.jti, expires_at, now)
                .await
                .map_err(anyhow::Error::from)?;
        }
    }
    Ok(())
}

/// RFC 7662 §2.2: what an active token is; `{"active": false}` otherwise.
/// Only confidential clients may ask, and only about tokens issued to them,
/// unless registered as a resource server (`ferrid client create
/// --introspect`). RFC 7662 §4: the server must decide which tokens a caller
/// may learn about; a token it may not see is answered as inactive, which
/// does not tell that it exists.
pub async fn introspect(
    state: &AppState,
    creds: &ClientCredentials,
    token: &str,
) -> Result<serde_json::Value, ClientAuthError> {
    let caller = authenticate(state, creds, PublicClients::Refused).await?;
    let may_see = |client_id: &str| caller.introspect || client_id == caller.client_id.as_str();
    let inactive = serde_json::json!({ "active": false });
    let now = state.clock.now();
    if let Some(claims) = access_claims(state, token, true) {
        if !may_see(&claims.client_id) {
            return Ok(inactive);
        }
        let revoked = store::revoked_access_tokens::is_revoked(&state.db, &claims.jti)
            .await
            .map_err(anyhow::Error::from)?;
        if revoked {
            return Ok(inactive);
        }
        return Ok(serde_json::json!({
            "active": true,
            "token_type": "Bearer",
            "scope": claims.scope,
            "client_id": claims.client_id,
            "sub": claims.sub,
            "exp": claims.exp,
            "iat": claims.iat,
            "iss": state.settings.issuer_base(),
            "jti": claims.jti,
        }));
    }
    let stored = store::refresh_tokens::find_by_hash(&state.db, &sha256_hex(token))
        .await
        .map_err(anyhow::Error::from)?;
    Ok(match stored {
        Some(t)
            if t.revoked_at.is_none()
                && t.rotated_at.is_none()
                && t.expires_at > now
                && may_see(&t.client_id) =>
        {
            serde_json::json!({
                "active": true,
                "token_type": "refresh_token",
                "scope": t.scope,
                "client_id": t.client_id,
                "sub": t.user_id.to_string(),
                "exp": t.expires_at.timestamp(),
                "iat": t.created_at.timestamp(),
                "iss": state.settings.issuer_base(),
            })
        }
        _ => inactive,
    })
}
