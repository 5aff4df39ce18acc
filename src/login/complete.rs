use super::{LoginTransaction, VerifyCodeOutcome};
use crate::app::AppState;
use crate::domain::Recipient;
use crate::session::{self, SignInUser, user_for_verified};
use crate::store;

/// After a verified code: find or create the user and open an SSO session.
/// The transaction stays until the authorization request is answered
/// (`finish`) or waits for consent (`await_consent`).
pub(super) async fn complete_sign_in(
    state: &AppState,
    tx: &LoginTransaction,
    recipient: &Recipient,
) -> anyhow::Result<VerifyCodeOutcome> {
    let user = match user_for_verified(state, recipient).await? {
        SignInUser::Found(user) => user,
        SignInUser::NoAccount => return Ok(VerifyCodeOutcome::NoAccount),
        SignInUser::Blocked => return Ok(VerifyCodeOutcome::Blocked),
    };
    let opened = session::open(state, user.id, &[recipient.auth_method()]).await?;
    tracing::info!(user_id = %user.id, client_id = %tx.request.client_id, "user signed in");
    Ok(VerifyCodeOutcome::SignedIn {
        session: opened.session,
        session_token: opened.token,
    })
}

/// The signed-in user must allow the client first: only the session `sid`
/// may answer the consent page (see `decide`).
pub async fn await_consent(
    state: &AppState,
    tx: &LoginTransaction,
    sid: &str,
) -> anyhow::Result<()> {
    store::login_transactions::update_awaiting_consent(&state.db, &tx.id_hash, sid).await?;
    Ok(())
}

/// The authorization request is answered: the transaction ends.
pub async fn finish(state: &AppState, tx: &LoginTransaction) -> anyhow::Result<()> {
    store::login_transactions::delete(&state.db, &tx.id_hash).await?;
    Ok(())
}
