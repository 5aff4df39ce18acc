use chrono::Utc;

use super::{LoginTransaction, VerifyCodeOutcome};
use crate::crypto::{random_token, sha256_hex};
use crate::domain::PhoneNumber;
use crate::oidc::authorize::issue_code;
use crate::startup::AppState;
use crate::store::{self, StoreError, sso_sessions::SsoSession};

/// After a verified code: find or create the user, open an SSO session,
/// end the transaction and issue the authorization code.
pub(super) async fn complete_sign_in(
    state: &AppState,
    tx: &LoginTransaction,
    phone: &PhoneNumber,
) -> anyhow::Result<VerifyCodeOutcome> {
    let now = Utc::now();
    let user =
        match store::users::find_by_phone(&state.db, phone).await? {
            Some(user) => user,
            None if state.settings.login.signup => {
                match store::users::insert_with_verified_phone(&state.db, phone, now).await {
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
            None => return Ok(VerifyCodeOutcome::NoAccount),
        };
    if user.blocked {
        return Ok(VerifyCodeOutcome::Blocked);
    }
    let session_token = random_token();
    let session = SsoSession {
        sid: random_token(),
        user_id: user.id,
        auth_time: now,
        amr: vec!["sms".to_owned()],
        acr: None,
        expires_at: now + state.settings.tokens.sso_session_ttl.0,
    };
    store::sso_sessions::insert(&state.db, sha256_hex(&session_token), &session, now).await?;
    store::login_transactions::delete(&state.db, &tx.id_hash).await?;
    let redirect = issue_code(state, &tx.request, &session).await?;
    tracing::info!(user_id = %user.id, client_id = %tx.request.client_id, "user signed in");
    Ok(VerifyCodeOutcome::SignedIn {
        redirect,
        session_token,
    })
}
