use anyhow::Context;

use super::{LoginTransaction, VerifyCodeOutcome};
use crate::app::AppState;
use crate::domain::Recipient;
use crate::session::{self, SignInUser, Signup, find_or_create_user, user_for_verified};
use crate::store::{self, StoreError};

/// After a verified code: find or create the user and open an SSO session,
/// in one transaction (one commit instead of two or three).
/// The transaction stays until the authorization request is answered
/// (`finish`) or waits for consent (`await_consent`).
pub(super) async fn complete_sign_in(
    state: &AppState,
    tx: &LoginTransaction,
    recipient: &Recipient,
) -> anyhow::Result<VerifyCodeOutcome> {
    let methods = [recipient.auth_method()];
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let found = find_or_create_user(&txn, Signup::of(state), recipient, state.clock.now()).await;
    let (user, opened) = match found {
        Ok(SignInUser::Found(user)) => {
            let opened = session::open_in(&txn, state, user.id, &methods).await?;
            txn.commit().await.context("committing the sign-in")?;
            (user, opened)
        }
        Ok(SignInUser::NoAccount) => return Ok(VerifyCodeOutcome::NoAccount),
        Ok(SignInUser::Blocked) => return Ok(VerifyCodeOutcome::Blocked),
        // Someone signed up with this recipient a moment ago: on PostgreSQL the
        // failed insert ended the transaction, so look again outside it.
        Err(StoreError::Conflict) => {
            txn.rollback().await.context("rolling back")?;
            let user = match user_for_verified(state, recipient).await? {
                SignInUser::Found(user) => user,
                SignInUser::NoAccount => return Ok(VerifyCodeOutcome::NoAccount),
                SignInUser::Blocked => return Ok(VerifyCodeOutcome::Blocked),
            };
            let opened = session::open(state, user.id, &methods).await?;
            (user, opened)
        }
        Err(StoreError::Unexpected(e)) => return Err(e),
    };
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
