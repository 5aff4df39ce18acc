use super::LoginTransaction;
use crate::app::AppState;
use crate::session::{self, SsoSession};
use crate::store;

/// The user's answer on the consent page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny,
}

/// What the consent page shows.
#[derive(Debug)]
pub struct ConsentView {
    pub client_name: String,
    /// Each scope, and each claim asked for beyond them, in words.
    pub scopes: Vec<&'static str>,
}

/// Whether the consent page may be shown.
#[derive(Debug)]
pub enum ConsentViewOutcome {
    Show(ConsentView),
    /// The browser's SSO session ended.
    NotSignedIn,
    /// The sign-in is not waiting for this session's consent (the user has
    /// still to sign in, or signed in as someone else since).
    NotAsked,
}

/// The answer to a consent decision; the authorization request is then
/// answered with a code for `session` or with `access_denied`.
#[derive(Debug)]
pub enum DecideOutcome {
    /// Allowed and remembered: a code for this session goes back.
    Allowed(SsoSession),
    Denied,
    NotSignedIn,
    /// Not waiting at its consent step for this session, or answered already.
    NotAsked,
}

/// Scope values in words, for the consent page.
pub fn describe_scope(scope: &str) -> Option<&'static str> {
    match scope {
        "openid" => Some("Know who you are, with an identifier that never changes"),
        "phone" => Some("See your phone number"),
        "email" => Some("See your email address"),
        "profile" => Some("See your name and profile details"),
        "offline_access" => Some("Stay connected to your account when you are not using it"),
        _ => None,
    }
}

/// A claim asked for by name (the `claims` parameter), in words.
pub fn describe_claim(claim: &str) -> &'static str {
    match claim {
        "phone_number" | "phone_number_verified" => "See your phone number",
        "email" | "email_verified" => "See your email address",
        "name" => "See your name",
        "locale" => "See your preferred language",
        _ => "See your profile details",
    }
}

/// The session the consent is for: the browser's live session, and the
/// one the transaction waits for. A sign-in still waiting for the user to
/// sign in (`prompt=login`, `max_age`, an `id_token_hint` for someone else)
/// has no consent step yet, whatever session the browser holds.
async fn consenting_session(
    state: &AppState,
    tx: &LoginTransaction,
    session_token: Option<&str>,
) -> anyhow::Result<Result<SsoSession, ConsentViewOutcome>> {
    let Some(token) = session_token else {
        return Ok(Err(ConsentViewOutcome::NotSignedIn));
    };
    let Some(session) = session::current(state, token).await? else {
        return Ok(Err(ConsentViewOutcome::NotSignedIn));
    };
    if tx.consent_sid.as_deref() != Some(session.sid.as_str()) {
        return Ok(Err(ConsentViewOutcome::NotAsked));
    }
    Ok(Ok(session))
}

/// The consent page for the transaction, when it waits for this browser's consent.
pub async fn consent_view(
    state: &AppState,
    tx: &LoginTransaction,
    session_token: Option<&str>,
) -> anyhow::Result<ConsentViewOutcome> {
    if let Err(refused) = consenting_session(state, tx, session_token).await? {
        return Ok(refused);
    }
    let mut scopes: Vec<&'static str> =
        tx.request.scope.iter().filter_map(describe_scope).collect();
    for claim in tx.request.claims_beyond_scope() {
        let words = describe_claim(&claim);
        if !scopes.contains(&words) {
            scopes.push(words);
        }
    }
    Ok(ConsentViewOutcome::Show(ConsentView {
        client_name: tx.request.client_name.clone(),
        scopes,
    }))
}

/// Records the decision for the authorization request, once, and
/// only for the session the consent page was shown to.
pub async fn decide(
    state: &AppState,
    tx: &LoginTransaction,
    session_token: Option<&str>,
    decision: Decision,
) -> anyhow::Result<DecideOutcome> {
    let session = match consenting_session(state, tx, session_token).await? {
        Ok(session) => session,
        Err(ConsentViewOutcome::NotSignedIn) => return Ok(DecideOutcome::NotSignedIn),
        Err(_) => return Ok(DecideOutcome::NotAsked),
    };
    let now = state.clock.now();
    // Taking the transaction is the check: of two answers posted at once,
    // one finds it gone.
    if !store::login_transactions::delete_awaiting_consent(
        &state.db,
        &tx.id_hash,
        &session.sid,
        now,
    )
    .await?
    {
        return Ok(DecideOutcome::NotAsked);
    }
    match decision {
        Decision::Deny => Ok(DecideOutcome::Denied),
        Decision::Allow => {
            store::consents::upsert(
                &state.db,
                session.user_id,
                &tx.request.client_id,
                &tx.request.scope.to_string(),
                &tx.request.claims_beyond_scope(),
                now,
            )
            .await?;
            Ok(DecideOutcome::Allowed(session))
        }
    }
}
