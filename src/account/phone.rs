//! Adding, changing and removing the account's phone number. A new number
//! is saved only once the code sent to it is typed back; until then the
//! old one keeps signing in. A number of another account gets the same
//! answer as a free one until that proof, then a clear refusal.

use anyhow::Context;

use super::Request;
use super::actions::{self, Action, Continued, Pending};
use super::notify::{self, Change};
use super::reauth::{self, Gate, Gated};
use super::sending::{CodeProblem, check_code, code_length, send_for};
use super::ways_in::{self, WayIn};
use crate::domain::{Connection, PhoneNumber};
use crate::otp::Purpose;
use crate::store::{self, StoreError};

/// `POST /account/phone`: add a number, or change it after a recent sign-in.
pub async fn change_phone(r: &Request<'_>, input: &str) -> anyhow::Result<Gated> {
    // Adding a first number proves possession of it; changing one replaces
    // a way in, and needs a recent sign-in first.
    if r.me.user.phone.is_some() {
        let action = Action::ChangePhone {
            input: input.to_owned(),
        };
        match reauth::gate(r, action).await? {
            Gate::Open => {}
            Gate::CodeSent => return Ok(Gated::NeedsReauth),
            Gate::NotSent(problem) => return Ok(Gated::ReauthNotSent(problem)),
        }
    }
    Ok(Gated::Done(start_verification(r, input).await?))
}

/// Sends the `verify` code to the new number and waits for it.
pub(super) async fn start_verification(r: &Request<'_>, input: &str) -> anyhow::Result<Continued> {
    let parsed = PhoneNumber::parse(input, r.state.settings.otp.default_region.as_deref());
    if let (Ok(new), Some(current)) = (&parsed, &r.me.user.phone)
        && new == current
    {
        return Ok(Continued::SameNumber);
    }
    // The pipeline parses again (test numbers included) and applies the
    // connection's rules; the pending step names the number it accepted.
    let e164 = match &parsed {
        Ok(p) => p.as_str().to_owned(),
        Err(_) => input.trim().to_owned(),
    };
    let pending = Pending::VerifyPhone { phone: e164 };
    Ok(
        match send_for(r, Purpose::Enroll, Connection::Sms, input, &pending).await? {
            Ok(_) => Continued::PhoneCodeSent,
            Err(problem) => Continued::PhoneNotSent(problem),
        },
    )
}

/// The masked number a code is waiting for, for the verify page.
pub async fn pending_phone(r: &Request<'_>) -> anyhow::Result<Option<String>> {
    Ok(
        match actions::find(&r.state.db, r).await?.map(|f| f.pending) {
            Some(Pending::VerifyPhone { phone }) => {
                Some(PhoneNumber::from_trusted_e164(&phone).masked())
            }
            _ => None,
        },
    )
}

/// What became of the code typed for a new number.
#[derive(Debug)]
pub enum VerifyPhoneOutcome {
    /// The new number is the account's (and the notice went out).
    Saved,
    /// Proved, but the number belongs to another account.
    Taken,
    Code(CodeProblem),
    NothingPending,
}

/// `POST /account/phone/verify`: the code sent to the new number.
pub async fn verify_phone(r: &Request<'_>, input: &str) -> anyhow::Result<VerifyPhoneOutcome> {
    let state = r.state;
    let length = code_length(r).await?;
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let (phone, challenge_id) = match actions::find(&txn, r).await? {
        Some(actions::Found {
            pending: Pending::VerifyPhone { phone },
            challenge_id: Some(challenge_id),
        }) => (phone, challenge_id),
        _ => return Ok(VerifyPhoneOutcome::NothingPending),
    };
    let recipient = match check_code(&txn, r, challenge_id, input, length).await? {
        Ok(recipient) => recipient,
        Err(problem) => {
            txn.commit().await.context("committing the attempt")?;
            return Ok(VerifyPhoneOutcome::Code(problem));
        }
    };
    let Some(new) = recipient.phone().filter(|p| p.as_str() == phone).cloned() else {
        txn.commit().await.context("committing the attempt")?;
        return Ok(VerifyPhoneOutcome::NothingPending);
    };
    actions::clear(&txn, r).await?;
    let now = state.clock.now();
    let owner = store::users::find_by_phone(&txn, &new).await?;
    if owner.is_some_and(|o| o.id != r.me.user.id) {
        crate::audit::record_for_user(
            &txn,
            now,
            r.me.user.id,
            "account.phone_taken",
            Some(new.masked()),
            r.ip,
            serde_json::json!({}),
        )
        .await;
        txn.commit().await.context("committing the refusal")?;
        return Ok(VerifyPhoneOutcome::Taken);
    }
    match store::users::update_phone(&txn, r.me.user.id, Some(&new), now).await {
        Ok(()) => {}
        // Taken a moment ago by a sign-up: the transaction is spoiled on
        // PostgreSQL; nothing was saved.
        Err(StoreError::Conflict) => return Ok(VerifyPhoneOutcome::Taken),
        Err(StoreError::Unexpected(e)) => return Err(e),
    }
    let change = match &r.me.user.phone {
        Some(previous) => Change::PhoneChanged {
            previous: previous.as_str().to_owned(),
            new: new.as_str().to_owned(),
        },
        None => Change::PhoneAdded {
            new: new.as_str().to_owned(),
        },
    };
    let notices = notify::notify(&txn, r, &change).await?;
    txn.commit().await.context("committing the new number")?;
    state.otp.release_cooldown(&state.db, &recipient).await?;
    notify::deliver(state, notices).await?;
    Ok(VerifyPhoneOutcome::Saved)
}

/// `POST /account/phone/remove`.
pub async fn remove_phone(r: &Request<'_>) -> anyhow::Result<Gated> {
    // Refused before any code is sent: nothing to prove for a refusal.
    if let Some(refused) = removal_refused(r) {
        return Ok(Gated::Done(refused));
    }
    Ok(match reauth::gate(r, Action::RemovePhone).await? {
        Gate::Open => Gated::Done(remove_now(r).await?),
        Gate::CodeSent => Gated::NeedsReauth,
        Gate::NotSent(problem) => Gated::ReauthNotSent(problem),
    })
}

/// Why the phone cannot be removed, if it cannot (see `ways_in`).
fn removal_refused(r: &Request<'_>) -> Option<Continued> {
    ways_in::removal_refused(&r.me.user, WayIn::Phone).map(|refusal| match refusal {
        ways_in::Refusal::Missing => Continued::NoPhone,
        ways_in::Refusal::LastWayIn => Continued::LastWayIn,
    })
}

/// Removes the phone number now (the sign-in is recent).
pub(super) async fn remove_now(r: &Request<'_>) -> anyhow::Result<Continued> {
    if let Some(refused) = removal_refused(r) {
        return Ok(refused);
    }
    let Some(previous) = r.me.user.phone.as_ref() else {
        return Ok(Continued::NoPhone);
    };
    let state = r.state;
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    store::users::update_phone(&txn, r.me.user.id, None, state.clock.now()).await?;
    let change = Change::PhoneRemoved {
        previous: previous.as_str().to_owned(),
    };
    let notices = notify::notify(&txn, r, &change).await?;
    txn.commit().await.context("committing the removal")?;
    notify::deliver(state, notices).await?;
    Ok(Continued::PhoneRemoved)
}
