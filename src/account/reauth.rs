//! Re-authentication before a sensitive change: when the session's
//! `auth_time` is older than `account.reauth_window`, a code goes to a
//! factor the user already has (their phone); once it is verified the
//! session's `auth_time` is renewed and the change asked for continues.

use anyhow::Context;

use super::actions::{self, Action, Continued, Pending};
use super::sending::{CodeProblem, SendProblem, check_code, code_length, send_for};
use super::{Request, phone, sessions};
use crate::otp::Purpose;
use crate::store;

/// Whether a change may go ahead now.
#[derive(Debug)]
pub(super) enum Gate {
    /// The sign-in is recent enough.
    Open,
    /// A code went to the user's phone: the re-authentication page is next.
    CodeSent,
    NotSent(SendProblem),
}

/// Whether the session signed in within `account.reauth_window`.
fn is_recent(r: &Request<'_>) -> bool {
    let window = chrono::Duration::from_std(r.state.settings.account.reauth_window.0)
        .unwrap_or(chrono::Duration::MAX);
    r.state.clock.now() - r.me.session.auth_time <= window
}

/// Lets `action` go ahead after a recent sign-in; otherwise keeps it
/// pending and sends a code to the user's phone.
pub(super) async fn gate(r: &Request<'_>, action: Action) -> anyhow::Result<Gate> {
    if is_recent(r) {
        return Ok(Gate::Open);
    }
    let Some(phone) = r.me.user.phone.as_ref() else {
        return Ok(Gate::NotSent(SendProblem::NoFactor));
    };
    let pending = Pending::Reauth { then: action };
    Ok(
        match send_for(r, Purpose::Reauth, phone.as_str(), &pending).await? {
            Ok(_) => Gate::CodeSent,
            Err(problem) => Gate::NotSent(problem),
        },
    )
}

/// What the re-authentication page shows: where the code went.
pub async fn reauth_view(r: &Request<'_>) -> anyhow::Result<Option<String>> {
    let found = actions::find(&r.state.db, r).await?;
    Ok(match found.map(|f| f.pending) {
        Some(Pending::Reauth { .. }) => r.me.user.phone.as_ref().map(|p| p.masked()),
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
    let then = match actions::find(&txn, r).await? {
        Some(actions::Found {
            pending: Pending::Reauth { then },
            challenge_id: Some(challenge_id),
        }) => match check_code(&txn, r, challenge_id, input, length).await? {
            Ok(recipient)
                if Some(recipient.as_str()) == r.me.user.phone.as_ref().map(|p| p.as_str()) =>
            {
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
                Ok(then)
            }
            Ok(_) => Err(ReauthOutcome::NothingPending),
            Err(problem) => Err(ReauthOutcome::Code(problem)),
        },
        _ => Err(ReauthOutcome::NothingPending),
    };
    txn.commit()
        .await
        .context("committing the re-authentication")?;
    let then = match then {
        Ok(then) => then,
        Err(outcome) => return Ok(outcome),
    };
    if let Some(phone) = &r.me.user.phone {
        state
            .otp
            .release_cooldown(&state.db, &phone.clone().into())
            .await?;
    }
    Ok(ReauthOutcome::Continued(match then {
        Action::ChangePhone { input } => phone::start_verification(r, &input).await?,
        Action::RemovePhone => phone::remove_now(r).await?,
        Action::RevokeOtherSessions => sessions::revoke_others_now(r).await?,
    }))
}
