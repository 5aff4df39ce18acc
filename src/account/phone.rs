//! Adding, changing and removing the account's phone number. A new number
//! is saved only once the code sent to it is typed back; until then the
//! old one keeps signing in. A number of another account gets the same
//! answer as a free one until that proof, then a clear refusal.

use anyhow::Context;

use super::Request;
use super::actions::{self, Action, Continued, Pending};
use super::enroll::{self, VerifyOutcome};
use super::notify::{self, Change};
use super::reauth::{self, Gate, Gated};
use super::sending::send_for;
use super::ways_in::{self, WayIn};
use crate::app::AppState;
use crate::domain::{Connection, PhoneNumber};
use crate::otp::Purpose;
use crate::store::{self, ConnectionTrait, users::PhoneOwnership};

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

/// `POST /account/phone/verify`: the code sent to the new number.
pub async fn verify_phone(r: &Request<'_>, input: &str) -> anyhow::Result<VerifyOutcome> {
    enroll::verify_new(r, WayIn::Phone, input).await
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

/// How a number saved now is held, by the sign-in policy in force (read
/// through `db`, the saving transaction, which keeps the policy from
/// changing until it ends): the account's alone while `unique_phone` is on,
/// else shared (each account verifies it on its own).
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
