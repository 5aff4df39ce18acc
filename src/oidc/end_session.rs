//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).

use url::Url;

use crate::app::AppState;
use crate::crypto::{Pepper, sha256_hex};
use crate::domain::ClientId;
use crate::store;

/// The logout request's parameters (§2).
#[derive(Debug, Default, Clone, serde::Deserialize, serde::Serialize)]
pub struct EndSessionRequest {
    pub id_token_hint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub client_id: Option<String>,
    pub ui_locales: Option<String>,
}

/// Whether the user confirmed on ferrid's page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirmation {
    Given,
    NotGiven,
}

/// What to show.
#[derive(Debug, PartialEq, Eq)]
pub enum EndSessionOutcome {
    /// A bad hint or an unregistered URI: an error page, no redirect (§3:
    /// redirecting to an unverified URI would make ferrid an open redirector).
    Refused(&'static str),
    /// The user must confirm (§2): no valid hint, or a hint the browser's
    /// own session does not back.
    Confirm,
    /// Signed out; back to the client when it asked and its URI is registered.
    SignedOut { redirect: Option<Url> },
}

/// Handles a logout request for the browser holding `session_token`.
pub async fn end_session(
    state: &AppState,
    req: &EndSessionRequest,
    session_token: Option<&str>,
    confirmation: Confirmation,
) -> anyhow::Result<EndSessionOutcome> {
    let hint = match &req.id_token_hint {
        Some(token) => {
            match super::id_token_hint::verify(&state.keys, state.settings.issuer_base(), token) {
                Some(hint) => Some(hint),
                None => {
                    return Ok(EndSessionOutcome::Refused(
                        "The id_token_hint is not a valid ID token from this server.",
                    ));
                }
            }
        }
        None => None,
    };
    let client_id = match (&hint, &req.client_id) {
        (Some(h), Some(id)) if h.audience != *id => {
            return Ok(EndSessionOutcome::Refused(
                "The client_id does not match the id_token_hint.",
            ));
        }
        (Some(h), _) => Some(h.audience.clone()),
        (None, id) => id.clone(),
    };
    let client = match client_id {
        Some(id) => {
            let parsed = ClientId::parse(&id).ok();
            let found = match parsed {
                Some(id) => state.clients.find(&state.db, &id).await?,
                None => None,
            };
            match found {
                Some(c) => Some(c),
                None => {
                    return Ok(EndSessionOutcome::Refused(
                        "The application is not registered with this server.",
                    ));
                }
            }
        }
        None => None,
    };
    let redirect = match (&req.post_logout_redirect_uri, &client) {
        // Exact match against the client's registered URIs, query included.
        (Some(uri), Some(client)) => match client
            .post_logout_redirect_uris
            .iter()
            .find(|r| r.as_str() == uri)
        {
            Some(registered) => Some(registered.to_url()),
            None => {
                return Ok(EndSessionOutcome::Refused(
                    "The application asked to send you to an address it has not registered.",
                ));
            }
        },
        // Without a hint or a client_id the URI cannot be checked: never redirect.
        _ => None,
    };
    let now = state.clock.now();
    let browser_session = match session_token {
        Some(token) => store::sso_sessions::find_live(&state.db, &sha256_hex(token), now).await?,
        None => None,
    };
    // §2: a hint is the client's word, not the user's, and an ID token (even
    // an expired one) can be replayed from anywhere. Only a hint naming the
    // user of this browser's live session signs out at once; otherwise the
    // user confirms on ferrid's page first.
    let backed_by_browser = match (&hint, &browser_session) {
        (Some(h), Some(session)) => h.sub == session.user_id.to_string(),
        _ => false,
    };
    if !backed_by_browser && confirmation == Confirmation::NotGiven {
        return Ok(EndSessionOutcome::Confirm);
    }
    let mut sids: Vec<String> = hint.and_then(|h| h.sid).into_iter().collect();
    if let Some(session) = browser_session
        && !sids.contains(&session.sid)
    {
        sids.push(session.sid);
    }
    let logging_out = client.as_ref().map(|c| c.client_id.as_str());
    for sid in &sids {
        crate::session::revoke(state, sid, now).await?;
        // Through the family's lock, like a reuse: a rotation racing the
        // logout cannot leave a live child behind.
        for family in
            store::refresh_tokens::list_families_ending_at_logout(&state.db, sid, logging_out)
                .await?
        {
            super::token_family::revoke_family(
                &state.db,
                state.settings.tokens.refresh_token_ttl.0,
                family,
                now,
            )
            .await?;
        }
    }
    let redirect = redirect.map(|mut url| {
        if let Some(s) = &req.state {
            url.query_pairs_mut().append_pair("state", s);
        }
        url
    });
    Ok(EndSessionOutcome::SignedOut { redirect })
}

/// The CSRF token of the logout confirmation form, bound to the browser's session cookie.
pub fn confirmation_token(csrf_key: &Pepper, session_token: Option<&str>) -> String {
    csrf_key.mac_hex(&[b"logout-csrf", session_token.unwrap_or("").as_bytes()])
}

/// Whether a submitted confirmation token is this browser's.
pub fn check_confirmation_token(
    csrf_key: &Pepper,
    session_token: Option<&str>,
    submitted: Option<&str>,
) -> bool {
    submitted.is_some_and(|t| {
        csrf_key.verify_hex(&[b"logout-csrf", session_token.unwrap_or("").as_bytes()], t)
    })
}
