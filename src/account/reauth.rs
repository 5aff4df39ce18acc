//! Re-authentication before a sensitive change: when the session's
//! `auth_time` is older than `account.reauth_window`, a code goes to a
//! factor the user already has; once it is verified the session's
//! `auth_time` is renewed and the change asked for continues.
//!
//! Which factor: the one the change leaves alone when the user has both
//! (changing or removing the email asks the phone, changing or removing
//! the phone asks the email), so that whoever took over one of them cannot
//! use it to replace it; the email for changes that touch neither (signing
//! out the other sessions), since a code by email costs nothing and is not
//! exposed to SIM swaps; otherwise the one factor the user has.

use anyhow::Context;

use super::actions::{self, Action, Continued, Pending};
use super::sending::{CodeProblem, SendProblem, check_code, code_length, send_for};
use super::ways_in::{self, WayIn};
use super::{Request, email, phone, second_factors, sessions};
use crate::domain::{EmailAddress, Recipient};
use crate::otp::Purpose;
use crate::store::{self, users::User};

/// Whether a change may go ahead now.
#[derive(Debug)]
pub(super) enum Gate {
    /// The sign-in is recent enough.
    Open,
    /// A code went to one of the user's factors: the re-authentication
    /// page is next.
    CodeSent,
    NotSent(SendProblem),
}

/// What became of a change that needs a recent sign-in.
#[derive(Debug)]
pub enum Gated {
    /// It went on now (or was refused, with the reason): what came of it.
    Done(Continued),
    /// A code went to a factor the user has first: re-authentication.
    NeedsReauth,
    /// The re-authentication code could not be sent.
    ReauthNotSent(SendProblem),
}

/// Whether the session signed in within `account.reauth_window`.
pub(super) fn is_recent(r: &Request<'_>) -> bool {
    let window = chrono::Duration::from_std(r.state.settings.account.reauth_window.0)
        .unwrap_or(chrono::Duration::MAX);
    r.state.clock.now() - r.me.session.auth_time <= window
}

/// The factor the re-authentication code of `action` goes to (see the
/// module's comment), if the user has one.
fn factor_for(user: &User, action: &Action) -> Option<Recipient> {
    let phone = user
        .phone
        .as_ref()
        .filter(|_| ways_in::has(user, WayIn::Phone))
        .map(|p| Recipient::Phone(p.clone()));
    let email = user
        .email
        .as_deref()
        .filter(|_| ways_in::has(user, WayIn::Email))
        .map(|e| Recipient::Email(EmailAddress::from_trusted(e)));
    match action {
        Action::ChangeEmail { .. } | Action::RemoveEmail => phone.or(email),
        Action::ChangePhone { .. }
        | Action::RemovePhone
        | Action::RevokeOtherSessions
        | Action::AddTotp
        | Action::RemoveTotp
        | Action::GenerateRecoveryCodes => email.or(phone),
    }
}

/// Lets `action` go ahead after a recent sign-in; otherwise keeps it
/// pending and sends a code to one of the user's factors.
pub(super) async fn gate(r: &Request<'_>, action: Action) -> anyhow::Result<Gate> {
    if is_recent(r) {
        return Ok(Gate::Open);
    }
    let Some(factor) = factor_for(&r.me.user, &action) else {
        return Ok(Gate::NotSent(SendProblem::NoFactor));
    };
    let pending = Pending::Reauth { then: action };
    Ok(
        match send_for(
            r,
            Purpose::Reauth,
            factor.connection(),
            factor.as_str(),
            &pending,
        )
        .await?
        {
            Ok(_) => Gate::CodeSent,
            Err(problem) => Gate::NotSent(problem),
        },
    )
}

/// What the re-authentication page shows: where the code went (masked).
pub async fn reauth_view(r: &Request<'_>) -> anyhow::Result<Option<String>> {
    let found = actions::find(&r.state.db, r).await?;
    Ok(match found.map(|f| f.pending) {
        Some(Pending::Reauth { then }) => factor_for(&r.me.user, &then).map(|f| f.masked()),
        _ => None,
    })
}

/// What became of a re-authentication code.
#[derive(Debug)]
pub enum ReauthOutcome {
    /// Proved: the change asked for went on.
    Continued(Continued),
    Code(CodeProblem),
    /// Nothing waits for a code (expired, or done).
    NothingPending,
}

/// Checks the code; on success renews the session's `auth_time` and
/// continues the pending change.
pub async fn verify_reauth(r: &Request<'_>, input: &str) -> anyhow::Result<ReauthOutcome> {
    let state = r.state;
    let length = code_length(r).await?;
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let proved = match actions::find(&txn, r).await? {
        Some(actions::Found {
            pending: Pending::Reauth { then },
            challenge_id: Some(challenge_id),
        }) => {
            let expected = factor_for(&r.me.user, &then);
            match check_code(&txn, r, challenge_id, input, length).await? {
                Ok(recipient) if Some(&recipient) == expected.as_ref() => {
                    let now = state.clock.now();
                    store::sso_sessions::update_auth_time(&txn, &r.me.session.sid, now).await?;
                    actions::clear(&txn, r).await?;
                    crate::audit::record_for_user(
                        &txn,
                        now,
                        r.me.user.id,
                        "account.reauthenticated",
                        Some(recipient.masked()),
                        r.ip,
                        serde_json::json!({ "method": recipient.auth_method().amr(), "sid": r.me.session.sid }),
                    )
                    .await;
                    Ok((then, recipient))
                }
                Ok(_) => Err(ReauthOutcome::NothingPending),
                Err(problem) => Err(ReauthOutcome::Code(problem)),
            }
        }
        _ => Err(ReauthOutcome::NothingPending),
    };
    txn.commit()
        .await
        .context("committing the re-authentication")?;
    let (then, recipient) = match proved {
        Ok(proved) => proved,
        Err(outcome) => return Ok(outcome),
    };
    state.otp.release_cooldown(&state.db, &recipient).await?;
    Ok(ReauthOutcome::Continued(match then {
        Action::ChangePhone { input } => phone::start_verification(r, &input).await?,
        Action::RemovePhone => phone::remove_now(r).await?,
        Action::ChangeEmail { input } => email::start_verification(r, &input).await?,
        Action::RemoveEmail => email::remove_now(r).await?,
        Action::RevokeOtherSessions => sessions::revoke_others_now(r).await?,
        action @ (Action::AddTotp | Action::RemoveTotp | Action::GenerateRecoveryCodes) => {
            second_factors::continue_now(r, action).await?
        }
    }))
}
