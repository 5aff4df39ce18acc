//! The authorization code grant (RFC 6749 §4.1.3, OIDC Core §3.1.3), with
//! PKCE (RFC 7636) and the revocation of what a replayed code issued.

use anyhow::Context;

use super::mint::{Planned, Refresh, TokenResponse, UserGrant, issue_user_tokens_in};
use super::{TokenError, TokenRequest, err, wants_refresh};
use crate::app::AppState;
use crate::crypto::{constant_time_eq, sha256_hex};
use crate::domain::Scope;
use crate::oidc::authorize::s256;
use crate::oidc::error::ErrorCode;
use crate::store::{self, authorization_codes::Issued, clients::Client};

/// Exchanges an authorization code for tokens.
pub(super) async fn exchange_code(
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
    // Reading the code and its user, consuming the code, recording what it
    // issues and storing the refresh token happen in one transaction: one
    // commit and one connection instead of three. A replay that finds the
    // code used also finds what to revoke, and on PostgreSQL a replay racing
    // this one waits on the code's row until this commits (the consuming
    // update stays conditional). An early return rolls back.
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let Some((stored, user)) =
        store::authorization_codes::find_by_hash_with_user(&txn, &code_hash).await?
    else {
        return Err(invalid_grant("The authorization code is invalid"));
    };
    let grant = &stored.grant;
    if grant.client_id != client.client_id.as_str() {
        return Err(invalid_grant(
            "The authorization code was issued to another client",
        ));
    }
    let now = state.clock.now();
    if stored.consumed_at.is_some() {
        txn.rollback().await.context("rolling back")?;
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
    let user = user
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
    let now = state.clock.now();
    if let (Some(jti), Some(exp)) = (&stored.access_token_jti, stored.access_token_expires_at) {
        store::revoked_access_tokens::insert(&state.db, jti, exp, now).await?;
    }
    if let Some(family) = stored.refresh_family_id {
        crate::oidc::token_family::revoke_family(
            &state.db,
            state.settings.tokens.refresh_token_ttl.0,
            family,
            now,
        )
        .await?;
    }
    Ok(())
}
