//! Pending authorization requests while the user signs in. The browser
//! carries only an opaque id; its SHA-256 is the key.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;

use super::StoreError;
use crate::domain::PhoneNumber;

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "login_transactions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id_hash: String,
        pub client_id: String,
        pub redirect_uri: String,
        pub request: String,
        pub challenge_id: Option<Uuid>,
        pub phone_e164: Option<String>,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// A stored login transaction; `request` is the serialized authorization request.
#[derive(Clone, Debug)]
pub struct StoredTransaction {
    pub id_hash: String,
    pub request: String,
    pub challenge_id: Option<Uuid>,
    pub phone: Option<PhoneNumber>,
    pub expires_at: DateTime<Utc>,
}

impl From<entity::Model> for StoredTransaction {
    fn from(m: entity::Model) -> Self {
        Self {
            id_hash: m.id_hash,
            request: m.request,
            challenge_id: m.challenge_id,
            phone: m.phone_e164.as_deref().map(PhoneNumber::from_trusted_e164),
            expires_at: m.expires_at,
        }
    }
}

pub async fn insert(
    db: &impl ConnectionTrait,
    id_hash: String,
    client_id: &str,
    redirect_uri: &str,
    request: String,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    ActiveModel {
        id_hash: Set(id_hash),
        client_id: Set(client_id.to_owned()),
        redirect_uri: Set(redirect_uri.to_owned()),
        request: Set(request),
        challenge_id: Set(None),
        phone_e164: Set(None),
        created_at: Set(now),
        expires_at: Set(expires_at),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The transaction, if it exists and has not expired.
pub async fn find_live(
    db: &impl ConnectionTrait,
    id_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<StoredTransaction>, StoreError> {
    let found = Entity::find_by_id(id_hash.to_owned())
        .filter(Column::ExpiresAt.gt(now))
        .one(db)
        .await?;
    Ok(found.map(StoredTransaction::from))
}

/// Attaches (or, with `None`, detaches) the OTP challenge and phone number.
pub async fn update_challenge(
    db: &impl ConnectionTrait,
    id_hash: &str,
    challenge: Option<(Uuid, &PhoneNumber)>,
) -> Result<(), StoreError> {
    Entity::update_many()
        .col_expr(
            Column::ChallengeId,
            Expr::value(challenge.map(|(id, _)| id)),
        )
        .col_expr(
            Column::PhoneE164,
            Expr::value(challenge.map(|(_, phone)| phone.as_str().to_owned())),
        )
        .filter(Column::IdHash.eq(id_hash))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete(db: &impl ConnectionTrait, id_hash: &str) -> Result<(), StoreError> {
    Entity::delete_by_id(id_hash.to_owned()).exec(db).await?;
    Ok(())
}

/// Deletes sign-ins that expired before `before`.
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
