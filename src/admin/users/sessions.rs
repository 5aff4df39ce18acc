//! A user's SSO sessions, listed and ended by an administrator.

use crate::audit::Actor;
use uuid::Uuid;

use crate::app::AppState;
use crate::store::{self, sso_sessions::ListedSession};

/// The user's live sessions, newest first; `None` when there is no such user.
pub async fn list_sessions(
    state: &AppState,
    user_id: Uuid,
) -> anyhow::Result<Option<Vec<ListedSession>>> {
    if store::users::find_by_id(&state.db, user_id)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let now = state.clock.now();
    Ok(Some(
        store::sso_sessions::list_live_for_user(&state.db, user_id, now).await?,
    ))
}

/// Ends every live session of the user, or only `sid`, with the refresh
/// tokens issued under them; how many ended, `None` when there is no such
/// user.
pub async fn revoke_sessions(
    state: &AppState,
    by: &Actor,
    user_id: Uuid,
    sid: Option<&str>,
) -> anyhow::Result<Option<usize>> {
    if store::users::find_by_id(&state.db, user_id)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let ended = super::end_sessions(state, user_id, sid).await?;
    crate::audit::record_by(
        &state.db,
        state.clock.now(),
        by,
        "admin.user.sessions_revoked",
        Some(user_id),
        None,
        serde_json::json!({ "sid": sid, "ended": ended }),
    )
    .await;
    Ok(Some(ended))
}
