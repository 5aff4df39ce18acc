//! A user's second factors: which ones they have, checking one at sign-in
//! or step-up, enrolling an authenticator app, and recovery codes.
//!
//! Wrong codes of either kind count per user, like first-factor codes:
//! after `otp.max_attempts` of them within `otp.failure_window` every
//! second-factor check answers [`FactorCheck::Locked`] until the window
//! passes. Each check claims its attempt before it is told anything, in
//! one conditional update, so parallel guesses cannot pass the limit.

mod attempts;
mod recovery;
mod totp;

use uuid::Uuid;

use crate::domain::Factor;
use crate::store::{self, ConnectionTrait};

pub use recovery::{generate_recovery_codes, recovery_codes_left, use_recovery_code};
pub use totp::{
    TotpStart, check_totp, confirm_totp_enrollment, has_totp, pending_totp_enrollment, remove_totp,
    start_totp_enrollment,
};

/// What became of a factor's code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactorCheck {
    Accepted,
    Wrong {
        attempts_left: u32,
    },
    /// A TOTP code whose time step was already used (or not later than the
    /// last one accepted), or a recovery code a concurrent request used
    /// first.
    Replayed,
    /// Too many wrong codes: the factor is locked for a while.
    Locked,
    NotEnrolled,
}

/// The factors `user_id` can prove as a second factor, in `Factor::ALL`
/// order: an authenticator app, a verified phone and email, recovery codes
/// left.
pub async fn enrolled(db: &impl ConnectionTrait, user_id: Uuid) -> anyhow::Result<Vec<Factor>> {
    let Some(user) = store::users::find_by_id(db, user_id).await? else {
        return Ok(Vec::new());
    };
    let mut factors = Vec::new();
    if has_totp(db, user_id).await? {
        factors.push(Factor::Totp);
    }
    if user.phone.is_some() && user.phone_verified_at.is_some() {
        factors.push(Factor::Sms);
    }
    if user.email.is_some() && user.email_verified_at.is_some() {
        factors.push(Factor::Email);
    }
    if recovery_codes_left(db, user_id).await? > 0 {
        factors.push(Factor::RecoveryCode);
    }
    Ok(factors)
}

/// An authenticator app being enrolled: what the page shows.
#[derive(Clone)]
pub struct TotpEnrollment {
    /// The secret in base32, grouped by four for typing.
    pub secret_base32: String,
    pub otpauth_uri: String,
    /// The QR code of `otpauth_uri`, as an SVG element.
    pub qr_svg: String,
}

impl std::fmt::Debug for TotpEnrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpEnrollment(REDACTED)")
    }
}
