//! Signing out one session, or every session but this one.

use super::Request;
use super::actions::{Action, Continued};
use super::reauth::{self, Gate, Gated};
use crate::app::AppState;
use crate::store;

/// What became of "sign out" on one session.
#[derive(Debug, PartialEq, Eq)]
pub enum SessionRevoked {
    Revoked,
    /// Not a live session of this user.
    NotFound,
}

/// Ends a session and the refresh tokens issued under it (as a logout
/// does: `offline_access` tokens outlive the browser session).
pub(crate) async fn end_session(
    state: &AppState,
    sid: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    for family in
        store::refresh_tokens::list_families_ending_at_logout(&state.db, sid, None).await?
    {
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

/// `POST /account/sessions/{id}/revoke`: signs one of the user's sessions out.
pub async fn revoke_session(r: &Request<'_>, sid: &str) -> anyhow::Result<SessionRevoked> {
    let state = r.state;
    let now = state.clock.now();
    if !store::sso_sessions::update_revoked_for_user(&state.db, r.me.user.id, sid, now).await? {
        return Ok(SessionRevoked::NotFound);
    }
    end_session(state, sid, now).await?;
    crate::audit::record_for_user(
        &state.db,
        now,
        r.me.user.id,
        "account.session_revoked",
        None,
        r.ip,
        serde_json::json!({ "sid": sid, "by_sid": r.me.session.sid }),
    )
    .await;
    Ok(SessionRevoked::Revoked)
}

/// `POST /account/sessions/revoke-others`, after a recent sign-in.
pub async fn revoke_others(r: &Request<'_>) -> anyhow::Result<Gated> {
    Ok(match reauth::gate(r, Action::RevokeOtherSessions).await? {
        Gate::Open => Gated::Done(revoke_others_now(r).await?),
        Gate::CodeSent => Gated::NeedsReauth,
        Gate::NotSent(problem) => Gated::ReauthNotSent(problem),
    })
}

/// Signs out every session of the user but this one.
pub(super) async fn revoke_others_now(r: &Request<'_>) -> anyhow::Result<Continued> {
    let state = r.state;
    let now = state.clock.now();
    let sessions = store::sso_sessions::list_live_for_user(&state.db, r.me.user.id, now).await?;
    let mut count = 0;
    for s in sessions.iter().filter(|s| s.sid != r.me.session.sid) {
        if store::sso_sessions::update_revoked_for_user(&state.db, r.me.user.id, &s.sid, now)
            .await?
        {
            end_session(state, &s.sid, now).await?;
            count += 1;
        }
    }
    crate::audit::record_for_user(
        &state.db,
        now,
        r.me.user.id,
        "account.sessions_revoked_others",
        None,
        r.ip,
        serde_json::json!({ "count": count, "by_sid": r.me.session.sid }),
    )
    .await;
    Ok(Continued::OthersSignedOut(count))
}
