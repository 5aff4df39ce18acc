//! The sign-in policy in force: which first factors the hosted login
//! offers, sign-up, and when a second factor is asked for.

use crate::app::AppState;
use crate::domain::SignInPolicy;

/// The policy every sign-in follows now.
pub async fn current(state: &AppState) -> anyhow::Result<SignInPolicy> {
    Ok(SignInPolicy::seeded(state.settings.login.signup))
}
