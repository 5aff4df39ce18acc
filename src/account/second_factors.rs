//! The "Two-step verification" part of the account page: adding and
//! removing the authenticator app and generating recovery codes, each after
//! a recent sign-in (see `reauth`), each told by the second-factor notice.
//! Removing the app is refused when the sign-in policy requires a second
//! factor and the app is the last one the user has that the policy allows.

use anyhow::Context;

use super::Request;
use super::actions::{Action, Continued};
use super::notify::{self, About, SecondFactorChange};
use super::reauth::{self, Gate, Gated};
use crate::domain::{Factor, MfaMode};
use crate::factors::{self, FactorCheck, TotpEnrollment, TotpStart};
use crate::store;

fn about<'a>(r: &'a Request<'a>) -> About<'a> {
    About {
        state: r.state,
        user: &r.me.user,
        sid: Some(&r.me.session.sid),
        ip: r.ip,
        languages: r.languages,
    }
}

async fn gated(r: &Request<'_>, action: Action) -> anyhow::Result<Gated> {
    Ok(match reauth::gate(r, action.clone()).await? {
        Gate::Open => Gated::Done(continue_now(r, action).await?),
        Gate::CodeSent => Gated::NeedsReauth,
        Gate::NotSent(problem) => Gated::ReauthNotSent(problem),
    })
}

/// Carries out a second-factor action (the sign-in is recent).
pub(super) async fn continue_now(r: &Request<'_>, action: Action) -> anyhow::Result<Continued> {
    match action {
        Action::AddTotp => start_now(r).await,
        Action::RemoveTotp => remove_now(r).await,
        Action::GenerateRecoveryCodes => generate_now(r).await,
        _ => anyhow::bail!("not a second-factor action"),
    }
}

/// `POST /account/totp`: starts adding an authenticator app.
pub async fn add_totp(r: &Request<'_>) -> anyhow::Result<Gated> {
    gated(r, Action::AddTotp).await
}

async fn start_now(r: &Request<'_>) -> anyhow::Result<Continued> {
    let txn = store::begin_write(&r.state.db)
        .await
        .context("starting a transaction")?;
    let started = factors::start_totp_enrollment(&txn, r.state, r.me.user.id).await?;
    txn.commit().await.context("committing the enrollment")?;
    Ok(match started {
        TotpStart::Started(_) => Continued::TotpStarted,
        TotpStart::AlreadyEnrolled => Continued::TotpAlreadyAdded,
    })
}

/// The enrollment waiting for its first code, shown while the sign-in is
/// recent (whoever took over an older session must not read the secret).
pub async fn pending_totp(r: &Request<'_>) -> anyhow::Result<Option<TotpEnrollment>> {
    if !reauth::is_recent(r) {
        return Ok(None);
    }
    factors::pending_totp_enrollment(&r.state.db, r.state, r.me.user.id).await
}

/// What came of the first code from a new authenticator app.
#[derive(Debug)]
pub enum TotpConfirmed {
    /// Saved; the notice went out.
    Added,
    /// Not saved: the code was wrong (or the account is locked a while).
    Refused(FactorCheck),
    /// Nothing waits for a code, or the sign-in is too old: start again.
    NothingPending,
}

/// `POST /account/totp/confirm`: the first code saves the app.
pub async fn confirm_totp(r: &Request<'_>, code: &str) -> anyhow::Result<TotpConfirmed> {
    if !reauth::is_recent(r) {
        return Ok(TotpConfirmed::NothingPending);
    }
    let txn = store::begin_write(&r.state.db)
        .await
        .context("starting a transaction")?;
    let checked = factors::confirm_totp_enrollment(&txn, r.state, r.me.user.id, code).await?;
    let notices = match checked {
        FactorCheck::Accepted => Some(
            notify::notify_second_factor(&txn, &about(r), SecondFactorChange::TotpAdded).await?,
        ),
        _ => None,
    };
    // Committed either way: a wrong code counts.
    txn.commit().await.context("committing the confirmation")?;
    Ok(match (checked, notices) {
        (FactorCheck::Accepted, Some(notices)) => {
            notify::deliver(r.state, notices).await?;
            TotpConfirmed::Added
        }
        (FactorCheck::NotEnrolled, _) => TotpConfirmed::NothingPending,
        (other, _) => TotpConfirmed::Refused(other),
    })
}

/// `POST /account/totp/remove`.
pub async fn remove_totp(r: &Request<'_>) -> anyhow::Result<Gated> {
    if let Some(refused) = removal_refused(r).await? {
        return Ok(Gated::Done(refused));
    }
    gated(r, Action::RemoveTotp).await
}

/// Why the app cannot be removed, if it cannot: there is none, or the
/// policy requires a second factor and no other one it allows is left.
async fn removal_refused(r: &Request<'_>) -> anyhow::Result<Option<Continued>> {
    let enrolled = factors::enrolled(&r.state.db, r.me.user.id).await?;
    if !enrolled.contains(&Factor::Totp) {
        return Ok(Some(Continued::NoTotp));
    }
    let policy = crate::policy::current(r.state).await?;
    let others = enrolled
        .iter()
        .any(|f| *f != Factor::Totp && policy.second_factors.contains(f));
    Ok((policy.mfa == MfaMode::Required && !others).then_some(Continued::MfaRequired))
}

async fn remove_now(r: &Request<'_>) -> anyhow::Result<Continued> {
    if let Some(refused) = removal_refused(r).await? {
        return Ok(refused);
    }
    let txn = store::begin_write(&r.state.db)
        .await
        .context("starting a transaction")?;
    if !factors::remove_totp(&txn, r.me.user.id).await? {
        return Ok(Continued::NoTotp);
    }
    let notices =
        notify::notify_second_factor(&txn, &about(r), SecondFactorChange::TotpRemoved).await?;
    txn.commit().await.context("committing the removal")?;
    notify::deliver(r.state, notices).await?;
    Ok(Continued::TotpRemoved)
}

/// `POST /account/recovery-codes`: a new set of codes, shown once.
pub async fn generate_recovery_codes(r: &Request<'_>) -> anyhow::Result<Gated> {
    gated(r, Action::GenerateRecoveryCodes).await
}

async fn generate_now(r: &Request<'_>) -> anyhow::Result<Continued> {
    let txn = store::begin_write(&r.state.db)
        .await
        .context("starting a transaction")?;
    let codes = factors::generate_recovery_codes(&txn, r.state, r.me.user.id).await?;
    let change = SecondFactorChange::RecoveryCodesGenerated {
        count: codes.len() as u64,
    };
    let notices = notify::notify_second_factor(&txn, &about(r), change).await?;
    txn.commit()
        .await
        .context("committing the recovery codes")?;
    notify::deliver(r.state, notices).await?;
    Ok(Continued::RecoveryCodes(codes))
}
