//! Single-use recovery codes: the HMAC of each code (see
//! `crypto::totp::recovery_code_hash`), when it was made and used.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{PaginatorTrait, QueryOrder};

use super::StoreError;

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "recovery_codes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub code_hash: String,
        pub created_at: DateTimeUtc,
        pub used_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// A recovery code not used yet.
#[derive(Clone, Debug)]
pub struct UnusedCode {
    pub id: Uuid,
    pub code_hash: String,
}

/// Stores a new set of codes for the user in place of the old one.
pub async fn replace_for_user(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    hashes: Vec<String>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    delete_for_user(db, user_id).await?;
    if hashes.is_empty() {
        return Ok(());
    }
    Entity::insert_many(hashes.into_iter().map(|code_hash| ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user_id),
        code_hash: Set(code_hash),
        created_at: Set(now),
        used_at: Set(None),
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Deletes every code of the user; how many.
pub async fn delete_for_user(db: &impl ConnectionTrait, user_id: Uuid) -> Result<u64, StoreError> {
    let res = Entity::delete_many()
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// The user's codes not used yet.
pub async fn list_unused(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<UnusedCode>, StoreError> {
    Ok(Entity::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::UsedAt.is_null())
        .order_by_asc(Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|m| UnusedCode {
            id: m.id,
            code_hash: m.code_hash,
        })
        .collect())
}

/// How many of the user's codes are left.
pub async fn count_unused(db: &impl ConnectionTrait, user_id: Uuid) -> Result<u64, StoreError> {
    Ok(Entity::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::UsedAt.is_null())
        .count(db)
        .await?)
}

/// Marks an unused code used; `false` when it was used already (of two
/// uses at once, one wins).
pub async fn update_used(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let res = Entity::update_many()
        .col_expr(Column::UsedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}
