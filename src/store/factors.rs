//! Second factors with a secret: authenticator apps. The secret is stored
//! sealed (AES-256-GCM under the master key); a factor is pending until its
//! first valid code, and remembers the last time step it accepted.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Condition, Expr, ExprTrait};

use super::StoreError;

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "factors")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub kind: String,
        pub secret_enc: String,
        pub created_at: DateTimeUtc,
        pub verified_at: Option<DateTimeUtc>,
        pub last_used_step: Option<i64>,
        pub last_used_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity, Model};

/// The kind of an authenticator-app factor, as stored.
pub const TOTP: &str = "totp";

/// A stored factor (its secret still sealed).
#[derive(Clone, Debug)]
pub struct StoredFactor {
    pub id: Uuid,
    pub user_id: Uuid,
    pub secret_enc: String,
    pub created_at: DateTime<Utc>,
    /// `None` while the enrollment waits for its first code.
    pub verified_at: Option<DateTime<Utc>>,
    pub last_used_step: Option<i64>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<Model> for StoredFactor {
    fn from(m: Model) -> Self {
        Self {
            id: m.id,
            user_id: m.user_id,
            secret_enc: m.secret_enc,
            created_at: m.created_at,
            verified_at: m.verified_at,
            last_used_step: m.last_used_step,
            last_used_at: m.last_used_at,
        }
    }
}

/// The user's factor of `kind`, pending or verified.
pub async fn find_by_user(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    kind: &str,
) -> Result<Option<StoredFactor>, StoreError> {
    Ok(super::first(
        Entity::find()
            .filter(Column::UserId.eq(user_id))
            .filter(Column::Kind.eq(kind)),
        db,
    )
    .await?
    .map(StoredFactor::from))
}

/// Stores a pending factor; [`StoreError::Conflict`] when the user has one
/// of this kind already.
pub async fn insert_pending(
    db: &impl ConnectionTrait,
    id: Uuid,
    user_id: Uuid,
    kind: &str,
    secret_enc: String,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    Entity::insert(ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        kind: Set(kind.to_owned()),
        secret_enc: Set(secret_enc),
        created_at: Set(now),
        verified_at: Set(None),
        last_used_step: Set(None),
        last_used_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Deletes the user's pending factor of `kind`, if any.
pub async fn delete_pending(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    kind: &str,
) -> Result<u64, StoreError> {
    let res = Entity::delete_many()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Kind.eq(kind))
        .filter(Column::VerifiedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Deletes the user's factor of `kind`, pending or verified; how many.
pub async fn delete_for_user(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    kind: &str,
) -> Result<u64, StoreError> {
    let res = Entity::delete_many()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Kind.eq(kind))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Accepts the code of time step `step` for factor `id`: records the step
/// (and verifies a pending factor) only if it is later than the last one
/// accepted. `false` when it is not (a replay, or a concurrent request
/// that accepted it first): one conditional update, so of two submissions
/// of the same code at once exactly one succeeds.
pub async fn update_used_step(
    db: &impl ConnectionTrait,
    id: Uuid,
    step: i64,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let res = Entity::update_many()
        .col_expr(Column::LastUsedStep, Expr::value(step))
        .col_expr(Column::LastUsedAt, Expr::value(now))
        .col_expr(
            Column::VerifiedAt,
            Expr::col(Column::VerifiedAt).if_null(now),
        )
        .filter(Column::Id.eq(id))
        .filter(
            Condition::any()
                .add(Column::LastUsedStep.is_null())
                .add(Column::LastUsedStep.lt(step)),
        )
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}
