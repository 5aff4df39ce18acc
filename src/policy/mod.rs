//! The sign-in policy in force: which first factors the hosted login
//! offers, sign-up, and when a second factor is asked for. It lives in the
//! database, so a change is live on every instance at once.

use anyhow::Context;
use chrono::{DateTime, Utc};

use crate::app::AppState;
use crate::domain::SignInPolicy;
use crate::store::{self, ConnectionTrait};

/// The settings key the policy is stored under.
pub const POLICY_KEY: &str = "signin_policy";

/// The policy every sign-in follows now: the stored one, or the seeded one
/// of a new installation.
pub async fn current(state: &AppState) -> anyhow::Result<SignInPolicy> {
    load(&state.db, state.settings.login.signup).await
}

/// The stored policy through `db`, or the one seeded from `signup`.
pub async fn load(db: &impl ConnectionTrait, signup: bool) -> anyhow::Result<SignInPolicy> {
    match store::settings::find(db, POLICY_KEY).await? {
        Some(row) => {
            serde_json::from_str(&row.value).context("the stored sign-in policy is not valid")
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
