//! The per-user count of wrong second-factor codes (see the module's
//! comment in `factors`).

use uuid::Uuid;

use crate::app::AppState;
use crate::store::{self, ConnectionTrait, factor_failures::Attempt};

/// Whether a check may go on.
pub(super) enum Claim {
    /// Counted; if the code proves wrong, `left` attempts remain.
    Counted {
        left: u32,
    },
    Locked,
}

/// Counts an attempt of `user_id` before its code is checked.
pub(super) async fn claim(
    db: &impl ConnectionTrait,
    state: &AppState,
    user_id: Uuid,
) -> anyhow::Result<Claim> {
    let max = state.settings.otp.max_attempts;
    let attempt = store::factor_failures::update_claim(
        db,
        user_id,
        max,
        state.settings.otp.failure_window.0,
        state.clock.now(),
    )
    .await?;
    Ok(match attempt {
        Attempt::Claimed(counted) => Claim::Counted {
            left: max.saturating_sub(counted),
        },
        Attempt::Locked(_) => Claim::Locked,
    })
}

/// Gives back the attempt of a right code.
pub(super) async fn release(db: &impl ConnectionTrait, user_id: Uuid) -> anyhow::Result<()> {
    store::factor_failures::update_release(db, user_id).await?;
    Ok(())
}

/// The outcome of a wrong code that left `left` attempts.
pub(super) fn wrong(left: u32) -> super::FactorCheck {
    if left == 0 {
        super::FactorCheck::Locked
    } else {
        super::FactorCheck::Wrong {
            attempts_left: left,
        }
    }
}
