//! Finding, creating, changing, blocking and deleting users (the
//! management API); each change is audited with the client that made it.

mod factors;
mod phone;
mod sessions;

use crate::audit::Actor;
use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use crate::app::AppState;
use crate::domain::{EmailAddress, PhoneNumber};
use crate::store::users::{NewUser, PhoneOwnership, User, UserFilter};
use crate::store::{self, StoreError};

pub use factors::{FactorState, RemoveFactorOutcome, factor_state, remove_factor};
pub use phone::{
    AddPhoneOutcome, PhoneVerification, VerifyPhoneOutcome, add_phone, remove_phone, verify_phone,
};
pub use sessions::{list_sessions, revoke_sessions};

/// The most users one page holds.
pub const MAX_PAGE: u64 = 100;

/// One page of users, and the cursor of the next when there is one.
#[derive(Debug)]
pub struct UserPage {
    pub users: Vec<User>,
    pub next_cursor: Option<String>,
}

/// Why a page of users could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum ListUsersError {
    #[error("the cursor is not one this API gave")]
    BadCursor,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The page of users matching `filter` after `cursor` (opaque: the last
/// user of the previous page, encoded).
pub async fn list_users(
    state: &AppState,
    filter: &UserFilter,
    cursor: Option<&str>,
    limit: u64,
) -> Result<UserPage, ListUsersError> {
    let after = cursor.map(decode_cursor).transpose()?;
    let limit = limit.clamp(1, MAX_PAGE);
    // One more than asked says whether a next page exists.
    let mut users = store::users::list_page(&state.db, filter, after, limit + 1)
        .await
        .map_err(anyhow::Error::from)?;
    let next_cursor = if users.len() as u64 > limit {
        users.truncate(limit as usize);
        users.last().map(|u| encode_cursor(u.id))
    } else {
        None
    };
    Ok(UserPage { users, next_cursor })
}

fn encode_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

fn decode_cursor(cursor: &str) -> Result<Uuid, ListUsersError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| Uuid::from_slice(&bytes).ok())
        .ok_or(ListUsersError::BadCursor)
}

/// One user by id.
pub async fn find_user(state: &AppState, id: Uuid) -> anyhow::Result<Option<User>> {
    Ok(store::users::find_by_id(&state.db, id).await?)
}

/// The most characters a user's name has.
pub const MAX_NAME: usize = 200;

/// A name as given: trimmed; empty is no name.
pub fn parse_name(raw: &str) -> Result<Option<String>, String> {
    let name = raw.trim();
    if name.chars().count() > MAX_NAME {
        return Err(format!("longer than {MAX_NAME} characters"));
    }
    Ok((!name.is_empty()).then(|| name.to_owned()))
}

/// A user to create: the number and the address are taken as verified.
#[derive(Clone, Debug, Default)]
pub struct CreateUser {
    pub phone: Option<PhoneNumber>,
    pub email: Option<EmailAddress>,
    pub name: Option<String>,
}

/// Why a user could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("the phone number or the email address belongs to another user")]
    Taken,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Creates a user, holding the number as the sign-in policy's
/// `unique_phone` says.
pub async fn create_user(
    state: &AppState,
    by: &Actor,
    req: CreateUser,
) -> Result<User, CreateUserError> {
    let now = state.clock.now();
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let phone = match req.phone {
        Some(phone) => {
            let ownership = phone::ownership(&txn, state).await?;
            if ownership == PhoneOwnership::Sole
                && store::users::find_by_phone(&txn, &phone)
                    .await
                    .map_err(anyhow::Error::from)?
                    .is_some()
            {
                return Err(CreateUserError::Taken);
            }
            Some((phone, ownership))
        }
        None => None,
    };
    let new = NewUser {
        phone,
        email: req.email,
        name: req.name,
    };
    let user = match store::users::insert(&txn, new, now).await {
        Ok(user) => user,
        Err(StoreError::Conflict) => return Err(CreateUserError::Taken),
        Err(StoreError::Unexpected(e)) => return Err(e.into()),
    };
    crate::audit::record_by(
        &txn,
        now,
        by,
        "admin.user.created",
        Some(user.id),
        user.phone.as_ref().map(PhoneNumber::masked),
        serde_json::json!({}),
    )
    .await;
    txn.commit().await.context("committing the user")?;
    Ok(user)
}

/// A change to a user; `None` leaves a part as it is.
#[derive(Clone, Debug, Default)]
pub struct UserUpdate {
    /// `Some(None)` removes the name.
    pub name: Option<Option<String>>,
    /// A blocked user cannot sign in, and their sessions end.
    pub blocked: Option<bool>,
}

/// Changes a user; the user as they are now, `None` when there is none.
pub async fn update_user(
    state: &AppState,
    by: &Actor,
    id: Uuid,
    update: UserUpdate,
) -> anyhow::Result<Option<User>> {
    let now = state.clock.now();
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let Some(user) =
        store::users::update_profile(&txn, id, update.name.clone(), update.blocked, now).await?
    else {
        return Ok(None);
    };
    crate::audit::record_by(
        &txn,
        now,
        by,
        match update.blocked {
            Some(true) => "admin.user.blocked",
            Some(false) => "admin.user.unblocked",
            None => "admin.user.updated",
        },
        Some(id),
        None,
        serde_json::json!({ "name_changed": update.name.is_some() }),
    )
    .await;
    txn.commit().await.context("committing the user")?;
    if update.blocked == Some(true) {
        end_sessions(state, id, None).await?;
    }
    Ok(Some(user))
}

/// Ends the user's live sessions (or only `sid`) and the refresh tokens
/// issued under them, as a logout does; how many ended.
async fn end_sessions(state: &AppState, user_id: Uuid, sid: Option<&str>) -> anyhow::Result<usize> {
    let now = state.clock.now();
    let live = store::sso_sessions::list_live_for_user(&state.db, user_id, now).await?;
    let mut ended = 0;
    for session in live.iter().filter(|s| sid.is_none_or(|sid| s.sid == sid)) {
        crate::session::revoke(state, &session.sid, now).await?;
        crate::account::end_session(state, &session.sid, now).await?;
        ended += 1;
    }
    Ok(ended)
}

/// Deletes a user and everything that is theirs; whether they existed.
pub async fn delete_user(state: &AppState, by: &Actor, id: Uuid) -> anyhow::Result<bool> {
    let now = state.clock.now();
    end_sessions(state, id, None).await?;
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let deleted = store::users::delete_by_id(&txn, id).await?;
    if deleted {
        crate::audit::record_by(
            &txn,
            now,
            by,
            "admin.user.deleted",
            None,
            Some(id.to_string()),
            serde_json::json!({}),
        )
        .await;
    }
    txn.commit().await.context("committing the deletion")?;
    Ok(deleted)
}
