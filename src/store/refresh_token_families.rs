//! Refresh token families: one row per line of rotated tokens. Rotation and
//! revocation both take the row's lock (a conditional UPDATE), so that they
//! are ordered: a rotation either commits its child before the family is
//! revoked (and the revocation then sees the child) or finds it revoked.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, OnConflict};

use super::StoreError;

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "refresh_token_families")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub family_id: Uuid,
        pub created_at: DateTimeUtc,
        pub last_used_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// Starts a family that lives until `expires_at` (the absolute end of its tokens).
pub async fn insert(
    db: &impl ConnectionTrait,
    family_id: Uuid,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    ActiveModel {
        family_id: Set(family_id),
        created_at: Set(now),
        last_used_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Locks a live family for a rotation (the lock is held until the
/// transaction ends); `false` when it is revoked or unknown.
pub async fn update_used_if_live(
    db: &impl ConnectionTrait,
    family_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let res = Entity::update_many()
        .col_expr(Column::LastUsedAt, Expr::value(now))
        .filter(Column::FamilyId.eq(family_id))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Marks a family revoked, creating its row if it has none yet, and holds
/// its lock until the transaction ends.
pub async fn upsert_revoked(
    db: &impl ConnectionTrait,
    family_id: Uuid,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    Entity::insert(ActiveModel {
        family_id: Set(family_id),
        created_at: Set(now),
        last_used_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(Some(now)),
    })
    .on_conflict(
        OnConflict::column(Column::FamilyId)
            .update_column(Column::RevokedAt)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Deletes families past their absolute end (their tokens go with them).
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
