//! The outbox: messages written in the transaction of the change they
//! report, and the state of their delivery. Workers on any instance claim
//! due messages with a lease; a claim is one statement (with `FOR UPDATE
//! SKIP LOCKED` on PostgreSQL), so no two workers hold one message.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{Condition, QueryOrder, QuerySelect};

use super::StoreError;
use crate::domain::OutboxStatus;

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub channel: String,
        pub recipient: String,
        pub user_id: Option<Uuid>,
        pub usage: String,
        pub language: String,
        pub subject: String,
        pub body_text: String,
        pub body_html: String,
        pub status: String,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub locked_until: Option<DateTimeUtc>,
        pub claim_token: Option<Uuid>,
        pub expires_at: Option<DateTimeUtc>,
        pub last_error: Option<String>,
        pub created_at: DateTimeUtc,
        pub queued_at: DateTimeUtc,
        pub sent_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity, Model};

/// The channel of every message today.
pub const EMAIL_CHANNEL: &str = "email";

/// A message to write.
#[derive(Clone, Debug)]
pub struct NewOutboxMessage {
    pub recipient: String,
    pub user_id: Option<Uuid>,
    pub usage: String,
    pub language: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// When the message stops being worth sending (the code in it expires).
    pub expires_at: Option<DateTime<Utc>>,
}

/// A message and the state of its delivery.
#[derive(Clone, Debug, serde::Serialize)]
pub struct OutboxMessage {
    pub id: Uuid,
    pub channel: String,
    pub recipient: String,
    pub user_id: Option<Uuid>,
    pub usage: String,
    pub language: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub status: OutboxStatus,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub queued_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl TryFrom<Model> for OutboxMessage {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        let status = m
            .status
            .parse()
            .map_err(|e: String| StoreError::Unexpected(anyhow::anyhow!(e)))?;
        Ok(Self {
            id: m.id,
            channel: m.channel,
            recipient: m.recipient,
            user_id: m.user_id,
            usage: m.usage,
            language: m.language,
            subject: m.subject,
            body_text: m.body_text,
            body_html: m.body_html,
            status,
            attempts: u32::try_from(m.attempts).unwrap_or(0),
            next_attempt_at: m.next_attempt_at,
            locked_until: m.locked_until,
            expires_at: m.expires_at,
            last_error: m.last_error,
            created_at: m.created_at,
            queued_at: m.queued_at,
            sent_at: m.sent_at,
        })
    }
}

/// Writes a queued message, due at once; its id.
pub async fn insert(
    db: &impl ConnectionTrait,
    message: NewOutboxMessage,
    now: DateTime<Utc>,
) -> Result<Uuid, StoreError> {
    let id = Uuid::new_v4();
    ActiveModel {
        id: Set(id),
        channel: Set(EMAIL_CHANNEL.to_owned()),
        recipient: Set(message.recipient),
        user_id: Set(message.user_id),
        usage: Set(message.usage),
        language: Set(message.language),
        subject: Set(message.subject),
        body_text: Set(message.body_text),
        body_html: Set(message.body_html),
        status: Set(OutboxStatus::Queued.as_str().to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        claim_token: Set(None),
        expires_at: Set(message.expires_at),
        last_error: Set(None),
        created_at: Set(now),
        queued_at: Set(now),
        sent_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// Messages taken by one claim, and the token that finishes them.
#[derive(Debug)]
pub struct Claimed {
    pub token: Uuid,
    pub messages: Vec<OutboxMessage>,
}

/// Takes up to `limit` due messages (queued and due, or sending with an
/// expired lease: their worker died), marks them `sending` until
/// `locked_until`, counts the attempt, and returns them. One statement:
/// on PostgreSQL the rows are chosen `FOR UPDATE SKIP LOCKED`, so that
/// concurrent claims on other instances skip them instead of waiting;
/// SQLite runs one writer at a time, so the conditional update is enough.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    locked_until: DateTime<Utc>,
    limit: u64,
) -> Result<Claimed, StoreError> {
    let token = Uuid::new_v4();
    let due = Condition::any()
        .add(
            Condition::all()
                .add(Column::Status.eq(OutboxStatus::Queued.as_str()))
                .add(Column::NextAttemptAt.lte(now)),
        )
        .add(
            Condition::all()
                .add(Column::Status.eq(OutboxStatus::Sending.as_str()))
                .add(Column::LockedUntil.lte(now)),
        );
    let mut candidates = Query::select();
    candidates
        .column(Column::Id)
        .from(Entity)
        .cond_where(due.clone())
        .order_by(Column::NextAttemptAt, sea_orm::Order::Asc)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(OutboxStatus::Sending.as_str()))
        .col_expr(Column::LockedUntil, Expr::value(locked_until))
        .col_expr(Column::ClaimToken, Expr::value(token))
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .filter(Column::Id.in_subquery(candidates))
        .filter(due)
        .exec(db)
        .await?;
    let messages = Entity::find()
        .filter(Column::ClaimToken.eq(token))
        .order_by_asc(Column::NextAttemptAt)
        .all(db)
        .await?
        .into_iter()
        .map(OutboxMessage::try_from)
        .collect::<Result<_, _>>()?;
    Ok(Claimed { token, messages })
}

/// How a claimed message ends (for now).
#[derive(Clone, Debug)]
pub enum Finish {
    /// Sent; with `Scrub::Bodies` the text and HTML parts are blanked (they
    /// may hold a code or a revert link, and are never sent again).
    Sent(Scrub),
    /// Queued again, due at the given time, with the error of this attempt.
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    Failed(String),
    Abandoned(String),
}

/// Whether a sent message keeps its bodies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scrub {
    Bodies,
    /// Dev mode: `/dev/mail` shows them.
    Keep,
}

/// Records how a claimed message ended, if the claim is still the
/// caller's (a worker slower than its lease lost the message to another);
/// whether it was.
pub async fn finish(
    db: &impl ConnectionTrait,
    id: Uuid,
    token: Uuid,
    finish: Finish,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mut update = Entity::update_many()
        .col_expr(
            Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(Column::ClaimToken, Expr::value(Option::<Uuid>::None));
    update = match finish {
        Finish::Sent(scrub) => {
            let update = update
                .col_expr(Column::Status, Expr::value(OutboxStatus::Sent.as_str()))
                .col_expr(Column::SentAt, Expr::value(now));
            match scrub {
                Scrub::Bodies => update
                    .col_expr(Column::BodyText, Expr::value(""))
                    .col_expr(Column::BodyHtml, Expr::value("")),
                Scrub::Keep => update,
            }
        }
        Finish::Retry { at, error } => update
            .col_expr(Column::Status, Expr::value(OutboxStatus::Queued.as_str()))
            .col_expr(Column::NextAttemptAt, Expr::value(at))
            .col_expr(Column::LastError, Expr::value(error)),
        Finish::Failed(error) => update
            .col_expr(Column::Status, Expr::value(OutboxStatus::Failed.as_str()))
            .col_expr(Column::LastError, Expr::value(error)),
        Finish::Abandoned(reason) => update
            .col_expr(
                Column::Status,
                Expr::value(OutboxStatus::Abandoned.as_str()),
            )
            .col_expr(Column::LastError, Expr::value(reason)),
    };
    let res = update
        .filter(Column::Id.eq(id))
        .filter(Column::ClaimToken.eq(token))
        .filter(Column::Status.eq(OutboxStatus::Sending.as_str()))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// One message.
pub async fn find_by_id(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<OutboxMessage>, StoreError> {
    super::first(Entity::find_by_id(id), db)
        .await?
        .map(OutboxMessage::try_from)
        .transpose()
}

/// The newest messages first, of one status when given.
pub async fn list_recent(
    db: &impl ConnectionTrait,
    status: Option<OutboxStatus>,
    limit: u64,
) -> Result<Vec<OutboxMessage>, StoreError> {
    let mut query = Entity::find();
    if let Some(status) = status {
        query = query.filter(Column::Status.eq(status.as_str()));
    }
    query
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(OutboxMessage::try_from)
        .collect()
}

/// Queues a message again, due now, with its attempts and age counted
/// afresh, if it is in one of `from`; whether it was.
pub async fn update_requeue(
    db: &impl ConnectionTrait,
    id: Uuid,
    from: &[OutboxStatus],
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let res = Entity::update_many()
        .col_expr(Column::Status, Expr::value(OutboxStatus::Queued.as_str()))
        .col_expr(Column::Attempts, Expr::value(0))
        .col_expr(Column::NextAttemptAt, Expr::value(now))
        .col_expr(Column::QueuedAt, Expr::value(now))
        .col_expr(
            Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(Column::ClaimToken, Expr::value(Option::<Uuid>::None))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.is_in(from.iter().map(|s| s.as_str())))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Gives a message up, with `reason` as its last error, if it is in one
/// of `from`; whether it was.
pub async fn update_abandon(
    db: &impl ConnectionTrait,
    id: Uuid,
    from: &[OutboxStatus],
    reason: &str,
) -> Result<bool, StoreError> {
    let res = Entity::update_many()
        .col_expr(
            Column::Status,
            Expr::value(OutboxStatus::Abandoned.as_str()),
        )
        .col_expr(Column::LastError, Expr::value(reason))
        .col_expr(
            Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(Column::ClaimToken, Expr::value(Option::<Uuid>::None))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.is_in(from.iter().map(|s| s.as_str())))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Deletes finished messages (sent, failed, abandoned) created before
/// `before`: their bodies may hold codes and links.
pub async fn delete_finished_before(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let res = Entity::delete_many()
        .filter(Column::Status.is_in([
            OutboxStatus::Sent.as_str(),
            OutboxStatus::Failed.as_str(),
            OutboxStatus::Abandoned.as_str(),
        ]))
        .filter(Column::CreatedAt.lt(before))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
