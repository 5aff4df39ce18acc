//! Setting up an authenticator app in the middle of a sign-in: MFA is
//! required and the user has no second factor that counts. The app is
//! saved after its first code, which proves the second factor; the
//! recovery codes are shown once; then the sign-in completes.

use anyhow::Context;

use super::LoginTransaction;
use super::second_factor::{SecondFactorPage, second_factor_page};
use crate::account::{About, SecondFactorChange, notify_second_factor};
use crate::app::AppState;
use crate::domain::{AuthMethod, Factor};
use crate::factors::{self, FactorCheck, TotpEnrollment, TotpStart};
use crate::messages::LanguagePreference;
use crate::store;

/// What came of asking to set up an app.
#[derive(Debug)]
pub enum EnrollStart {
    /// The secret to scan, waiting for its first code.
    Started(TotpEnrollment),
    /// The sign-in does not need an app set up.
    NotHere,
}

/// Starts (or, when one waits, shows again) the authenticator app of the
/// user whose sign-in must set one up.
pub async fn start_app_enrollment(
    state: &AppState,
    tx: &LoginTransaction,
) -> anyhow::Result<EnrollStart> {
    let (Some(user_id), SecondFactorPage::Enroll) =
        (tx.user_id, second_factor_page(state, tx).await?)
    else {
        return Ok(EnrollStart::NotHere);
    };
    if let Some(pending) = factors::pending_totp_enrollment(&state.db, state, user_id).await? {
        return Ok(EnrollStart::Started(pending));
    }
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let started = factors::start_totp_enrollment(&txn, state, user_id).await?;
    txn.commit().await.context("committing the enrollment")?;
    Ok(match started {
        TotpStart::Started(enrollment) => EnrollStart::Started(enrollment),
        TotpStart::AlreadyEnrolled => EnrollStart::NotHere,
    })
}

/// The app waiting for its first code, to show again after a wrong one.
pub async fn pending_app_enrollment(
    state: &AppState,
    tx: &LoginTransaction,
) -> anyhow::Result<Option<TotpEnrollment>> {
    match tx.user_id {
        Some(user_id) => factors::pending_totp_enrollment(&state.db, state, user_id).await,
        None => Ok(None),
    }
}

/// What came of the app's first code.
#[derive(Debug)]
pub enum EnrollConfirm {
    /// Saved, and the second factor is proved; the recovery codes to show
    /// once (none when the policy does not allow them).
    Added {
        recovery_codes: Vec<String>,
    },
    Refused(FactorCheck),
    /// The sign-in is not setting up an app.
    NotHere,
}

/// Checks the first code of the app being set up: when right, the app is
/// saved (with the enrollment notice), a set of recovery codes is made,
/// and the sign-in has proved its second factor; all in one transaction.
pub async fn confirm_app_enrollment(
    state: &AppState,
    tx: &LoginTransaction,
    code: &str,
    ip: Option<&str>,
    languages: &LanguagePreference,
) -> anyhow::Result<EnrollConfirm> {
    let (Some(user_id), SecondFactorPage::Enroll) =
        (tx.user_id, second_factor_page(state, tx).await?)
    else {
        return Ok(EnrollConfirm::NotHere);
    };
    let policy = crate::policy::current(state).await?;
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let checked = factors::confirm_totp_enrollment(&txn, state, user_id, code).await?;
    if checked != FactorCheck::Accepted {
        // Committed: a wrong code counts.
        txn.commit().await.context("committing the attempt")?;
        return Ok(EnrollConfirm::Refused(checked));
    }
    let Some(user) = store::users::find_by_id(&txn, user_id).await? else {
        return Ok(EnrollConfirm::NotHere);
    };
    let about = About {
        state,
        user: &user,
        sid: None,
        ip,
        languages,
    };
    let notices = notify_second_factor(&txn, &about, SecondFactorChange::TotpAdded).await?;
    let recovery_codes = if policy.second_factors.contains(&Factor::RecoveryCode) {
        factors::generate_recovery_codes(&txn, state, user_id).await?
    } else {
        Vec::new()
    };
    let mut proven = tx.proven.clone();
    proven.push(AuthMethod::Totp);
    store::login_transactions::update_first_factor_proven(&txn, &tx.id_hash, user_id, &proven)
        .await?;
    txn.commit().await.context("committing the enrollment")?;
    crate::account::deliver(state, notices).await?;
    Ok(EnrollConfirm::Added { recovery_codes })
}
