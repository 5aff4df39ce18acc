//! Revoking what the user allowed an application.

use super::Request;
use crate::store;

/// What became of "revoke" on an application.
#[derive(Debug, PartialEq, Eq)]
pub enum ConsentRevoked {
    Revoked,
    /// The user had not allowed this client (or revoked it already).
    NotFound,
}

/// `POST /account/consents/{client_id}/revoke`: removes the consent and
/// every refresh token the client holds for this user (and the access
/// tokens issued with them). The next sign-in asks for consent again.
pub async fn revoke_consent(r: &Request<'_>, client_id: &str) -> anyhow::Result<ConsentRevoked> {
    let state = r.state;
    let now = state.clock.now();
    if !store::consents::update_revoked(&state.db, r.me.user.id, client_id, now).await? {
        return Ok(ConsentRevoked::NotFound);
    }
    let families = store::refresh_tokens::list_live_families_for_user(
        &state.db,
        r.me.user.id,
        Some(client_id),
    )
    .await?;
    for family in &families {
        crate::oidc::token_family::revoke_family(
            &state.db,
            state.settings.tokens.refresh_token_ttl.0,
            *family,
            now,
        )
        .await?;
    }
    crate::audit::record_for_user(
        &state.db,
        now,
        r.me.user.id,
        "account.consent_revoked",
        None,
        r.ip,
        serde_json::json!({ "client_id": client_id, "token_families": families.len() }),
    )
    .await;
    Ok(ConsentRevoked::Revoked)
}
