//! The SSO session: the browser's sign-in at ferrid, behind an opaque
//! cookie. Finding the current one, opening one at sign-in and revoking it
//! are shared by the authorization endpoint, the hosted login and logout.

mod user;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::app::AppState;
use crate::crypto::{random_token, sha256_hex};
use crate::domain::{
    AuthMethod, AuthorizationRequest, Moment, Requirement, SecondStep, SignInPolicy,
};
pub use crate::store::sso_sessions::{ListedSession, SessionOrigin, SsoSession};
use crate::store::{self, ConnectionTrait};
pub use user::{
    SignInUser, Signup, find_or_create_user, find_or_create_user_in, user_for_verified,
};

/// How stale a session's "last seen" may get before a use records it: one
/// write every few minutes, not one per request.
const LAST_SEEN_EVERY: chrono::Duration = chrono::Duration::minutes(5);

/// The SSO session behind a cookie value, if it is live and its user may
/// sign in. Records the use when "last seen" is stale.
pub async fn current(state: &AppState, token: &str) -> anyhow::Result<Option<SsoSession>> {
    let now = state.clock.now();
    let Some(session) =
        store::sso_sessions::find_live_of_active_user(&state.db, &sha256_hex(token), now).await?
    else {
        return Ok(None);
    };
    if session.last_seen_at <= now - LAST_SEEN_EVERY {
        store::sso_sessions::update_last_seen(&state.db, &session.sid, now - LAST_SEEN_EVERY, now)
            .await?;
    }
    Ok(Some(session))
}

/// What the sign-in of `user_id`, who proved `proven`, needs next for
/// `request`: the policy, the client and the request's `acr` against the
/// user's factors. Reads through `db` (a sign-in's transaction, or the pool).
pub async fn second_step_for(
    db: &impl ConnectionTrait,
    state: &AppState,
    request: Requirement<'_>,
    moment: Moment,
    user_id: Uuid,
    proven: &[AuthMethod],
) -> anyhow::Result<SecondStep> {
    let policy = crate::policy::load(db, state.settings.login.signup).await?;
    second_step_under(db, &policy, request, moment, user_id, proven).await
}

/// [`second_step_for`] under a policy already read: the user's factors are
/// read only when the answer can depend on them.
pub async fn second_step_under(
    db: &impl ConnectionTrait,
    policy: &SignInPolicy,
    request: Requirement<'_>,
    moment: Moment,
    user_id: Uuid,
    proven: &[AuthMethod],
) -> anyhow::Result<SecondStep> {
    let enrolled = if crate::domain::asks_for_factors(policy, request, moment) {
        crate::factors::enrolled(db, user_id).await?
    } else {
        Vec::new()
    };
    Ok(crate::domain::second_step(
        policy, request, moment, proven, &enrolled,
    ))
}

/// [`second_step_for`] an open SSO session.
pub async fn second_step(
    db: &impl ConnectionTrait,
    state: &AppState,
    request: &AuthorizationRequest,
    moment: Moment,
    session: &SsoSession,
) -> anyhow::Result<SecondStep> {
    let proven = session.methods().unwrap_or_default();
    second_step_for(
        db,
        state,
        request.requirement(),
        moment,
        session.user_id,
        &proven,
    )
    .await
}

/// Where a sign-in comes from, for the session's row: the user agent (cut
/// to a bounded length) and the coarse network of the client address.
pub fn origin(user_agent: Option<&str>, ip: Option<&str>) -> SessionOrigin {
    SessionOrigin {
        user_agent: user_agent
            .map(|ua| ua.chars().take(512).collect::<String>())
            .filter(|ua| !ua.is_empty()),
        network: ip.and_then(crate::domain::coarse_network),
    }
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
    origin: &SessionOrigin,
) -> anyhow::Result<Opened> {
    open_in(&state.db, state, user_id, methods, origin).await
}

/// Like [`open`], stored through `db` (the caller's transaction).
pub async fn open_in(
    db: &impl ConnectionTrait,
    state: &AppState,
    user_id: Uuid,
    methods: &[AuthMethod],
    origin: &SessionOrigin,
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
    store::sso_sessions::insert(db, sha256_hex(&token), &session, origin, now).await?;
    Ok(Opened { session, token })
}

/// Ends the session `sid` (logout); what was issued from it is the caller's.
pub async fn revoke(state: &AppState, sid: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
    store::sso_sessions::update_revoked_by_sid(&state.db, sid, now).await?;
    Ok(())
}
