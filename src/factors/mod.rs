//! A user's second factors: which ones they have, checking one at sign-in
//! or step-up, enrolling an authenticator app, and recovery codes.

use uuid::Uuid;

use crate::app::AppState;
use crate::domain::Factor;
use crate::store::{self, ConnectionTrait, DatabaseTransaction};

/// What became of a factor's code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactorCheck {
    Accepted,
    Wrong {
        attempts_left: u32,
    },
    /// A TOTP code that was already used in its time step.
    Replayed,
    /// Too many wrong codes: the factor is locked for a while.
    Locked,
    NotEnrolled,
}

/// The factors `user_id` can prove as a second factor, in `Factor::ALL`
/// order: a verified phone and email, an authenticator app, recovery codes
/// left.
pub async fn enrolled(db: &impl ConnectionTrait, user_id: Uuid) -> anyhow::Result<Vec<Factor>> {
    let Some(user) = store::users::find_by_id(db, user_id).await? else {
        return Ok(Vec::new());
    };
    let mut factors = Vec::new();
    if user.phone.is_some() && user.phone_verified_at.is_some() {
        factors.push(Factor::Sms);
    }
    if user.email.is_some() && user.email_verified_at.is_some() {
        factors.push(Factor::Email);
    }
    Ok(factors)
}

/// Checks an authenticator-app code of `user_id`, in `txn`.
pub async fn check_totp(
    _txn: &DatabaseTransaction,
    _state: &AppState,
    _user_id: Uuid,
    _code: &str,
) -> anyhow::Result<FactorCheck> {
    Ok(FactorCheck::NotEnrolled)
}

/// Uses one of `user_id`'s recovery codes, in `txn`.
pub async fn use_recovery_code(
    _txn: &DatabaseTransaction,
    _state: &AppState,
    _user_id: Uuid,
    _code: &str,
) -> anyhow::Result<FactorCheck> {
    Ok(FactorCheck::NotEnrolled)
}

/// An authenticator app being enrolled: what the page shows.
#[derive(Clone, Debug)]
pub struct TotpEnrollment {
    pub secret_base32: String,
    pub otpauth_uri: String,
    /// The QR code of `otpauth_uri`, as an SVG document.
    pub qr_svg: String,
}
