//! Whose account a verified code opens, at sign-in.

use chrono::{DateTime, Utc};

use crate::app::AppState;
use crate::domain::{Recipient, SignInPolicy};
use crate::store::{self, ConnectionTrait, DatabaseTransaction, StoreError, users::User};

/// Whose account a verified recipient opens.
#[derive(Debug)]
pub enum SignInUser {
    Found(User),
    /// No account, and sign-up is off.
    NoAccount,
    Blocked,
}

/// Whether a verified recipient without an account gets one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signup {
    Allowed,
    Closed,
}

impl Signup {
    /// What the sign-in policy in force says, read through `db` (the
    /// sign-in's transaction, when there is one: on SQLite it holds the one
    /// connection). `login.signup` only seeds the policy.
    pub async fn of(db: &impl ConnectionTrait, state: &AppState) -> anyhow::Result<Self> {
        let policy = crate::policy::load(db, state.settings.login.signup).await?;
        Ok(Self::from_policy(&policy))
    }

    /// What `policy` says.
    pub fn from_policy(policy: &SignInPolicy) -> Self {
        if policy.signup {
            Self::Allowed
        } else {
            Self::Closed
        }
    }
}

/// The user a code to `recipient` verified, created when sign-up is allowed.
pub async fn user_for_verified(
    state: &AppState,
    recipient: &Recipient,
) -> anyhow::Result<SignInUser> {
    let now = state.clock.now();
    let signup = Signup::of(&state.db, state).await?;
    match find_or_create_user(&state.db, signup, recipient, now).await {
        Ok(found) => Ok(found),
        // Someone signed up with this recipient a moment ago.
        Err(StoreError::Conflict) => Ok(classify(
            find_user(&state.db, recipient)
                .await?
                .ok_or_else(|| anyhow::anyhow!("user vanished after a conflict"))?,
        )),
        Err(StoreError::Unexpected(e)) => Err(e),
    }
}

/// Like [`user_for_verified`] through `db` (a transaction), but a
/// concurrent sign-up of the same recipient is returned as
/// `StoreError::Conflict`: on PostgreSQL the failed insert ends the
/// transaction, so the caller rolls back and looks again outside it.
pub async fn find_or_create_user(
    db: &impl ConnectionTrait,
    signup: Signup,
    recipient: &Recipient,
    now: DateTime<Utc>,
) -> Result<SignInUser, StoreError> {
    let user = match find_user(db, recipient).await? {
        Some(user) => user,
        None if signup == Signup::Allowed => {
            let user = insert_with_verified(db, recipient, None, now).await?;
            tracing::info!(user_id = %user.id, "new user signed up");
            user
        }
        None => return Ok(SignInUser::NoAccount),
    };
    Ok(classify(user))
}

/// Like [`find_or_create_user`], inside the sign-in's transaction `txn`,
/// which must survive a concurrent sign-up of the same recipient: the
/// insert does nothing on a conflict (so it does not abort the PostgreSQL
/// transaction), and the row the other sign-up committed is read instead.
/// A new user speaks `locale`, the language of the page they signed up on.
pub async fn find_or_create_user_in(
    txn: &DatabaseTransaction,
    signup: Signup,
    recipient: &Recipient,
    locale: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<SignInUser> {
    if let Some(user) = find_user(txn, recipient).await? {
        return Ok(classify(user));
    }
    if signup == Signup::Closed {
        return Ok(SignInUser::NoAccount);
    }
    // A conflict leaves the transaction usable (see the store's insert).
    match insert_with_verified(txn, recipient, locale, now).await {
        Ok(user) => {
            tracing::info!(user_id = %user.id, "new user signed up");
            Ok(classify(user))
        }
        // Someone signed up with this recipient a moment ago.
        Err(StoreError::Conflict) => {
            Ok(classify(find_user(txn, recipient).await?.ok_or_else(
                || anyhow::anyhow!("user vanished after a conflict"),
            )?))
        }
        Err(StoreError::Unexpected(e)) => Err(e),
    }
}

/// A new user whose phone number or email address the code just verified.
async fn insert_with_verified(
    db: &impl ConnectionTrait,
    recipient: &Recipient,
    locale: Option<&str>,
    now: DateTime<Utc>,
) -> Result<User, StoreError> {
    match recipient {
        Recipient::Phone(phone) => {
            store::users::insert_with_verified_phone(db, phone, locale, now).await
        }
        Recipient::Email(email) => {
            store::users::insert_with_verified_email(db, email, locale, now).await
        }
    }
}

async fn find_user(
    db: &impl ConnectionTrait,
    recipient: &Recipient,
) -> Result<Option<User>, StoreError> {
    Ok(match recipient {
        Recipient::Phone(phone) => store::users::find_by_phone(db, phone).await?,
        Recipient::Email(email) => store::users::find_by_verified_email(db, email).await?,
    })
}

fn classify(user: User) -> SignInUser {
    if user.blocked {
        SignInUser::Blocked
    } else {
        SignInUser::Found(user)
    }
}
