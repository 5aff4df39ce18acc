//! The SSO session: the browser's sign-in at ferrid, behind an opaque
//! cookie. Finding the current one, opening one at sign-in and revoking it
//! are shared by the authorization endpoint, the hosted login and logout.

mod user;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::app::AppState;
use crate::crypto::{random_token, sha256_hex};
use crate::domain::AuthMethod;
pub use crate::store::sso_sessions::SsoSession;
use crate::store::{self, ConnectionTrait};
pub use user::{
    SignInUser, Signup, find_or_create_user, find_or_create_user_in, user_for_verified,
};

/// The SSO session behind a cookie value, if it is live and its user may sign in.
pub async fn current(state: &AppState, token: &str) -> anyhow::Result<Option<SsoSession>> {
    let Some(session) =
        store::sso_sessions::find_live(&state.db, &sha256_hex(token), state.clock.now()).await?
    else {
        return Ok(None);
    };
    let user = store::users::find_by_id(&state.db, session.user_id).await?;
    Ok(user.filter(|u| !u.blocked).map(|_| session))
}

/// A session just opened: the row, and the cookie value only the browser keeps.
#[derive(Debug)]
pub struct Opened {
    pub session: SsoSession,
    pub token: String,
}

/// Opens an SSO session for a user who has just signed in with `methods`.
pub async fn open(
    state: &AppState,
    user_id: Uuid,
    methods: &[AuthMethod],
) -> anyhow::Result<Opened> {
    open_in(&state.db, state, user_id, methods).await
}

/// Like [`open`], stored through `db` (the caller's transaction).
pub async fn open_in(
    db: &impl ConnectionTrait,
    state: &AppState,
    user_id: Uuid,
    methods: &[AuthMethod],
) -> anyhow::Result<Opened> {
    let now = state.clock.now();
    let token = random_token();
    let session = SsoSession::new(
        random_token(),
        user_id,
        now,
        methods,
        now + state.settings.tokens.sso_session_ttl.0,
    );
    store::sso_sessions::insert(db, sha256_hex(&token), &session, now).await?;
    Ok(Opened { session, token })
}

/// Ends the session `sid` (logout); what was issued from it is the caller's.
pub async fn revoke(state: &AppState, sid: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
    store::sso_sessions::update_revoked_by_sid(&state.db, sid, now).await?;
    Ok(())
}
