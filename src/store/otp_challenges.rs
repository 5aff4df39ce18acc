//! One-time-code challenges: only the HMAC of the code is kept.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::QueryOrder;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};

use super::StoreError;
use crate::domain::{EmailAddress, PhoneNumber, Recipient};

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "otp_challenges")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub purpose: String,
        pub phone_e164: Option<String>,
        pub email: Option<String>,
        pub user_id: Option<Uuid>,
        pub code_hmac: String,
        pub expires_at: DateTimeUtc,
        pub attempts: i32,
        pub max_attempts: i32,
        pub consumed_at: Option<DateTimeUtc>,
        pub send_count: i32,
        pub last_sent_at: DateTimeUtc,
        pub client_id: Option<String>,
        pub ip: Option<String>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::ActiveModel;
pub(super) use entity::{Column, Entity};

/// A challenge as stored.
#[derive(Clone, Debug)]
pub struct Challenge {
    pub id: Uuid,
    pub purpose: String,
    /// Where the code went; `None` for a row no recipient can be read from.
    pub recipient: Option<Recipient>,
    pub code_hmac: String,
    pub expires_at: DateTime<Utc>,
    pub attempts: u32,
    pub max_attempts: u32,
    pub consumed_at: Option<DateTime<Utc>>,
    pub send_count: u32,
    pub last_sent_at: DateTime<Utc>,
    pub client_id: Option<String>,
}

impl From<entity::Model> for Challenge {
    fn from(m: entity::Model) -> Self {
        Self {
            id: m.id,
            purpose: m.purpose,
            recipient: match (m.phone_e164.as_deref(), m.email.as_deref()) {
                (Some(p), _) => Some(Recipient::Phone(PhoneNumber::from_trusted_e164(p))),
                (None, Some(e)) => Some(Recipient::Email(EmailAddress::from_trusted(e))),
                (None, None) => None,
            },
            code_hmac: m.code_hmac,
            expires_at: m.expires_at,
            attempts: u32::try_from(m.attempts).unwrap_or(u32::MAX),
            max_attempts: u32::try_from(m.max_attempts).unwrap_or(0),
            consumed_at: m.consumed_at,
            send_count: u32::try_from(m.send_count).unwrap_or(u32::MAX),
            last_sent_at: m.last_sent_at,
            client_id: m.client_id,
        }
    }
}

/// The rows of this recipient.
fn recipient_is(recipient: &Recipient) -> sea_orm::sea_query::SimpleExpr {
    match recipient {
        Recipient::Phone(phone) => Column::PhoneE164.eq(phone.as_str()),
        Recipient::Email(email) => Column::Email.eq(email.as_str()),
    }
}

/// What a new challenge is made of.
#[derive(Clone, Debug)]
pub struct NewChallenge<'a> {
    pub id: Uuid,
    pub purpose: &'a str,
    pub recipient: &'a Recipient,
    pub code_hmac: String,
    pub expires_at: DateTime<Utc>,
    pub max_attempts: u32,
    pub client_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub now: DateTime<Utc>,
}

pub async fn insert(db: &impl ConnectionTrait, new: NewChallenge<'_>) -> Result<(), StoreError> {
    Entity::insert(ActiveModel {
        id: Set(new.id),
        purpose: Set(new.purpose.to_owned()),
        phone_e164: Set(new.recipient.phone().map(|p| p.as_str().to_owned())),
        email: Set(new.recipient.email().map(|e| e.as_str().to_owned())),
        user_id: Set(None),
        code_hmac: Set(new.code_hmac),
        expires_at: Set(new.expires_at),
        attempts: Set(0),
        max_attempts: Set(i32::try_from(new.max_attempts).unwrap_or(i32::MAX)),
        consumed_at: Set(None),
        send_count: Set(1),
        last_sent_at: Set(new.now),
        client_id: Set(new.client_id.map(str::to_owned)),
        ip: Set(new.ip.map(str::to_owned)),
        created_at: Set(new.now),
    })
    // Without RETURNING, and on SQLite without the SELECT that `.insert()`
    // adds to read the row back: nothing of it is needed.
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn find_by_id(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<Challenge>, StoreError> {
    Ok(super::first(Entity::find_by_id(id), db)
        .await?
        .map(Challenge::from))
}

/// Replaces the code of an unconsumed challenge (a resend): the old code
/// stops working, attempts start again.
pub async fn update_code(
    db: &impl ConnectionTrait,
    id: Uuid,
    code_hmac: String,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let res = Entity::update_many()
        .col_expr(Column::CodeHmac, Expr::value(code_hmac))
        .col_expr(Column::ExpiresAt, Expr::value(expires_at))
        .col_expr(Column::Attempts, Expr::value(0))
        .col_expr(Column::SendCount, Expr::col(Column::SendCount).add(1))
        .col_expr(Column::LastSentAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::ConsumedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Ends every other open challenge of the recipient for the client
/// (whatever its purpose): a new code replaces the older ones.
pub async fn update_expire_others(
    db: &impl ConnectionTrait,
    recipient: &Recipient,
    client_id: Option<&str>,
    keep: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let mut update = Entity::update_many()
        .col_expr(Column::ExpiresAt, Expr::value(now))
        .filter(recipient_is(recipient))
        .filter(Column::Id.ne(keep))
        .filter(Column::ConsumedAt.is_null())
        .filter(Column::ExpiresAt.gt(now));
    update = match client_id {
        Some(client_id) => update.filter(Column::ClientId.eq(client_id)),
        None => update.filter(Column::ClientId.is_null()),
    };
    Ok(update.exec(db).await?.rows_affected)
}

/// Counts an attempt on a challenge that is still open and has attempts
/// left and, with `used_at`, marks it used in the same statement; `false`
/// when no attempt was left or the challenge was already used.
pub async fn update_attempt(
    db: &impl ConnectionTrait,
    id: Uuid,
    used_at: Option<DateTime<Utc>>,
) -> Result<bool, StoreError> {
    let mut update =
        Entity::update_many().col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1));
    if let Some(at) = used_at {
        update = update.col_expr(Column::ConsumedAt, Expr::value(at));
    }
    let res = update
        .filter(Column::Id.eq(id))
        .filter(Column::ConsumedAt.is_null())
        .filter(Expr::col(Column::Attempts).lt(Expr::col(Column::MaxAttempts)))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// The newest unused challenge for this purpose, recipient and client:
/// the one the passwordless OTP grant checks.
pub async fn find_latest_open(
    db: &impl ConnectionTrait,
    purpose: &str,
    recipient: &Recipient,
    client_id: &str,
) -> Result<Option<Challenge>, StoreError> {
    let found = super::first(
        Entity::find()
            .filter(Column::Purpose.eq(purpose))
            .filter(recipient_is(recipient))
            .filter(Column::ClientId.eq(client_id))
            .filter(Column::ConsumedAt.is_null())
            .order_by_desc(Column::LastSentAt),
        db,
    )
    .await?;
    Ok(found.map(Challenge::from))
}

/// Deletes challenges that expired before `before`.
pub async fn delete_expired(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let res = Entity::delete_many()
        .filter(Column::ExpiresAt.lt(before))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
