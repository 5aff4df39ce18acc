//! Sending a code from the account pages through the one pipeline
//! (`otp::send`): the connection's rules and limits apply as at sign-in.
//! The pending action is stored in the code's transaction.

use anyhow::Context;
use uuid::Uuid;

use super::Request;
use super::actions::{self, Pending};
use crate::domain::{Connection, EmailError, PhoneError};
use crate::login::ACCOUNT_CLIENT_ID;
use crate::otp::{Purpose, Refusal, SendCode, SendOutcome, To};
use crate::store;

/// Why no code went out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendProblem {
    InvalidPhone(PhoneError),
    InvalidEmail(EmailError),
    /// A rule of the SMS connection or a limit refused it.
    Refused(Refusal),
    /// The provider failed.
    NotDelivered,
    /// The account has no factor to send a code to.
    NoFactor,
    /// Too many codes went to this email address (its own hourly limit, or
    /// its failure budget).
    AddressLimit,
}

/// A refusal in the words of the channel it was for.
fn refused(reason: Refusal, email: bool) -> SendProblem {
    match reason {
        Refusal::PhoneLimit if email => SendProblem::AddressLimit,
        reason => SendProblem::Refused(reason),
    }
}

/// Sends a code to `input` (an address of `connection`) for `purpose`
/// and, in the same transaction, makes `pending` the session's pending
/// action, bound to the code's challenge. The challenge id, or why nothing
/// was sent.
pub(super) async fn send_for(
    r: &Request<'_>,
    purpose: Purpose,
    connection: Connection,
    input: &str,
    pending: &Pending,
) -> anyhow::Result<Result<Uuid, SendProblem>> {
    let state = r.state;
    let name = super::application_name(state);
    let req = SendCode {
        purpose,
        to: To::New { connection, input },
        client_id: ACCOUNT_CLIENT_ID,
        application_name: &name,
        ip: r.ip,
        languages: r.languages,
        user_id: Some(r.me.user.id),
    };
    let live = state.connection.get(&state.db, &state.master_key).await?;
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let issued = crate::otp::issue_code(state, &txn, &live, &req).await?;
    if let Ok(code) = &issued {
        actions::save(&txn, r, pending, Some(code.challenge_id())).await?;
    }
    txn.commit().await.context("committing the code")?;
    let outcome = match issued {
        Ok(code) => crate::otp::deliver_code(state, &live, &req, code).await?,
        Err(outcome) => outcome,
    };
    Ok(match outcome {
        SendOutcome::Sent(sent) => Ok(sent.challenge_id),
        SendOutcome::NotDelivered(_) => Err(SendProblem::NotDelivered),
        SendOutcome::InvalidRecipient(e) => Err(SendProblem::InvalidPhone(e)),
        SendOutcome::InvalidEmail(e) => Err(SendProblem::InvalidEmail(e)),
        SendOutcome::Refused(reason) => Err(refused(reason, connection == Connection::Email)),
        SendOutcome::NoChallenge => Err(SendProblem::NotDelivered),
    })
}

/// Why a typed code did not prove anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeProblem {
    /// Not a code of the right length.
    Malformed,
    Wrong {
        attempts_left: u32,
    },
    TooManyAttempts,
    /// Expired, or used already.
    Expired,
}

/// The length of the SMS connection's codes. Read before a transaction is
/// opened: on SQLite the pool's one connection is the transaction's.
pub(super) async fn code_length(r: &Request<'_>) -> anyhow::Result<u8> {
    let state = r.state;
    let live = state.connection.get(&state.db, &state.master_key).await?;
    Ok(live.settings.otp_length)
}

/// Checks a typed code against the challenge through `db` (the caller's
/// transaction, which commits the attempt whatever the answer): the
/// recipient it proves, or why not.
pub(super) async fn check_code(
    db: &impl store::ConnectionTrait,
    r: &Request<'_>,
    challenge_id: Uuid,
    input: &str,
    length: u8,
) -> anyhow::Result<Result<crate::domain::Recipient, CodeProblem>> {
    use crate::otp::VerifyOutcome;
    let state = r.state;
    let Ok(code) = crate::domain::OtpCode::parse(input, length) else {
        return Ok(Err(CodeProblem::Malformed));
    };
    let outcome = state.otp.verify(db, challenge_id, &code).await?;
    if let Some((kind, result)) = outcome.audit() {
        crate::audit::record_for_user(
            db,
            state.clock.now(),
            r.me.user.id,
            kind,
            None,
            r.ip,
            serde_json::json!({ "result": result, "flow": "account" }),
        )
        .await;
    }
    Ok(match outcome {
        VerifyOutcome::Verified { recipient } => Ok(recipient),
        VerifyOutcome::Wrong { attempts_left } => Err(CodeProblem::Wrong { attempts_left }),
        VerifyOutcome::TooManyAttempts => Err(CodeProblem::TooManyAttempts),
        VerifyOutcome::Expired | VerifyOutcome::AlreadyUsed | VerifyOutcome::UnknownChallenge => {
            Err(CodeProblem::Expired)
        }
    })
}

/// What became of "send a new code" on an account code page.
#[derive(Debug)]
pub enum ResendOutcome {
    Sent,
    NotSent(SendProblem),
    /// Nothing waits for a code.
    NothingPending,
}

/// Sends a new code for the session's pending step, to the recipient its
/// challenge was opened for, after the cooldown.
pub async fn resend_code(r: &Request<'_>) -> anyhow::Result<ResendOutcome> {
    let state = r.state;
    let Some(found) = actions::find(&state.db, r).await? else {
        return Ok(ResendOutcome::NothingPending);
    };
    let Some(challenge_id) = found.challenge_id else {
        return Ok(ResendOutcome::NothingPending);
    };
    let email = store::otp_challenges::find_by_id(&state.db, challenge_id)
        .await?
        .and_then(|c| c.recipient)
        .is_some_and(|r| r.email().is_some());
    let purpose = match found.pending {
        Pending::Reauth { .. } => Purpose::Reauth,
        Pending::VerifyPhone { .. } | Pending::VerifyEmail { .. } => Purpose::Enroll,
    };
    let name = super::application_name(state);
    let req = SendCode {
        purpose,
        to: To::Again(challenge_id),
        client_id: ACCOUNT_CLIENT_ID,
        application_name: &name,
        ip: r.ip,
        languages: r.languages,
        user_id: Some(r.me.user.id),
    };
    Ok(match crate::otp::send_code(state, &req).await? {
        SendOutcome::Sent(_) => ResendOutcome::Sent,
        SendOutcome::NotDelivered(_) => ResendOutcome::NotSent(SendProblem::NotDelivered),
        SendOutcome::InvalidRecipient(e) => ResendOutcome::NotSent(SendProblem::InvalidPhone(e)),
        SendOutcome::InvalidEmail(e) => ResendOutcome::NotSent(SendProblem::InvalidEmail(e)),
        SendOutcome::Refused(reason) => ResendOutcome::NotSent(refused(reason, email)),
        SendOutcome::NoChallenge => ResendOutcome::NothingPending,
    })
}
