//! The code typed for a new phone number or email address: one path for
//! both ways in. The factor is saved only once its code proves it, and an
//! address that another account holds is refused only then (no answer
//! before proof of possession says whether it is taken).

use anyhow::Context;

use super::Request;
use super::actions::{self, Pending};
use super::notify::{self, Change};
use super::sending::{CodeProblem, check_code, code_length};
use super::ways_in::WayIn;
use crate::domain::Recipient;
use crate::store::{self, ConnectionTrait, StoreError, users::PhoneOwnership};

/// What became of the code typed for a new number or address.
#[derive(Debug)]
pub enum VerifyOutcome {
    /// The new number or address is the account's (and the notices went out).
    Saved,
    /// Proved, but it belongs to another account.
    Taken,
    Code(CodeProblem),
    NothingPending,
}

/// `POST /account/phone/verify` and `POST /account/email/verify`.
pub(super) async fn verify_new(
    r: &Request<'_>,
    way: WayIn,
    input: &str,
) -> anyhow::Result<VerifyOutcome> {
    let state = r.state;
    let length = code_length(r).await?;
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let (awaited, challenge_id) = match (way, actions::find(&txn, r).await?) {
        (
            WayIn::Phone,
            Some(actions::Found {
                pending: Pending::VerifyPhone { phone: awaited },
                challenge_id: Some(challenge_id),
            }),
        )
        | (
            WayIn::Email,
            Some(actions::Found {
                pending: Pending::VerifyEmail { email: awaited },
                challenge_id: Some(challenge_id),
            }),
        ) => (awaited, challenge_id),
        _ => return Ok(VerifyOutcome::NothingPending),
    };
    let recipient = match check_code(&txn, r, challenge_id, input, length).await? {
        Ok(recipient) => recipient,
        Err(problem) => {
            txn.commit().await.context("committing the attempt")?;
            return Ok(VerifyOutcome::Code(problem));
        }
    };
    if way_of(&recipient) != way || recipient.as_str() != awaited {
        txn.commit().await.context("committing the attempt")?;
        return Ok(VerifyOutcome::NothingPending);
    }
    actions::clear(&txn, r).await?;
    let now = state.clock.now();
    let ownership = match &recipient {
        Recipient::Phone(_) => super::phone::ownership(&txn, state).await?,
        Recipient::Email(_) => PhoneOwnership::Sole,
    };
    // With `unique_phone` off, another account's number is this one's too.
    if ownership == PhoneOwnership::Sole && owned_by_another(&txn, r, &recipient).await? {
        crate::audit::record_for_user(
            &txn,
            now,
            r.me.user.id,
            match way {
                WayIn::Phone => "account.phone_taken",
                WayIn::Email => "account.email_taken",
            },
            Some(recipient.masked()),
            r.ip,
            serde_json::json!({}),
        )
        .await;
        txn.commit().await.context("committing the refusal")?;
        return Ok(VerifyOutcome::Taken);
    }
    let saved = match &recipient {
        Recipient::Phone(phone) => {
            store::users::update_phone_as(&txn, r.me.user.id, Some(phone), ownership, now).await
        }
        Recipient::Email(email) => {
            store::users::update_email(&txn, r.me.user.id, Some(email), now).await
        }
    };
    match saved {
        Ok(()) => {}
        // Taken a moment ago by another account: the transaction is spoiled
        // on PostgreSQL; nothing was saved.
        Err(StoreError::Conflict) => return Ok(VerifyOutcome::Taken),
        Err(StoreError::Unexpected(e)) => return Err(e),
    }
    let change = change_to(r, &recipient);
    let notices = notify::notify(&txn, r, &change).await?;
    txn.commit().await.context("committing the new factor")?;
    state.otp.release_cooldown(&state.db, &recipient).await?;
    notify::deliver(state, notices).await?;
    Ok(VerifyOutcome::Saved)
}

fn way_of(recipient: &Recipient) -> WayIn {
    match recipient {
        Recipient::Phone(_) => WayIn::Phone,
        Recipient::Email(_) => WayIn::Email,
    }
}

/// Whether another account has this number, or this address verified.
async fn owned_by_another(
    db: &impl ConnectionTrait,
    r: &Request<'_>,
    recipient: &Recipient,
) -> anyhow::Result<bool> {
    Ok(match recipient {
        Recipient::Phone(phone) => {
            store::users::phone_held_by_another(db, phone, r.me.user.id).await?
        }
        Recipient::Email(email) => store::users::find_by_verified_email(db, email)
            .await?
            .is_some_and(|o| o.id != r.me.user.id),
    })
}

/// The change saving `new` makes: an addition, or a change of what the
/// account had.
fn change_to(r: &Request<'_>, new: &Recipient) -> Change {
    let new_value = new.as_str().to_owned();
    match new {
        Recipient::Phone(_) => match &r.me.user.phone {
            Some(previous) => Change::PhoneChanged {
                previous: previous.as_str().to_owned(),
                new: new_value,
            },
            None => Change::PhoneAdded { new: new_value },
        },
        Recipient::Email(_) => match super::email::current(r) {
            Some(previous) => Change::EmailChanged {
                previous: previous.as_str().to_owned(),
                new: new_value,
            },
            None => Change::EmailAdded { new: new_value },
        },
    }
}
