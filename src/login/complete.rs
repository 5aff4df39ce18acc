use uuid::Uuid;

use super::{LoginTransaction, SignInContext, VerifyCodeOutcome};
use crate::app::AppState;
use crate::domain::{AuthMethod, Moment, Recipient, SecondStep};
use crate::session::{self, SignInUser, Signup, SsoSession, find_or_create_user_in};
use crate::store::{self, ConnectionTrait, DatabaseTransaction, users::User};

/// How the authorization request is answered for a session just opened:
/// `R` goes back to the application (the sign-in ends), or the user is
/// asked for consent first (the sign-in waits for this session's answer).
#[derive(Debug)]
pub enum Answer<R> {
    Respond(R),
    NeedsConsent,
}

/// After a verified first-factor code, inside the verification's
/// transaction `txn`: find or create the user, then either sign them in or
/// keep the sign-in waiting for a second factor.
pub(super) async fn complete_first_factor<R>(
    txn: &DatabaseTransaction,
    state: &AppState,
    tx: &LoginTransaction,
    recipient: &Recipient,
    context: SignInContext<'_>,
    answer: impl AsyncFnOnce(&DatabaseTransaction, &SsoSession) -> anyhow::Result<Answer<R>>,
) -> anyhow::Result<VerifyCodeOutcome<R>> {
    // The policy read with the transaction serves sign-up and the second
    // step.
    let policy = &tx.policy;
    let signup = Signup::from_policy(policy);
    let now = state.clock.now();
    let found = find_or_create_user_in(txn, signup, recipient, context.locale, now).await?;
    let user = match found {
        SignInUser::Found(user) => user,
        SignInUser::NoAccount => return Ok(VerifyCodeOutcome::NoAccount),
        SignInUser::Blocked => return Ok(VerifyCodeOutcome::Blocked),
    };
    let proven = [recipient.auth_method()];
    match session::second_step_under(
        txn,
        policy,
        tx.request.requirement(),
        Moment::SignIn,
        user.id,
        &proven,
    )
    .await?
    {
        SecondStep::Complete => sign_in(txn, state, tx, &user, &proven, context, answer).await,
        SecondStep::Ask(_) | SecondStep::Enroll => {
            store::login_transactions::update_first_factor_proven(
                txn,
                &tx.id_hash,
                user.id,
                &proven,
            )
            .await?;
            Ok(VerifyCodeOutcome::SecondFactor)
        }
        SecondStep::Unmet => Ok(VerifyCodeOutcome::Unmet),
    }
}

/// The user proved `methods`: open an SSO session (ending the one a
/// step-up started from) and have `answer` answer the authorization
/// request, all through `txn`.
pub(super) async fn sign_in<R>(
    txn: &DatabaseTransaction,
    state: &AppState,
    tx: &LoginTransaction,
    user: &User,
    methods: &[AuthMethod],
    context: SignInContext<'_>,
    answer: impl AsyncFnOnce(&DatabaseTransaction, &SsoSession) -> anyhow::Result<Answer<R>>,
) -> anyhow::Result<VerifyCodeOutcome<R>> {
    if !store::login_transactions::claim_for_sign_in(txn, &tx.id_hash).await? {
        // Another right answer signed this sign-in in first.
        return Ok(VerifyCodeOutcome::NoChallenge);
    }
    let origin = session::origin(context.user_agent, context.ip);
    let opened = session::open_in(txn, state, user.id, methods, &origin).await?;
    if let Some(sid) = &tx.step_up_sid {
        // The stronger session replaces the one that stepped up.
        store::sso_sessions::update_revoked_by_sid(txn, sid, state.clock.now()).await?;
    }
    // Written only when it changed: a returning user's sign-in, like a new
    // user's (inserted with it), costs no statement for it.
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
        tx.recipient.as_ref().map(Recipient::masked),
        context.ip,
        serde_json::json!({
            "method": methods.first().map(|m| m.amr()),
            "amr": AuthMethod::amr_values(methods),
            "client_id": tx.request.client_id.as_str(),
            "user_agent": origin.user_agent,
            "network": origin.network,
            "sid": opened.session.sid,
            "step_up": tx.step_up_sid.is_some(),
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

/// The user whose sign-in is at its second factor, read through `txn`;
/// `None` when it vanished or was blocked meanwhile.
pub(super) async fn second_factor_user(
    txn: &DatabaseTransaction,
    user_id: Uuid,
) -> anyhow::Result<Option<User>> {
    Ok(store::users::find_by_id(txn, user_id)
        .await?
        .filter(|u| !u.blocked))
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
