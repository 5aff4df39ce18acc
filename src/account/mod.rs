//! Use cases of the user's Privacy & Security page: what the overview
//! shows, changing and removing the phone number and the email address
//! (with re-authentication and proof of the new one), sessions, consents,
//! the second factors (authenticator app, recovery codes), the activity
//! list, notices of changes and the "this wasn't me" link
//! that undoes them.

mod actions;
pub mod activity;
mod consents;
pub mod device;
mod email;
mod enroll;
mod notify;
mod phone;
mod reauth;
mod revert;
mod second_factors;
mod sending;
mod sessions;
mod ways_in;

use uuid::Uuid;

use crate::app::AppState;
use crate::crypto::sha256_hex;
use crate::messages::LanguagePreference;
use crate::session::{self, ListedSession, SsoSession};
use crate::store::{self, users::User};

pub use actions::Continued;
pub use activity::{ActivityEntry, activity};
pub use consents::{ConsentRevoked, revoke_consent};
pub use email::{change_email, pending_email, remove_email, verify_email};
pub use enroll::VerifyOutcome;
pub(crate) use notify::{About, notify_change, notify_second_factor};
pub use notify::{Change, Notices, SecondFactorChange, deliver, notify};
pub use phone::{change_phone, pending_phone, remove_phone, verify_phone};
pub use reauth::{Gated, ReauthOutcome, reauth_view, verify_reauth};
pub use revert::{RevertOutcome, RevertView, check_revert_csrf, revert, revert_csrf, revert_view};
pub use second_factors::{
    TotpConfirmed, add_totp, confirm_totp, generate_recovery_codes, pending_totp, remove_totp,
};
pub use sending::{CodeProblem, ResendOutcome, SendProblem, resend_code};
pub(crate) use sessions::end_session;
pub use sessions::{SessionRevoked, revoke_others, revoke_session};

/// The user of an account page and the SSO session they are signed in with.
#[derive(Clone, Debug)]
pub struct SignedInUser {
    pub user: User,
    pub session: SsoSession,
    /// The CSRF token of this session's forms.
    pub csrf: String,
}

/// One request on the account pages: who, from where, in which language.
pub struct Request<'a> {
    pub state: &'a AppState,
    pub me: &'a SignedInUser,
    pub ip: Option<&'a str>,
    pub languages: &'a LanguagePreference,
}

/// The signed-in user behind an SSO cookie value, if the session is live.
pub async fn signed_in(state: &AppState, token: &str) -> anyhow::Result<Option<SignedInUser>> {
    let Some(session) = session::current(state, token).await? else {
        return Ok(None);
    };
    let Some(user) = store::users::find_by_id(&state.db, session.user_id).await? else {
        return Ok(None);
    };
    Ok(Some(SignedInUser {
        user,
        session,
        csrf: csrf_for(state, token),
    }))
}

/// The CSRF token of the account forms: an HMAC of the session cookie's
/// value, which only the browser holding it knows.
fn csrf_for(state: &AppState, session_token: &str) -> String {
    state
        .csrf_key
        .mac_hex(&[b"account-csrf", sha256_hex(session_token).as_bytes()])
}

/// Whether a submitted CSRF token is this session's (constant time).
pub fn check_csrf(state: &AppState, session_token: &str, submitted: Option<&str>) -> bool {
    submitted.is_some_and(|token| {
        state.csrf_key.verify_hex(
            &[b"account-csrf", sha256_hex(session_token).as_bytes()],
            token,
        )
    })
}

/// Remembers the language the user reads ferrid's pages in.
pub async fn remember_locale(state: &AppState, user_id: Uuid, locale: &str) -> anyhow::Result<()> {
    store::users::update_locale(&state.db, user_id, locale).await?;
    Ok(())
}

/// A session as the overview lists it.
#[derive(Debug)]
pub struct SessionView {
    pub sid: String,
    pub device: device::Device,
    pub network: Option<String>,
    pub signed_in_at: chrono::DateTime<chrono::Utc>,
    pub last_seen_at: chrono::DateTime<chrono::Utc>,
    /// The session of this browser.
    pub current: bool,
}

/// An application the user allowed, as the overview lists it.
#[derive(Debug)]
pub struct ConsentView {
    pub client_id: String,
    pub client_name: String,
    pub granted_at: chrono::DateTime<chrono::Utc>,
}

/// What the "Privacy & Security" page shows.
#[derive(Debug)]
pub struct Overview {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub sessions: Vec<SessionView>,
    pub consents: Vec<ConsentView>,
    /// Whether an authenticator app is set up.
    pub totp: bool,
    pub recovery_codes_left: u64,
}

/// The overview of the signed-in user's account.
pub async fn overview(state: &AppState, me: &SignedInUser) -> anyhow::Result<Overview> {
    let now = state.clock.now();
    let listed = store::sso_sessions::list_live_for_user(&state.db, me.user.id, now).await?;
    let sessions = listed
        .into_iter()
        .map(|s: ListedSession| SessionView {
            current: s.sid == me.session.sid,
            device: device::describe(s.origin.user_agent.as_deref()),
            network: s.origin.network,
            signed_in_at: s.signed_in_at,
            last_seen_at: s.last_seen_at,
            sid: s.sid,
        })
        .collect();
    let mut consents = Vec::new();
    for c in store::consents::list_for_user(&state.db, me.user.id).await? {
        let client = match crate::domain::ClientId::parse(&c.client_id) {
            Ok(id) => store::clients::find_by_client_id(&state.db, &id).await?,
            Err(_) => None,
        };
        let name = client
            .map(|client| client.name.as_str().to_owned())
            .unwrap_or_else(|| c.client_id.clone());
        consents.push(ConsentView {
            client_id: c.client_id,
            client_name: name,
            granted_at: c.granted_at,
        });
    }
    Ok(Overview {
        phone: me.user.phone.as_ref().map(|p| p.masked()),
        email: me
            .user
            .email
            .as_deref()
            .filter(|_| me.user.email_verified_at.is_some())
            .map(mask_email),
        sessions,
        consents,
        totp: crate::factors::has_totp(&state.db, me.user.id).await?,
        recovery_codes_left: crate::factors::recovery_codes_left(&state.db, me.user.id).await?,
    })
}

/// An email address with most of its local part hidden.
fn mask_email(email: &str) -> String {
    crate::domain::EmailAddress::from_trusted(email).masked()
}

/// The application name the account's code messages carry: the issuer's host.
pub(crate) fn application_name(state: &AppState) -> String {
    state
        .settings
        .issuer
        .host_str()
        .unwrap_or("ferrid")
        .to_owned()
}
