//! Adding, changing and removing the account's email address. A new
//! address is saved only once the code sent to it is typed back; until then
//! the old one stays. An address verified on another account gets the same
//! answer as a free one until that proof, then a clear refusal (no
//! enumeration before proof of possession); the database's unique index on
//! verified addresses holds the rule against races.

use anyhow::Context;

use super::Request;
use super::actions::{self, Action, Continued, Pending};
use super::enroll::{self, VerifyOutcome};
use super::notify::{self, Change};
use super::reauth::{self, Gate, Gated};
use super::sending::{SendProblem, send_for};
use super::ways_in::{self, WayIn};
use crate::domain::{Connection, EmailAddress};
use crate::otp::Purpose;
use crate::store;

/// The user's verified address, if any.
pub(super) fn current(r: &Request<'_>) -> Option<EmailAddress> {
    let user = &r.me.user;
    user.email
        .as_deref()
        .filter(|_| ways_in::has(user, WayIn::Email))
        .map(EmailAddress::from_trusted)
}

/// `POST /account/email`: add an address, or change it after a recent
/// sign-in.
pub async fn change_email(r: &Request<'_>, input: &str) -> anyhow::Result<Gated> {
    // Bad input is answered before any code is sent, re-authentication
    // included: nothing to prove for a typo.
    if let Err(e) = EmailAddress::parse(input) {
        return Ok(Gated::Done(Continued::EmailNotSent(
            SendProblem::InvalidEmail(e),
        )));
    }
    // Adding a first address proves possession of it; changing one
    // replaces a way in, and needs a recent sign-in first.
    if current(r).is_some() {
        let action = Action::ChangeEmail {
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

/// Sends the `verify_email` code to the new address and waits for it.
pub(super) async fn start_verification(r: &Request<'_>, input: &str) -> anyhow::Result<Continued> {
    let new = match EmailAddress::parse(input) {
        Ok(new) => new,
        Err(e) => return Ok(Continued::EmailNotSent(SendProblem::InvalidEmail(e))),
    };
    if current(r).is_some_and(|c| c.as_str().eq_ignore_ascii_case(new.as_str())) {
        return Ok(Continued::SameEmail);
    }
    let pending = Pending::VerifyEmail {
        email: new.as_str().to_owned(),
    };
    Ok(
        match send_for(
            r,
            Purpose::Enroll,
            Connection::Email,
            new.as_str(),
            &pending,
        )
        .await?
        {
            Ok(_) => Continued::EmailCodeSent,
            Err(problem) => Continued::EmailNotSent(problem),
        },
    )
}

/// The masked address a code is waiting for, for the verify page.
pub async fn pending_email(r: &Request<'_>) -> anyhow::Result<Option<String>> {
    Ok(
        match actions::find(&r.state.db, r).await?.map(|f| f.pending) {
            Some(Pending::VerifyEmail { email }) => {
                Some(EmailAddress::from_trusted(&email).masked())
            }
            _ => None,
        },
    )
}

/// `POST /account/email/verify`: the code sent to the new address.
pub async fn verify_email(r: &Request<'_>, input: &str) -> anyhow::Result<VerifyOutcome> {
    enroll::verify_new(r, WayIn::Email, input).await
}

/// Why the address cannot be removed, if it cannot (see `ways_in`).
fn removal_refused(r: &Request<'_>) -> Option<Continued> {
    ways_in::removal_refused(&r.me.user, WayIn::Email).map(|refusal| match refusal {
        ways_in::Refusal::Missing => Continued::NoEmail,
        ways_in::Refusal::LastWayIn => Continued::EmailLastWayIn,
    })
}

/// `POST /account/email/remove`.
pub async fn remove_email(r: &Request<'_>) -> anyhow::Result<Gated> {
    // Refused before any code is sent: nothing to prove for a refusal.
    if let Some(refused) = removal_refused(r) {
        return Ok(Gated::Done(refused));
    }
    Ok(match reauth::gate(r, Action::RemoveEmail).await? {
        Gate::Open => Gated::Done(remove_now(r).await?),
        Gate::CodeSent => Gated::NeedsReauth,
        Gate::NotSent(problem) => Gated::ReauthNotSent(problem),
    })
}

/// Removes the email address now (the sign-in is recent).
pub(super) async fn remove_now(r: &Request<'_>) -> anyhow::Result<Continued> {
    if let Some(refused) = removal_refused(r) {
        return Ok(refused);
    }
    let Some(previous) = current(r) else {
        return Ok(Continued::NoEmail);
    };
    let state = r.state;
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    store::users::update_email(&txn, r.me.user.id, None, state.clock.now()).await?;
    let change = Change::EmailRemoved {
        previous: previous.as_str().to_owned(),
    };
    let notices = notify::notify(&txn, r, &change).await?;
    txn.commit().await.context("committing the removal")?;
    notify::deliver(state, notices).await?;
    Ok(Continued::EmailRemoved)
}
