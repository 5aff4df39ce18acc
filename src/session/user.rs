//! Who a verified phone number belongs to, at sign-in.

use chrono::Utc;

use crate::app::AppState;
use crate::domain::PhoneNumber;
use crate::store::{self, ConnectionTrait, StoreError, users::User};

/// Who a verified phone number belongs to.
#[derive(Debug)]
pub enum PhoneUser {
    Found(User),
    /// No account, and sign-up is off.
    NoAccount,
    Blocked,
}

/// Whether a verified number without an account gets one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signup {
    Allowed,
    Closed,
}

impl Signup {
    /// What the settings say.
    pub fn of(state: &AppState) -> Self {
        if state.settings.login.signup {
            Self::Allowed
        } else {
            Self::Closed
        }
    }
}

/// The user of a verified phone number, created when sign-up is allowed.
pub async fn user_for_verified_phone(
    state: &AppState,
    phone: &PhoneNumber,
) -> anyhow::Result<PhoneUser> {
    match find_or_create_user(&state.db, Signup::of(state), phone).await {
        Ok(found) => Ok(found),
        // Someone signed up with this number a moment ago.
        Err(StoreError::Conflict) => Ok(classify(
            store::users::find_by_phone(&state.db, phone)
                .await?
                .ok_or_else(|| anyhow::anyhow!("user vanished after a conflict"))?,
        )),
        Err(StoreError::Unexpected(e)) => Err(e),
    }
}

/// Like [`user_for_verified_phone`] through `db` (a transaction), but a
/// concurrent sign-up of the same number is returned as
/// `StoreError::Conflict`: on PostgreSQL the failed insert ends the
/// transaction, so the caller rolls back and looks again outside it.
pub async fn find_or_create_user(
    db: &impl ConnectionTrait,
    signup: Signup,
    phone: &PhoneNumber,
) -> Result<PhoneUser, StoreError> {
    let user = match store::users::find_by_phone(db, phone).await? {
        Some(user) => user,
        None if signup == Signup::Allowed => {
            let user = store::users::insert_with_verified_phone(db, phone, Utc::now()).await?;
            tracing::info!(user_id = %user.id, "new user signed up");
            user
        }
        None => return Ok(PhoneUser::NoAccount),
    };
    Ok(classify(user))
}

fn classify(user: User) -> PhoneUser {
    if user.blocked {
        PhoneUser::Blocked
    } else {
        PhoneUser::Found(user)
    }
}
