use super::{LoginTransaction, SignInContext, VerifyCodeOutcome};
use crate::app::AppState;
use crate::domain::Recipient;
use crate::session::{self, SignInUser, Signup, SsoSession, find_or_create_user_in};
use crate::store::{self, ConnectionTrait, DatabaseTransaction};

/// How the authorization request is answered for a session just opened:
/// `R` goes back to the application (the sign-in ends), or the user is
/// asked for consent first (the sign-in waits for this session's answer).
#[derive(Debug)]
pub enum Answer<R> {
    Respond(R),
    NeedsConsent,
}

/// After a verified code, inside the verification's transaction `txn`:
/// find or create the user, open an SSO session, and have `answer` answer
/// the authorization request through `txn`.
pub(super) async fn complete_sign_in<R>(
    txn: &DatabaseTransaction,
    state: &AppState,
    tx: &LoginTransaction,
    recipient: &Recipient,
    context: SignInContext<'_>,
    answer: impl AsyncFnOnce(&DatabaseTransaction, &SsoSession) -> anyhow::Result<Answer<R>>,
) -> anyhow::Result<VerifyCodeOutcome<R>> {
    let methods = [recipient.auth_method()];
    let signup = Signup::of(txn, state).await?;
    let found = find_or_create_user_in(txn, signup, recipient, state.clock.now()).await?;
    let user = match found {
        SignInUser::Found(user) => user,
        SignInUser::NoAccount => return Ok(VerifyCodeOutcome::NoAccount),
        SignInUser::Blocked => return Ok(VerifyCodeOutcome::Blocked),
    };
    let origin = session::origin(context.user_agent, context.ip);
    let opened = session::open_in(txn, state, user.id, &methods, &origin).await?;
    // Written only when it changed: a returning user's sign-in costs no
    // statement for it.
    if let Some(locale) = context
        .locale
        .filter(|l| user.locale.as_deref() != Some(*l))
    {
        store::users::update_locale(txn, user.id, locale).await?;
    }
    // The user's own activity page lists sign-ins with method and device.
    crate::audit::record_for_user(
        txn,
        state.clock.now(),
        user.id,
        "session.signed_in",
        Some(recipient.masked()),
        context.ip,
        serde_json::json!({
            "method": recipient.auth_method().amr(),
            "client_id": tx.request.client_id.as_str(),
            "user_agent": origin.user_agent,
            "network": origin.network,
            "sid": opened.session.sid,
        }),
    )
    .await;
    let answer = answer(txn, &opened.session).await?;
    match &answer {
        Answer::Respond(_) => finish(txn, tx).await?,
        Answer::NeedsConsent => await_consent(txn, tx, &opened.session.sid).await?,
    }
    tracing::info!(user_id = %user.id, client_id = %tx.request.client_id, "user signed in");
    Ok(VerifyCodeOutcome::SignedIn {
        session: opened.session,
        session_token: opened.token,
        answer,
    })
}

/// The signed-in user must allow the client first: only the session `sid`
/// may answer the consent page (see `decide`).
async fn await_consent(
    db: &impl ConnectionTrait,
    tx: &LoginTransaction,
    sid: &str,
) -> anyhow::Result<()> {
    store::login_transactions::update_awaiting_consent(db, &tx.id_hash, sid).await?;
    Ok(())
}

/// The authorization request is answered: the transaction ends.
async fn finish(db: &impl ConnectionTrait, tx: &LoginTransaction) -> anyhow::Result<()> {
    store::login_transactions::delete(db, &tx.id_hash).await?;
    Ok(())
}
