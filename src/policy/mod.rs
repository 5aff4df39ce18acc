//! The sign-in policy in force: which first factors the hosted login
//! offers, sign-up, and when a second factor is asked for. It lives in the
//! database and is read there on every use (one primary-key read), so a
//! change is live on every instance at once.

use anyhow::Context;
use chrono::{DateTime, Utc};

use crate::app::AppState;
use crate::domain::SignInPolicy;
use crate::store::{self, ConnectionTrait, settings::RowLock};

/// The settings key the policy is stored under.
pub const POLICY_KEY: &str = "signin_policy";

/// The policy every sign-in follows now: the stored one, or the seeded one
/// of a new installation.
pub async fn current(state: &AppState) -> anyhow::Result<SignInPolicy> {
    load(&state.db, state.settings.login.signup).await
}

/// The stored policy through `db`, or the one seeded from `signup`.
pub async fn load(db: &impl ConnectionTrait, signup: bool) -> anyhow::Result<SignInPolicy> {
    parse(store::settings::find(db, POLICY_KEY).await?, signup)
}

/// Like [`load`] inside a transaction that acts on the policy's value, and
/// keeps it from changing until that transaction ends (a number saved under
/// `unique_phone` off cannot slip in while it is being turned on).
pub async fn load_held(db: &impl ConnectionTrait, signup: bool) -> anyhow::Result<SignInPolicy> {
    parse(
        store::settings::find_locked(db, POLICY_KEY, RowLock::Shared).await?,
        signup,
    )
}

/// Like [`load`] inside a transaction that will change the policy: the row
/// is written first when missing, then locked, so that two changes at once
/// are applied one after the other.
pub async fn load_for_change(
    db: &impl ConnectionTrait,
    signup: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<SignInPolicy> {
    let seeded = serde_json::to_string(&SignInPolicy::seeded(signup))?;
    store::settings::insert_if_missing(db, POLICY_KEY, &seeded, now).await?;
    parse(
        store::settings::find_locked(db, POLICY_KEY, RowLock::Exclusive).await?,
        signup,
    )
}

fn parse(
    row: Option<store::settings::StoredSetting>,
    signup: bool,
) -> anyhow::Result<SignInPolicy> {
    from_stored(row.as_ref().map(|row| row.value.as_str()), signup)
}

/// The policy from its stored value (read by a statement that also read
/// something else), or the one seeded from `signup` when none is stored.
pub fn from_stored(value: Option<&str>, signup: bool) -> anyhow::Result<SignInPolicy> {
    match value {
        Some(value) => {
            serde_json::from_str(value).context("the stored sign-in policy is not valid")
        }
        None => Ok(SignInPolicy::seeded(signup)),
    }
}

/// Stores `policy` as it is; callers validate it first.
pub async fn save(
    db: &impl ConnectionTrait,
    policy: &SignInPolicy,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    store::settings::upsert(db, POLICY_KEY, &serde_json::to_string(policy)?, now).await?;
    Ok(())
}
