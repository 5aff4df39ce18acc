//! Whose account a verified code opens, at sign-in.

use crate::app::AppState;
use crate::domain::{PhoneNumber, Recipient};
use crate::store::{self, StoreError, users::User};

/// Whose account a verified recipient opens.
#[derive(Debug)]
pub enum SignInUser {
    Found(User),
    /// No account, and sign-up is off.
    NoAccount,
    Blocked,
}

/// The user a code to `recipient` verified, created when sign-up is allowed.
pub async fn user_for_verified(
    state: &AppState,
    recipient: &Recipient,
) -> anyhow::Result<SignInUser> {
    match recipient {
        Recipient::Phone(phone) => user_for_verified_phone(state, phone).await,
    }
}

async fn user_for_verified_phone(
    state: &AppState,
    phone: &PhoneNumber,
) -> anyhow::Result<SignInUser> {
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
            None => return Ok(SignInUser::NoAccount),
        };
    Ok(if user.blocked {
        SignInUser::Blocked
    } else {
        SignInUser::Found(user)
    })
}
