//! The second factor of a sign-in (or of a step-up): which factors the
//! user may pick, sending a code to the one picked, and checking it.

use anyhow::Context;

use super::complete::{Answer, second_factor_user, sign_in};
use super::{LoginTransaction, SignInContext, VerifyCodeOutcome};
use crate::app::AppState;
use crate::domain::{Factor, Moment, OtpCode, Recipient, SecondStep};
use crate::factors::FactorCheck;
use crate::messages::LanguagePreference;
use crate::otp::{Purpose, Refusal, SendCode, SendOutcome, To, VerifyOutcome};
use crate::session::{self, SsoSession};
use crate::store::{self, DatabaseTransaction, users::User};

/// A factor the user may pick, with a hint of where its code goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FactorChoice {
    pub factor: Factor,
    /// The masked phone number or address, for SMS and email.
    pub hint: Option<String>,
}

/// What the second-factor page shows.
#[derive(Debug)]
pub enum SecondFactorPage {
    /// The sign-in is not at its second factor.
    NotHere,
    Choose(Vec<FactorChoice>),
    /// A second factor is required and the user has none: set one up.
    Enroll,
    /// Both factors are proved: the sign-in may complete.
    Ready,
    /// What the request asked for cannot be met.
    Unmet,
}

/// Where the sign-in stands at its second factor.
pub async fn second_factor_page(
    state: &AppState,
    tx: &LoginTransaction,
) -> anyhow::Result<SecondFactorPage> {
    let Some((user, step)) = step_of(state, tx).await? else {
        return Ok(SecondFactorPage::NotHere);
    };
    Ok(match step {
        SecondStep::Ask(factors) => SecondFactorPage::Choose(
            factors
                .into_iter()
                .map(|factor| FactorChoice {
                    factor,
                    hint: recipient_of(&user, factor).map(|r| r.masked()),
                })
                .collect(),
        ),
        SecondStep::Enroll => SecondFactorPage::Enroll,
        SecondStep::Complete => SecondFactorPage::Ready,
        SecondStep::Unmet => SecondFactorPage::Unmet,
    })
}

/// The user and what their sign-in needs, through the pool; `None` when
/// the sign-in is not at its second factor or the user may not sign in.
pub(super) async fn step_of(
    state: &AppState,
    tx: &LoginTransaction,
) -> anyhow::Result<Option<(User, SecondStep)>> {
    let Some(user_id) = tx.user_id else {
        return Ok(None);
    };
    let Some(user) = store::users::find_by_id(&state.db, user_id)
        .await?
        .filter(|u| !u.blocked)
    else {
        return Ok(None);
    };
    let step = session::second_step_for(
        &state.db,
        state,
        tx.request.requirement(),
        moment(tx),
        user.id,
        &tx.proven,
    )
    .await?;
    Ok(Some((user, step)))
}

/// A step-up weighs an open session; a sign-in, its first factor.
fn moment(tx: &LoginTransaction) -> Moment {
    if tx.step_up_sid.is_some() {
        Moment::Session
    } else {
        Moment::SignIn
    }
}

/// Where a code for `factor` goes: the user's verified phone or address.
fn recipient_of(user: &User, factor: Factor) -> Option<Recipient> {
    match factor {
        Factor::Sms => user
            .phone
            .clone()
            .filter(|_| user.phone_verified_at.is_some())
            .map(Recipient::Phone),
        Factor::Email => user
            .email
            .as_deref()
            .filter(|_| user.email_verified_at.is_some())
            .and_then(|e| crate::domain::EmailAddress::parse(e).ok())
            .map(Recipient::Email),
        Factor::Totp | Factor::RecoveryCode => None,
    }
}

/// Whether `factor` is one the sign-in may take now; the user when it is.
async fn offered(
    state: &AppState,
    tx: &LoginTransaction,
    factor: Factor,
) -> anyhow::Result<Option<User>> {
    Ok(match step_of(state, tx).await? {
        Some((user, SecondStep::Ask(factors))) if factors.contains(&factor) => Some(user),
        _ => None,
    })
}

/// What became of picking a factor.
#[derive(Debug)]
pub enum ChooseOutcome {
    /// Nothing to send: the user types a code they have.
    Ready,
    /// A code went to the user's phone or address.
    Sent {
        recipient: Recipient,
    },
    Refused(Refusal),
    NotDelivered,
    /// Not a factor this sign-in may take.
    NotOffered,
}

/// The user picked `factor`: for SMS and email, a code is sent to their
/// verified phone or address through the one pipeline, and the sign-in
/// follows its challenge.
pub async fn choose_factor(
    state: &AppState,
    tx: &LoginTransaction,
    factor: Factor,
    ip: Option<&str>,
    languages: &LanguagePreference,
) -> anyhow::Result<ChooseOutcome> {
    let Some(user) = offered(state, tx, factor).await? else {
        return Ok(ChooseOutcome::NotOffered);
    };
    let Some(recipient) = recipient_of(&user, factor) else {
        return Ok(ChooseOutcome::Ready);
    };
    let req = SendCode {
        purpose: Purpose::Login,
        to: To::New {
            connection: recipient.connection(),
            input: recipient.as_str(),
        },
        client_id: &tx.request.client_id,
        application_name: &tx.request.client_name,
        ip,
        languages,
        user_id: Some(user.id),
    };
    let live = state.connection.get(&state.db, &state.master_key).await?;
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let pending = crate::otp::issue_code(state, &txn, &live, &req).await?;
    if let Ok(pending) = &pending {
        store::login_transactions::update_challenge(
            &txn,
            &tx.id_hash,
            Some((pending.challenge_id(), pending.recipient())),
        )
        .await?;
    }
    txn.commit().await.context("committing the code")?;
    let outcome = match pending {
        Ok(pending) => crate::otp::deliver_code(state, &live, &req, pending).await?,
        Err(outcome) => outcome,
    };
    Ok(match outcome {
        SendOutcome::Sent(sent) => ChooseOutcome::Sent {
            recipient: sent.recipient,
        },
        SendOutcome::Refused(reason) => ChooseOutcome::Refused(reason),
        SendOutcome::NotDelivered(_)
        | SendOutcome::NoChallenge
        | SendOutcome::InvalidRecipient(_)
        | SendOutcome::InvalidEmail(_) => ChooseOutcome::NotDelivered,
    })
}

/// Checks a code of `factor`; on success signs the user in with both
/// factors and has `answer` answer the authorization request, in the same
/// transaction as the check.
pub async fn verify_second_factor<R>(
    state: &AppState,
    tx: &LoginTransaction,
    factor: Factor,
    code_input: &str,
    context: SignInContext<'_>,
    answer: impl AsyncFnOnce(&DatabaseTransaction, &SsoSession) -> anyhow::Result<Answer<R>>,
) -> anyhow::Result<VerifyCodeOutcome<R>> {
    let Some(user) = offered(state, tx, factor).await? else {
        return Ok(VerifyCodeOutcome::NoChallenge);
    };
    let expected = recipient_of(&user, factor);
    // A code by SMS or email must be for this factor's challenge.
    if expected.is_some() && (tx.challenge_id.is_none() || tx.recipient != expected) {
        return Ok(VerifyCodeOutcome::NoChallenge);
    }
    let code_length = state
        .connection
        .get(&state.db, &state.master_key)
        .await?
        .settings
        .otp_length;
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let check = match (factor, tx.challenge_id) {
        (Factor::Totp, _) => crate::factors::check_totp(&txn, state, user.id, code_input)
            .await?
            .into(),
        (Factor::RecoveryCode, _) => {
            crate::factors::use_recovery_code(&txn, state, user.id, code_input)
                .await?
                .into()
        }
        (Factor::Sms | Factor::Email, Some(challenge_id)) => {
            match OtpCode::parse(code_input, code_length) {
                Ok(code) => code_check(
                    state.otp.verify(&txn, challenge_id, &code).await?,
                    &expected,
                ),
                Err(_) => Checked::Malformed,
            }
        }
        (Factor::Sms | Factor::Email, None) => FactorCheck::NotEnrolled.into(),
    };
    record(&txn, state, tx, &user, factor, &check, context.ip).await;
    let outcome = match check {
        Checked::Factor(FactorCheck::Accepted) => match second_factor_user(&txn, user.id).await? {
            Some(user) => {
                let mut methods = tx.proven.clone();
                methods.push(factor.method());
                sign_in(&txn, state, tx, &user, &methods, context, answer).await?
            }
            None => VerifyCodeOutcome::Blocked,
        },
        Checked::Factor(FactorCheck::Wrong { attempts_left }) => {
            VerifyCodeOutcome::Wrong { attempts_left }
        }
        Checked::Factor(FactorCheck::Replayed) => VerifyCodeOutcome::Replayed,
        Checked::Factor(FactorCheck::Locked) => VerifyCodeOutcome::TooManyAttempts,
        Checked::Factor(FactorCheck::NotEnrolled) => VerifyCodeOutcome::NoChallenge,
        Checked::Expired => VerifyCodeOutcome::Expired,
        Checked::Malformed => VerifyCodeOutcome::Malformed,
    };
    txn.commit().await.context("committing the second factor")?;
    if let (VerifyCodeOutcome::SignedIn { .. }, Some(recipient)) = (&outcome, &expected) {
        state.otp.release_cooldown(&state.db, recipient).await?;
    }
    Ok(outcome)
}

/// Completes a sign-in whose factors are all proved (after setting up an
/// authenticator app, once the recovery codes were shown).
pub async fn continue_sign_in<R>(
    state: &AppState,
    tx: &LoginTransaction,
    context: SignInContext<'_>,
    answer: impl AsyncFnOnce(&DatabaseTransaction, &SsoSession) -> anyhow::Result<Answer<R>>,
) -> anyhow::Result<VerifyCodeOutcome<R>> {
    let Some(user_id) = tx.user_id else {
        return Ok(VerifyCodeOutcome::NoChallenge);
    };
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let step = session::second_step_for(
        &txn,
        state,
        tx.request.requirement(),
        moment(tx),
        user_id,
        &tx.proven,
    )
    .await?;
    let outcome = match (step, second_factor_user(&txn, user_id).await?) {
        (SecondStep::Complete, Some(user)) => {
            sign_in(&txn, state, tx, &user, &tx.proven, context, answer).await?
        }
        (SecondStep::Complete, None) => VerifyCodeOutcome::Blocked,
        (SecondStep::Unmet, _) => VerifyCodeOutcome::Unmet,
        (SecondStep::Ask(_) | SecondStep::Enroll, _) => VerifyCodeOutcome::SecondFactor,
    };
    txn.commit().await.context("committing the sign-in")?;
    Ok(outcome)
}

/// A check's result, with the outcomes only a sent code has.
#[derive(Debug)]
enum Checked {
    Factor(FactorCheck),
    Expired,
    Malformed,
}

impl From<FactorCheck> for Checked {
    fn from(check: FactorCheck) -> Self {
        Self::Factor(check)
    }
}

/// A sent code's verification, as a factor check; the code must have
/// gone to the factor's own recipient.
fn code_check(outcome: VerifyOutcome, expected: &Option<Recipient>) -> Checked {
    match outcome {
        VerifyOutcome::Verified { recipient } if Some(&recipient) == expected.as_ref() => {
            FactorCheck::Accepted.into()
        }
        VerifyOutcome::Verified { .. } | VerifyOutcome::UnknownChallenge => {
            FactorCheck::NotEnrolled.into()
        }
        VerifyOutcome::Wrong { attempts_left } => FactorCheck::Wrong { attempts_left }.into(),
        VerifyOutcome::TooManyAttempts => FactorCheck::Locked.into(),
        VerifyOutcome::Expired | VerifyOutcome::AlreadyUsed => Checked::Expired,
    }
}

/// Audits every use and failure of a second factor (never the code).
async fn record(
    txn: &DatabaseTransaction,
    state: &AppState,
    tx: &LoginTransaction,
    user: &User,
    factor: Factor,
    check: &Checked,
    ip: Option<&str>,
) {
    let (kind, result) = match check {
        Checked::Factor(FactorCheck::Accepted) => ("mfa.verified", "success"),
        Checked::Factor(FactorCheck::Wrong { .. }) => ("mfa.failed", "wrong_code"),
        Checked::Factor(FactorCheck::Replayed) => ("mfa.failed", "replayed"),
        Checked::Factor(FactorCheck::Locked) => ("mfa.failed", "locked"),
        Checked::Factor(FactorCheck::NotEnrolled) => ("mfa.failed", "no_challenge"),
        Checked::Expired => ("mfa.failed", "expired"),
        Checked::Malformed => ("mfa.failed", "malformed"),
    };
    crate::audit::record_for_user(
        txn,
        state.clock.now(),
        user.id,
        kind,
        None,
        ip,
        serde_json::json!({
            "result": result,
            "factor": factor.as_str(),
            "client_id": tx.request.client_id.as_str(),
            "step_up": tx.step_up_sid.is_some(),
        }),
    )
    .await;
}
