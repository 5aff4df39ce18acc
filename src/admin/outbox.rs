//! The operator's view of the email outbox (`ferrid outbox …` and the
//! dashboard's outbox page).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::audit;
use crate::domain::{EmailAddress, OutboxStatus};
use crate::email::{self, AbandonError, RetryError, RetryOutcome};
use crate::store::ConnectionTrait;

/// A message as the operator sees it: the address masked, no body.
#[derive(Clone, Debug, serde::Serialize)]
pub struct OutboxEntry {
    pub id: Uuid,
    pub channel: String,
    pub to: String,
    pub usage: String,
    pub language: String,
    pub subject: String,
    pub status: OutboxStatus,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// The newest 500 messages, of one status when given.
pub async fn list(
    db: &impl ConnectionTrait,
    status: Option<OutboxStatus>,
) -> anyhow::Result<Vec<OutboxEntry>> {
    Ok(email::list(db, status, 500)
        .await?
        .into_iter()
        .map(|m| OutboxEntry {
            id: m.id,
            channel: m.channel,
            to: EmailAddress::from_trusted(&m.recipient).masked(),
            usage: m.usage,
            language: m.language,
            subject: m.subject,
            status: m.status,
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            locked_until: m.locked_until,
            expires_at: m.expires_at,
            last_error: m.last_error,
            created_at: m.created_at,
            sent_at: m.sent_at,
        })
        .collect())
}

/// Queues a failed, abandoned or waiting message again, due now; a running
/// instance sends it at its next look at the outbox.
pub async fn retry(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<RetryOutcome, RetryError> {
    email::retry(db, id, now).await
}

/// [`retry`] by an admin in the dashboard, audited with the admin's id.
pub async fn retry_as(
    db: &impl ConnectionTrait,
    admin: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<RetryOutcome, RetryError> {
    let outcome = retry(db, id, now).await?;
    audit::record_by_admin(
        db,
        now,
        admin,
        "admin.outbox.retried",
        None,
        None,
        serde_json::json!({ "outbox_id": id }),
    )
    .await;
    Ok(outcome)
}

/// Gives up a queued or failed message (an admin in the dashboard): no
/// worker sends it any more; audited with the admin's id.
pub async fn abandon_as(
    db: &impl ConnectionTrait,
    admin: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AbandonError> {
    email::abandon(db, id, now).await?;
    audit::record_by_admin(
        db,
        now,
        admin,
        "admin.outbox.abandoned",
        None,
        None,
        serde_json::json!({ "outbox_id": id }),
    )
    .await;
    Ok(())
}
