//! Housekeeping: forgetting what has expired, so that tables of short-lived
//! rows do not grow without bound. Deleting is idempotent, so every instance
//! may sweep at the same time without locks.

use chrono::{DateTime, Duration, Utc};

use crate::store::{self, ConnectionTrait};

/// How many rows of each kind a sweep removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub otp_challenges: u64,
    pub authorization_codes: u64,
    pub login_transactions: u64,
    pub sso_sessions: u64,
    pub refresh_tokens: u64,
    pub refresh_token_families: u64,
    pub revoked_access_tokens: u64,
    pub otp_recipients: u64,
    pub revert_tokens: u64,
    pub account_actions: u64,
    pub outbox_messages: u64,
}

impl SweepReport {
    pub fn total(&self) -> u64 {
        self.otp_challenges
            + self.authorization_codes
            + self.login_transactions
            + self.sso_sessions
            + self.refresh_tokens
            + self.refresh_token_families
            + self.revoked_access_tokens
            + self.otp_recipients
            + self.revert_tokens
            + self.account_actions
            + self.outbox_messages
    }
}

/// Deletes rows that expired more than a minute ago (the margin keeps a row
/// that is being checked right now from vanishing under the check). What
/// reuse detection needs outlives its own expiry: a rotated refresh token
/// stays until its family ends, a used code until what it issued expires.
pub async fn sweep_expired(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> anyhow::Result<SweepReport> {
    let before = now - Duration::minutes(1);
    Ok(SweepReport {
        otp_challenges: store::otp_challenges::delete_expired(db, before).await?,
        authorization_codes: store::authorization_codes::delete_expired(db, before).await?,
        login_transactions: store::login_transactions::delete_expired(db, before).await?,
        sso_sessions: store::sso_sessions::delete_expired(db, before).await?,
        refresh_tokens: store::refresh_tokens::delete_expired(db, before).await?,
        refresh_token_families: store::refresh_token_families::delete_expired(db, before).await?,
        revoked_access_tokens: store::revoked_access_tokens::delete_expired(db, before).await?,
        // A day is past any cooldown (`otp.resend_cooldown` is at most an hour).
        otp_recipients: store::otp_recipients::delete_stale(db, now - Duration::days(1)).await?,
        revert_tokens: store::revert_tokens::delete_expired(db, before).await?,
        account_actions: store::account_actions::delete_expired(db, before).await?,
        // Finished mail stays a month for the operator (`ferrid outbox list`).
        outbox_messages: store::outbox::delete_finished_before(db, now - Duration::days(30))
            .await?,
    })
}
