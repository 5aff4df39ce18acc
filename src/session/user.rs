//! Who a verified phone number belongs to, at sign-in.

use crate::app::AppState;
use crate::domain::PhoneNumber;
use crate::store::{self, StoreError, users::User};

/// Who a verified phone number belongs to.
#[derive(Debug)]
pub enum PhoneUser {
    Found(User),
    /// No account, and sign-up is off.
    NoAccount,
    Blocked,
}

/// The user of a verified phone number, created when sign-up is allowed.
pub async fn user_for_verified_phone(
    state: &AppState,
    phone: &PhoneNumber,
) -> anyhow::Result<PhoneUser> {
    let user =
        match store::users::find_by_phone(&state.db, phone).await? {
            Some(user) => user,
            None if state.settings.login.signup => {
                match store::users::insert_with_verified_phone(&state.db, phone, state.clock.now())
                    .await
                {
                    Ok(user) => {
                        tracing::info!(user_id = %user.id, "new user signed up");
                        user
                    }
                    // Someone signed up with this number a moment ago.
                    Err(StoreError::Conflict) => store::users::find_by_phone(&state.db, phone)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("user vanished after a conflict"))?,
                    Err(StoreError::Unexpected(e)) => return Err(e),
                }
            }
            None => return Ok(PhoneUser::NoAccount),
        };
    Ok(if user.blocked {
        PhoneUser::Blocked
    } else {
        PhoneUser::Found(user)
    })
}
