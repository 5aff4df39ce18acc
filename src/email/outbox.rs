//! Writing mail to the outbox, and what the operator and dev mode see of it.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::RenderedEmail;
use crate::audit;
use crate::domain::{EmailAddress, EmailUsage, OutboxStatus};
use crate::store::outbox::{self as rows, NewOutboxMessage, OutboxMessage};
use crate::store::{ConnectionTrait, StoreError};

/// An email to queue.
#[derive(Clone, Debug)]
pub struct NewMail {
    pub to: EmailAddress,
    /// The user the mail is about, for the audit trail.
    pub user_id: Option<Uuid>,
    pub usage: EmailUsage,
    pub content: RenderedEmail,
    /// For mail that carries a code: when the code expires. Mail still
    /// undelivered then is abandoned, not sent late.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Why mail could not be queued: the database failed (the caller's
/// transaction should roll back with it).
#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    #[error("queueing an email failed: {0}")]
    Store(#[from] StoreError),
}

/// Writes the mail to the outbox through `conn`, normally the transaction
/// of the change it reports, so that the mail exists exactly when the
/// change does; records `notification.queued`. Returns the message id.
/// Nothing is sent here: wake the worker (`MailOutbox::wake`) after the
/// commit.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    mail: NewMail,
    now: DateTime<Utc>,
) -> Result<Uuid, EnqueueError> {
    let masked = mail.to.masked();
    let usage = mail.usage;
    let user_id = mail.user_id;
    let id = rows::insert(
        conn,
        NewOutboxMessage {
            recipient: mail.to.as_str().to_owned(),
            user_id: mail.user_id,
            usage: usage.as_str().to_owned(),
            language: mail.content.language,
            subject: mail.content.subject,
            body_text: mail.content.text,
            body_html: mail.content.html,
            expires_at: mail.expires_at,
        },
        now,
    )
    .await?;
    audit::record_for(
        conn,
        now,
        user_id,
        "notification.queued",
        Some(masked.clone()),
        serde_json::json!({
            "channel": rows::EMAIL_CHANNEL,
            "outbox_id": id,
            "to": masked,
            "usage": usage,
        }),
    )
    .await;
    Ok(id)
}

/// The newest messages first (at most `limit`), of one status when given.
pub async fn list(
    conn: &impl ConnectionTrait,
    status: Option<OutboxStatus>,
    limit: u64,
) -> Result<Vec<OutboxMessage>, StoreError> {
    rows::list_recent(conn, status, limit).await
}

/// What `retry` did.
#[derive(Debug, PartialEq, Eq)]
pub enum RetryOutcome {
    /// Queued again, due now, its attempts and age counted afresh.
    Queued,
}

/// Why a message cannot be retried.
#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    #[error("there is no message {0} in the outbox")]
    Unknown(Uuid),
    #[error("message {0} was already sent")]
    AlreadySent(Uuid),
    #[error("message {0} is being sent right now")]
    Sending(Uuid),
    #[error("message {0} carries a code that has expired; it is not sent again")]
    CodeExpired(Uuid),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Queues a failed, abandoned or waiting message again, due now.
pub async fn retry(
    conn: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<RetryOutcome, RetryError> {
    let message = rows::find_by_id(conn, id)
        .await?
        .ok_or(RetryError::Unknown(id))?;
    match message.status {
        OutboxStatus::Sent => return Err(RetryError::AlreadySent(id)),
        OutboxStatus::Sending => return Err(RetryError::Sending(id)),
        OutboxStatus::Queued | OutboxStatus::Failed | OutboxStatus::Abandoned => {}
    }
    if message.expires_at.is_some_and(|at| at <= now) {
        return Err(RetryError::CodeExpired(id));
    }
    let from = [
        OutboxStatus::Queued,
        OutboxStatus::Failed,
        OutboxStatus::Abandoned,
    ];
    if !rows::update_requeue(conn, id, &from, now).await? {
        // Taken by a worker between the read and the update.
        return Err(RetryError::Sending(id));
    }
    audit::record_for(
        conn,
        now,
        message.user_id,
        "notification.requeued",
        Some(EmailAddress::from_trusted(&message.recipient).masked()),
        serde_json::json!({
            "channel": message.channel,
            "outbox_id": id,
            "to": EmailAddress::from_trusted(&message.recipient).masked(),
            "previous_status": message.status,
        }),
    )
    .await;
    Ok(RetryOutcome::Queued)
}

/// Why a message cannot be abandoned.
#[derive(Debug, thiserror::Error)]
pub enum AbandonError {
    #[error("there is no message {0} in the outbox")]
    Unknown(Uuid),
    #[error("message {0} was already sent")]
    AlreadySent(Uuid),
    #[error("message {0} is being sent right now")]
    Sending(Uuid),
    #[error("message {0} was already given up")]
    AlreadyAbandoned(Uuid),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Gives up a queued or failed message: no worker sends it any more.
pub async fn abandon(
    conn: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AbandonError> {
    let message = rows::find_by_id(conn, id)
        .await?
        .ok_or(AbandonError::Unknown(id))?;
    match message.status {
        OutboxStatus::Sent => return Err(AbandonError::AlreadySent(id)),
        OutboxStatus::Sending => return Err(AbandonError::Sending(id)),
        OutboxStatus::Abandoned => return Err(AbandonError::AlreadyAbandoned(id)),
        OutboxStatus::Queued | OutboxStatus::Failed => {}
    }
    let from = [OutboxStatus::Queued, OutboxStatus::Failed];
    if !rows::update_abandon(conn, id, &from, "abandoned by an operator").await? {
        // Taken by a worker between the read and the update.
        return Err(AbandonError::Sending(id));
    }
    audit::record_for(
        conn,
        now,
        message.user_id,
        "notification.abandoned",
        Some(EmailAddress::from_trusted(&message.recipient).masked()),
        serde_json::json!({
            "channel": message.channel,
            "outbox_id": id,
            "to": EmailAddress::from_trusted(&message.recipient).masked(),
            "previous_status": message.status,
            "by": "operator",
        }),
    )
    .await;
    Ok(())
}

/// A message as dev mode lists it at `/dev/mail`: whole, address and body
/// included (dev mode only).
#[derive(Clone, Debug, serde::Serialize)]
pub struct DevMail {
    pub id: Uuid,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub usage: String,
    pub status: OutboxStatus,
    pub created_at: DateTime<Utc>,
}

/// The newest 100 emails, for `/dev/mail`.
pub async fn dev_mail(conn: &impl ConnectionTrait) -> Result<Vec<DevMail>, StoreError> {
    Ok(rows::list_recent(conn, None, 100)
        .await?
        .into_iter()
        .filter(|m| m.channel == rows::EMAIL_CHANNEL)
        .map(|m| DevMail {
            id: m.id,
            to: m.recipient,
            subject: m.subject,
            text: m.body_text,
            html: m.body_html,
            usage: m.usage,
            status: m.status,
            created_at: m.created_at,
        })
        .collect())
}
