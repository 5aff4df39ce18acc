use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::crypto::{random_token, sha256_hex};
use crate::domain::PhoneNumber;
use crate::oidc::authorize::AuthorizationRequest;
use crate::startup::AppState;
use crate::store;

/// A sign-in in progress: the request to answer and, once a code was sent,
/// the challenge and the number it went to.
#[derive(Clone, Debug)]
pub struct LoginTransaction {
    pub(super) id_hash: String,
    pub request: AuthorizationRequest,
    pub challenge_id: Option<Uuid>,
    pub phone: Option<PhoneNumber>,
    pub expires_at: DateTime<Utc>,
}

/// Stores the request and returns the opaque id the browser will carry.
pub async fn begin(state: &AppState, request: &AuthorizationRequest) -> anyhow::Result<String> {
    let id = random_token();
    let now = Utc::now();
    store::login_transactions::insert(
        &state.db,
        sha256_hex(&id),
        &request.client_id,
        &request.redirect_uri,
        serde_json::to_string(request)?,
        now,
        now + state.settings.tokens.login_transaction_ttl.0,
    )
    .await?;
    Ok(id)
}

/// The live transaction behind a browser's id.
pub async fn load(
    state: &AppState,
    transaction_id: &str,
) -> anyhow::Result<Option<LoginTransaction>> {
    let Some(stored) =
        store::login_transactions::find_live(&state.db, &sha256_hex(transaction_id), Utc::now())
            .await?
    else {
        return Ok(None);
    };
    Ok(Some(LoginTransaction {
        request: serde_json::from_str(&stored.request)?,
        id_hash: stored.id_hash,
        challenge_id: stored.challenge_id,
        phone: stored.phone,
        expires_at: stored.expires_at,
    }))
}

/// "Use a different number": forget the challenge, back to the phone page.
pub async fn restart(state: &AppState, tx: &LoginTransaction) -> anyhow::Result<()> {
    store::login_transactions::update_challenge(&state.db, &tx.id_hash, None).await?;
    Ok(())
}

/// The CSRF token of the login forms: an HMAC of the transaction id, which
/// only the browser holding the cookie knows.
pub fn csrf_token(state: &AppState, transaction_id: &str) -> String {
    state
        .csrf_key
        .mac_hex(&[b"login-csrf", transaction_id.as_bytes()])
}

/// Whether a submitted CSRF token belongs to this transaction (constant time).
pub fn check_csrf(state: &AppState, transaction_id: &str, submitted: Option<&str>) -> bool {
    submitted.is_some_and(|token| {
        state
            .csrf_key
            .verify_hex(&[b"login-csrf", transaction_id.as_bytes()], token)
    })
}
