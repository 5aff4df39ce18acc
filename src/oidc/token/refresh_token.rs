//! The refresh token grant (RFC 6749 §6), with rotation inside a family and
//! the revocation of the family when a rotated token comes back.

use anyhow::Context;
use chrono::{DateTime, Utc};

use super::mint::{Planned, Refresh, TokenResponse, UserGrant, issue_user_tokens_in};
use super::{TokenError, TokenRequest, err};
use crate::app::AppState;
use crate::crypto::sha256_hex;
use crate::domain::{AuthMethod, Scope};
use crate::oidc::error::ErrorCode;
use crate::store::{self, TransactionTrait, clients::Client, refresh_tokens::RefreshToken};

/// RFC 6749 §6, with rotation: each use returns a new token; presenting a
/// rotated one again means it was stolen, so the family and the SSO session
/// it came from are revoked (OAuth 2.0 Security BCP §4.14.2).
pub(super) async fn refresh(
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
    let now = state.clock.now();
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
            // The methods of the session the family came from, not a stamp.
            acr: AuthMethod::acr_of_amr(&stored.amr),
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
    crate::oidc::token_family::revoke_family(
        &state.db,
        state.settings.tokens.refresh_token_ttl.0,
        stored.family_id,
        now,
    )
    .await?;
    if let Some(sid) = &stored.sid {
        store::sso_sessions::update_revoked_by_sid(&state.db, sid, now).await?;
    }
    tracing::warn!(client_id = %stored.client_id, "refresh token reused; its family and session were revoked");
    Ok(err(
        ErrorCode::InvalidGrant,
        "The refresh token was already used",
    ))
}
