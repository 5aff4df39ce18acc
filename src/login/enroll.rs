//! Setting up a second factor during a sign-in: when one is required (the
//! policy, or the application, such as ferrid's dashboard) and the user has
//! none, they add an authenticator app before the sign-in completes. Its
//! first right code both saves it and proves the second factor.

use anyhow::Context;

use super::complete::{Answer, second_factor_user, sign_in};
use super::second_factor::step_of;
use super::{LoginTransaction, SignInContext, VerifyCodeOutcome};
use crate::app::AppState;
use crate::domain::{Factor, SecondStep};
use crate::factors::{self, FactorCheck, TotpEnrollment, TotpStart};
use crate::session::SsoSession;
use crate::store::{self, DatabaseTransaction};

/// What the set-up page shows.
#[derive(Debug)]
pub enum EnrollPage {
    /// The sign-in does not need a factor set up (or no set-up was
    /// started): back to the second-factor page.
    NotHere,
    /// The secret to scan or type, waiting for its first code.
    Enrolling(TotpEnrollment),
}

/// Starts setting up an authenticator app for the user of the sign-in.
pub async fn start_enrollment(
    state: &AppState,
    tx: &LoginTransaction,
) -> anyhow::Result<EnrollPage> {
    let Some((user, SecondStep::Enroll)) = step_of(state, tx).await? else {
        return Ok(EnrollPage::NotHere);
    };
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let started = factors::start_totp_enrollment(&txn, state, user.id).await?;
    txn.commit().await.context("committing the enrollment")?;
    Ok(match started {
        TotpStart::Started(enrollment) => EnrollPage::Enrolling(enrollment),
        TotpStart::AlreadyEnrolled => EnrollPage::NotHere,
    })
}

/// The set-up waiting for its first code, to show again.
pub async fn pending_enrollment(
    state: &AppState,
    tx: &LoginTransaction,
) -> anyhow::Result<EnrollPage> {
    let Some((user, SecondStep::Enroll)) = step_of(state, tx).await? else {
        return Ok(EnrollPage::NotHere);
    };
    Ok(
        match factors::pending_totp_enrollment(&state.db, state, user.id).await? {
            Some(enrollment) => EnrollPage::Enrolling(enrollment),
            None => EnrollPage::NotHere,
        },
    )
}

/// Checks the new app's first code: when right, the app is saved, and the
/// user is signed in with both factors; `answer` answers the
/// authorization request in the same transaction.
pub async fn confirm_enrollment<R>(
    state: &AppState,
    tx: &LoginTransaction,
    code_input: &str,
    context: SignInContext<'_>,
    answer: impl AsyncFnOnce(&DatabaseTransaction, &SsoSession) -> anyhow::Result<Answer<R>>,
) -> anyhow::Result<VerifyCodeOutcome<R>> {
    let Some((user, SecondStep::Enroll)) = step_of(state, tx).await? else {
        return Ok(VerifyCodeOutcome::NoChallenge);
    };
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let check = factors::confirm_totp_enrollment(&txn, state, user.id, code_input).await?;
    let outcome = match check {
        FactorCheck::Accepted => match second_factor_user(&txn, user.id).await? {
            Some(user) => {
                crate::audit::record_for_user(
                    &txn,
                    state.clock.now(),
                    user.id,
                    "mfa.enrolled",
                    None,
                    context.ip,
                    serde_json::json!({
                        "factor": Factor::Totp.as_str(),
                        "client_id": tx.request.client_id.as_str(),
                    }),
                )
                .await;
                let mut methods = tx.proven.clone();
                methods.push(Factor::Totp.method());
                sign_in(&txn, state, tx, &user, &methods, context, answer).await?
            }
            None => VerifyCodeOutcome::Blocked,
        },
        FactorCheck::Wrong { attempts_left } => VerifyCodeOutcome::Wrong { attempts_left },
        FactorCheck::Replayed => VerifyCodeOutcome::Replayed,
        FactorCheck::Locked => VerifyCodeOutcome::TooManyAttempts,
        FactorCheck::NotEnrolled => VerifyCodeOutcome::NoChallenge,
    };
    // Committed either way: a wrong code counts.
    txn.commit().await.context("committing the enrollment")?;
    Ok(outcome)
}
