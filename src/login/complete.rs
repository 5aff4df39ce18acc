use chrono::Utc;

use super::{LoginTransaction, VerifyCodeOutcome};
use crate::app::AppState;
use crate::crypto::{random_token, sha256_hex};
use crate::domain::{AuthMethod, PhoneNumber};
use crate::oidc::authorize::{issue_code, needs_consent};
use crate::store::{self, StoreError, sso_sessions::SsoSession, users::User};

/// Who a verified phone number belongs to.
#[derive(Debug)]
pub enum PhoneUser {
    Found(User),
    /// No account, and sign-up is off.
    NoAccount,
    Blocked,
}

/// The user of a verified phone number, created when sign-up is allowed.
pub async fn user_for_verified_phone(
    state: &AppState,
    phone: &PhoneNumber,
) -> anyhow::Result<PhoneUser> {
    let user =
        match store::users::find_by_phone(&state.db, phone).await? {
            Some(user) => user,
            None if state.settings.login.signup => {
                match store::users::insert_with_verified_phone(&state.db, phone, Utc::now()).await {
                    Ok(user) => {
                        tracing::info!(user_id = %user.id, "new user signed up");
                        user
                    }
                    // Someone signed up with this number a moment ago.
                    Err(StoreError::Conflict) => store::users::find_by_phone(&state.db, phone)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("user vanished after a conflict"))?,
                    Err(StoreError::Unexpected(e)) => return Err(e),
                }
            }
            None => return Ok(PhoneUser::NoAccount),
        };
    Ok(if user.blocked {
        PhoneUser::Blocked
    } else {
        PhoneUser::Found(user)
    })
}

/// What comes after a successful sign-in.
#[derive(Debug)]
pub enum AfterSignIn {
    /// Back to the application.
    Respond(crate::oidc::authorize::AuthorizationResponse),
    /// The user must allow the client first (`/consent`).
    Consent,
}

/// After a verified code: find or create the user, open an SSO session, and
/// either answer the authorization request or ask for consent.
pub(super) async fn complete_sign_in(
    state: &AppState,
    tx: &LoginTransaction,
    phone: &PhoneNumber,
) -> anyhow::Result<VerifyCodeOutcome> {
    let user = match user_for_verified_phone(state, phone).await? {
        PhoneUser::Found(user) => user,
        PhoneUser::NoAccount => return Ok(VerifyCodeOutcome::NoAccount),
        PhoneUser::Blocked => return Ok(VerifyCodeOutcome::Blocked),
    };
    let now = Utc::now();
    let session_token = random_token();
    let session = SsoSession::new(
        random_token(),
        user.id,
        now,
        &[AuthMethod::Sms],
        now + state.settings.tokens.sso_session_ttl.0,
    );
    store::sso_sessions::insert(&state.db, sha256_hex(&session_token), &session, now).await?;
    tracing::info!(user_id = %user.id, client_id = %tx.request.client_id, "user signed in");
    if needs_consent(state, &tx.request, user.id).await? {
        // Only this session may answer the consent page (see `decide`).
        store::login_transactions::update_awaiting_consent(&state.db, &tx.id_hash, &session.sid)
            .await?;
        return Ok(VerifyCodeOutcome::SignedIn {
            next: AfterSignIn::Consent,
            session_token,
        });
    }
    store::login_transactions::delete(&state.db, &tx.id_hash).await?;
    let response = issue_code(state, &tx.request, &session).await?;
    Ok(VerifyCodeOutcome::SignedIn {
        next: AfterSignIn::Respond(response),
        session_token,
    })
}
