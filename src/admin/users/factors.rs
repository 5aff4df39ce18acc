//! A user's factors seen and removed by an administrator: the
//! authenticator app, recovery codes, the phone number and the email
//! address. The user hears of each removal as from the account page.

use crate::audit::Actor;
use anyhow::Context;
use uuid::Uuid;

use crate::account::{
    About, Change, SecondFactorChange, deliver, notify_change, notify_second_factor,
};
use crate::app::AppState;
use crate::domain::Factor;
use crate::messages::LanguagePreference;
use crate::store;

/// Whether a user has a factor, and what can be told of it (never a secret).
#[derive(Debug)]
pub struct FactorState {
    pub factor: Factor,
    pub enrolled: bool,
    /// The phone number or address, masked.
    pub masked: Option<String>,
    /// Recovery codes not used yet.
    pub remaining: Option<u64>,
}

/// The user's `factor`; `None` when there is no such user.
pub async fn factor_state(
    state: &AppState,
    user_id: Uuid,
    factor: Factor,
) -> anyhow::Result<Option<FactorState>> {
    let db = &state.db;
    let Some(user) = store::users::find_by_id(db, user_id).await? else {
        return Ok(None);
    };
    let enrolled = crate::factors::enrolled(db, user_id)
        .await?
        .contains(&factor);
    let (masked, remaining) = match factor {
        Factor::Sms => (user.phone.as_ref().map(|p| p.masked()), None),
        Factor::Email => (
            user.email
                .as_deref()
                .map(|e| crate::domain::EmailAddress::from_trusted(e).masked()),
            None,
        ),
        Factor::RecoveryCode => (
            None,
            Some(crate::factors::recovery_codes_left(db, user_id).await?),
        ),
        Factor::Totp => (None, None),
    };
    Ok(Some(FactorState {
        factor,
        enrolled,
        masked,
        remaining,
    }))
}

/// What became of removing a factor.
#[derive(Debug, PartialEq, Eq)]
pub enum RemoveFactorOutcome {
    Removed,
    /// The user did not have it.
    NotEnrolled,
    NoUser,
}

/// Removes the user's `factor`, with the user's notices and the audit event.
pub async fn remove_factor(
    state: &AppState,
    by: &Actor,
    user_id: Uuid,
    factor: Factor,
) -> anyhow::Result<RemoveFactorOutcome> {
    let Some(user) = store::users::find_by_id(&state.db, user_id).await? else {
        return Ok(RemoveFactorOutcome::NoUser);
    };
    if !crate::factors::enrolled(&state.db, user_id)
        .await?
        .contains(&factor)
    {
        return Ok(RemoveFactorOutcome::NotEnrolled);
    }
    if factor == Factor::Sms {
        super::remove_phone(state, by, user_id).await?;
        return Ok(RemoveFactorOutcome::Removed);
    }
    let now = state.clock.now();
    let languages = LanguagePreference::from_sources(None, user.locale.as_deref(), None);
    let about = About {
        state,
        user: &user,
        sid: None,
        ip: None,
        languages: &languages,
    };
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let notices = match factor {
        Factor::Totp => {
            crate::factors::remove_totp(&txn, user_id).await?;
            Some(notify_second_factor(&txn, &about, SecondFactorChange::TotpRemoved).await?)
        }
        Factor::RecoveryCode => {
            store::recovery_codes::delete_for_user(&txn, user_id).await?;
            None
        }
        Factor::Email => {
            store::users::update_email(&txn, user_id, None, now).await?;
            let change = Change::EmailRemoved {
                previous: user.email.clone().unwrap_or_default(),
            };
            Some(notify_change(&txn, &about, &change).await?)
        }
        Factor::Sms => None,
    };
    crate::audit::record_by(
        &txn,
        now,
        by,
        "admin.user.factor_removed",
        Some(user_id),
        None,
        serde_json::json!({ "factor": factor.as_str() }),
    )
    .await;
    txn.commit().await.context("committing the removal")?;
    if let Some(notices) = notices {
        deliver(state, notices).await?;
    }
    Ok(RemoveFactorOutcome::Removed)
}
