//! The ways into an account, and the rule that the account page never
//! removes the last one.
//!
//! A verified phone number and a verified email address each count as a
//! way in. Only the phone signs in today; a verified email is counted all
//! the same because email becomes a first factor next (the hosted login's
//! email code), and an account left with its email alone must not be
//! locked out by then. Until that lands, the email of such an account is
//! what re-authenticates it and what receives its notices.

use crate::store::users::User;

/// A way in the user asked to remove.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WayIn {
    Phone,
    Email,
}

/// Whether the user has this way in, verified.
pub(super) fn has(user: &User, way: WayIn) -> bool {
    match way {
        WayIn::Phone => user.phone.is_some() && user.phone_verified_at.is_some(),
        WayIn::Email => user.email.is_some() && user.email_verified_at.is_some(),
    }
}

/// Why `way` cannot be removed, if it cannot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    /// The account does not have it.
    Missing,
    /// It is the last way in: removing it would lock the user out.
    LastWayIn,
}

/// Removing `way` is refused when the account does not have it, or when
/// no other verified way in would be left.
pub(super) fn removal_refused(user: &User, way: WayIn) -> Option<Refusal> {
    if !has(user, way) {
        return Some(Refusal::Missing);
    }
    let others = [WayIn::Phone, WayIn::Email]
        .into_iter()
        .filter(|w| *w != way)
        .any(|w| has(user, w));
    (!others).then_some(Refusal::LastWayIn)
}
