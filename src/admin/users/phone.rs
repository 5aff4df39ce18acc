//! A user's phone number set by an administrator, in the shape of
//! Frontegg's management API: stored as verified at once, or only once the
//! code sent to it (the `verify` message, through the one pipeline) is
//! given back. Either way the user gets the enrollment notice.

use crate::audit::Actor;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::account::{About, Change, deliver, notify_change};
use crate::app::AppState;
use crate::domain::{Connection, OtpCode, PhoneError, PhoneNumber, Recipient};
use crate::messages::LanguagePreference;
use crate::otp::{Purpose, Refusal, SendCode, SendOutcome, To, VerifyOutcome};
use crate::store::users::{PhoneOwnership, User};
use crate::store::{self, ConnectionTrait, StoreError};

/// How long a code sent for a number set over the API waits to be given back.
const PENDING_FOR: chrono::Duration = chrono::Duration::minutes(15);

/// Whether a number set by an administrator needs proof of possession.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhoneVerification {
    /// Send a code; the number is saved once the code comes back.
    SendCode,
    /// The administrator vouches for it: saved as verified now.
    AlreadyVerified,
}

/// What became of setting a user's number.
#[derive(Debug)]
pub enum AddPhoneOutcome {
    /// Saved (and the notices went out): the user as they are now.
    Saved(User),
    /// A code went to the number; it is saved once the code comes back.
    CodeSent,
    /// The code was issued but the provider failed to deliver it.
    NotDelivered,
    Invalid(PhoneError),
    /// A rule of the SMS connection or a send limit stopped the code.
    Refused(Refusal),
    /// Another user holds the number and the policy keeps numbers unique.
    Taken,
    NoUser,
}

/// What became of a code given back for a pending number.
#[derive(Debug)]
pub enum VerifyPhoneOutcome {
    Saved(User),
    /// Not a code of the connection's length.
    Malformed,
    Wrong {
        attempts_left: u32,
    },
    TooManyAttempts,
    /// Expired or used already.
    Expired,
    NothingPending,
    Taken,
    NoUser,
}

/// The pending number, as stored with its challenge.
#[derive(Serialize, Deserialize)]
struct PendingPhone {
    api_verify_phone: String,
}

/// The key of the user's pending number among the pending actions: one
/// per user, apart from the account page's (which are per session).
fn pending_key(user_id: Uuid) -> String {
    format!("api:{user_id}")
}

/// How a number saved now is held: the account's alone while the sign-in
/// policy's `unique_phone` is on (read through the saving transaction).
pub(super) async fn ownership(
    db: &impl ConnectionTrait,
    state: &AppState,
) -> anyhow::Result<PhoneOwnership> {
    let policy = crate::policy::load_held(db, state.settings.login.signup).await?;
    Ok(if policy.unique_phone {
        PhoneOwnership::Sole
    } else {
        PhoneOwnership::Shared
    })
}

fn languages_of(user: &User) -> LanguagePreference {
    LanguagePreference::from_sources(None, user.locale.as_deref(), None)
}

/// `POST /api/v1/users/{id}/phone-numbers`.
pub async fn add_phone(
    state: &AppState,
    by: &Actor,
    user_id: Uuid,
    input: &str,
    verification: PhoneVerification,
) -> anyhow::Result<AddPhoneOutcome> {
    let Some(user) = store::users::find_by_id(&state.db, user_id).await? else {
        return Ok(AddPhoneOutcome::NoUser);
    };
    let phone = match PhoneNumber::parse(input, state.settings.otp.default_region.as_deref()) {
        Ok(phone) => phone,
        Err(e) => return Ok(AddPhoneOutcome::Invalid(e)),
    };
    let sole = ownership(&state.db, state).await? == PhoneOwnership::Sole;
    if sole && store::users::phone_held_by_another(&state.db, &phone, user.id).await? {
        return Ok(AddPhoneOutcome::Taken);
    }
    match verification {
        PhoneVerification::AlreadyVerified => Ok(match save(state, by, &user, &phone).await? {
            Some(user) => AddPhoneOutcome::Saved(user),
            None => AddPhoneOutcome::Taken,
        }),
        PhoneVerification::SendCode => send(state, by, &user, &phone).await,
    }
}

/// Sends the `verify` code to the number and remembers what it is for.
async fn send(
    state: &AppState,
    by: &Actor,
    user: &User,
    phone: &PhoneNumber,
) -> anyhow::Result<AddPhoneOutcome> {
    let name = crate::account::application_name(state);
    let languages = languages_of(user);
    let req = SendCode {
        purpose: Purpose::Enroll,
        to: To::New {
            connection: Connection::Sms,
            input: phone.as_str(),
        },
        client_id: by.client_id(),
        application_name: &name,
        ip: None,
        languages: &languages,
        user_id: Some(user.id),
    };
    let live = state.connection.get(&state.db, &state.master_key).await?;
    let now = state.clock.now();
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let issued = crate::otp::issue_code(state, &txn, &live, &req).await?;
    if let Ok(code) = &issued {
        let pending = PendingPhone {
            api_verify_phone: phone.as_str().to_owned(),
        };
        store::account_actions::upsert(
            &txn,
            &pending_key(user.id),
            user.id,
            serde_json::to_string(&pending)?,
            Some(code.challenge_id()),
            now,
            now + PENDING_FOR,
        )
        .await?;
        crate::audit::record_by(
            &txn,
            now,
            by,
            "admin.user.phone_code_sent",
            Some(user.id),
            Some(phone.masked()),
            serde_json::json!({}),
        )
        .await;
    }
    txn.commit().await.context("committing the code")?;
    let outcome = match issued {
        Ok(code) => crate::otp::deliver_code(state, &live, &req, code).await?,
        Err(outcome) => outcome,
    };
    Ok(match outcome {
        SendOutcome::Sent(_) => AddPhoneOutcome::CodeSent,
        SendOutcome::InvalidRecipient(e) => AddPhoneOutcome::Invalid(e),
        SendOutcome::Refused(refusal) => AddPhoneOutcome::Refused(refusal),
        SendOutcome::NotDelivered(_) | SendOutcome::InvalidEmail(_) | SendOutcome::NoChallenge => {
            AddPhoneOutcome::NotDelivered
        }
    })
}

/// `POST /api/v1/users/{id}/phone-numbers/verify`.
pub async fn verify_phone(
    state: &AppState,
    by: &Actor,
    user_id: Uuid,
    input: &str,
) -> anyhow::Result<VerifyPhoneOutcome> {
    let Some(user) = store::users::find_by_id(&state.db, user_id).await? else {
        return Ok(VerifyPhoneOutcome::NoUser);
    };
    // Read before the transaction: on SQLite the pool's one connection is its.
    let length = state
        .connection
        .get(&state.db, &state.master_key)
        .await?
        .settings
        .otp_length;
    let now = state.clock.now();
    let key = pending_key(user.id);
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let pending = store::account_actions::find_live(&txn, &key, now).await?;
    let Some((awaited, challenge_id)) = pending.and_then(|p| {
        let phone = serde_json::from_str::<PendingPhone>(&p.action).ok()?;
        Some((phone.api_verify_phone, p.challenge_id?))
    }) else {
        return Ok(VerifyPhoneOutcome::NothingPending);
    };
    let Ok(code) = OtpCode::parse(input, length) else {
        return Ok(VerifyPhoneOutcome::Malformed);
    };
    let outcome = state.otp.verify(&txn, challenge_id, &code).await?;
    if let Some((kind, result)) = outcome.audit() {
        crate::audit::record_by(
            &txn,
            now,
            by,
            kind,
            Some(user.id),
            None,
            serde_json::json!({ "result": result, "flow": "management_api" }),
        )
        .await;
    }
    let phone = match outcome {
        VerifyOutcome::Verified {
            recipient: Recipient::Phone(phone),
        } if phone.as_str() == awaited => phone,
        VerifyOutcome::Verified { .. } => {
            txn.commit().await.context("committing the attempt")?;
            return Ok(VerifyPhoneOutcome::NothingPending);
        }
        other => {
            txn.commit().await.context("committing the attempt")?;
            return Ok(match other {
                VerifyOutcome::Wrong { attempts_left } => {
                    VerifyPhoneOutcome::Wrong { attempts_left }
                }
                VerifyOutcome::TooManyAttempts => VerifyPhoneOutcome::TooManyAttempts,
                _ => VerifyPhoneOutcome::Expired,
            });
        }
    };
    store::account_actions::delete(&txn, &key).await?;
    txn.commit().await.context("committing the code")?;
    state
        .otp
        .release_cooldown(&state.db, &Recipient::Phone(phone.clone()))
        .await?;
    Ok(match save(state, by, &user, &phone).await? {
        Some(user) => VerifyPhoneOutcome::Saved(user),
        None => VerifyPhoneOutcome::Taken,
    })
}

/// Saves the number as verified, with the notices; `None` when another
/// user holds it and the policy keeps numbers unique.
async fn save(
    state: &AppState,
    by: &Actor,
    user: &User,
    phone: &PhoneNumber,
) -> anyhow::Result<Option<User>> {
    let now = state.clock.now();
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let ownership = ownership(&txn, state).await?;
    if ownership == PhoneOwnership::Sole
        && store::users::phone_held_by_another(&txn, phone, user.id).await?
    {
        return Ok(None);
    }
    match store::users::update_phone_as(&txn, user.id, Some(phone), ownership, now).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Ok(None),
        Err(StoreError::Unexpected(e)) => return Err(e),
    }
    let change = match &user.phone {
        Some(previous) if previous == phone => None,
        Some(previous) => Some(Change::PhoneChanged {
            previous: previous.as_str().to_owned(),
            new: phone.as_str().to_owned(),
        }),
        None => Some(Change::PhoneAdded {
            new: phone.as_str().to_owned(),
        }),
    };
    let notices = match &change {
        Some(change) => Some(notify(state, &txn, user, change).await?),
        None => None,
    };
    crate::audit::record_by(
        &txn,
        now,
        by,
        "admin.user.phone_set",
        Some(user.id),
        Some(phone.masked()),
        serde_json::json!({}),
    )
    .await;
    txn.commit().await.context("committing the number")?;
    if let Some(notices) = notices {
        deliver(state, notices).await?;
    }
    Ok(store::users::find_by_id(&state.db, user.id).await?)
}

async fn notify(
    state: &AppState,
    db: &impl ConnectionTrait,
    user: &User,
    change: &Change,
) -> anyhow::Result<crate::account::Notices> {
    let languages = languages_of(user);
    let about = About {
        state,
        user,
        sid: None,
        ip: None,
        languages: &languages,
    };
    notify_change(db, &about, change).await
}

/// `DELETE /api/v1/users/{id}/phone-numbers`: the user as they are now,
/// `None` when there is no such user. A user without a number is left as is.
pub async fn remove_phone(
    state: &AppState,
    by: &Actor,
    user_id: Uuid,
) -> anyhow::Result<Option<User>> {
    let Some(user) = store::users::find_by_id(&state.db, user_id).await? else {
        return Ok(None);
    };
    let Some(previous) = &user.phone else {
        return Ok(Some(user));
    };
    let now = state.clock.now();
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    store::users::update_phone(&txn, user.id, None, now).await?;
    let change = Change::PhoneRemoved {
        previous: previous.as_str().to_owned(),
    };
    let notices = notify(state, &txn, &user, &change).await?;
    crate::audit::record_by(
        &txn,
        now,
        by,
        "admin.user.phone_removed",
        Some(user.id),
        Some(previous.masked()),
        serde_json::json!({}),
    )
    .await;
    txn.commit().await.context("committing the removal")?;
    deliver(state, notices).await?;
    Ok(store::users::find_by_id(&state.db, user.id).await?)
}
