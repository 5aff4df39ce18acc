use chrono::Utc;

use super::LoginTransaction;
use crate::oidc::authorize::{AuthorizationResponse, access_denied, current_session, issue_code};
use crate::startup::AppState;
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
    /// Each scope, in words.
    pub scopes: Vec<&'static str>,
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

/// The consent page for the transaction, if the browser is signed in.
pub async fn consent_view(
    state: &AppState,
    tx: &LoginTransaction,
    session_token: Option<&str>,
) -> anyhow::Result<Option<ConsentView>> {
    let Some(token) = session_token else {
        return Ok(None);
    };
    if current_session(state, token).await?.is_none() {
        return Ok(None);
    }
    Ok(Some(ConsentView {
        client_name: tx.request.client_name.clone(),
        scopes: tx.request.scope.iter().filter_map(describe_scope).collect(),
    }))
}

/// Records the decision and answers the authorization request; `None` when
/// the browser is not signed in.
pub async fn decide(
    state: &AppState,
    tx: &LoginTransaction,
    session_token: Option<&str>,
    decision: Decision,
) -> anyhow::Result<Option<AuthorizationResponse>> {
    let Some(token) = session_token else {
        return Ok(None);
    };
    let Some(session) = current_session(state, token).await? else {
        return Ok(None);
    };
    store::login_transactions::delete(&state.db, &tx.id_hash).await?;
    match decision {
        Decision::Deny => Ok(Some(access_denied(state, &tx.request))),
        Decision::Allow => {
            let scope = tx.request.scope.to_string();
            store::consents::upsert(
                &state.db,
                session.user_id,
                &tx.request.client_id,
                &scope,
                Utc::now(),
            )
            .await?;
            Ok(Some(issue_code(state, &tx.request, &session).await?))
        }
    }
}
