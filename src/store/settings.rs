//! Settings kept in the database (the SMS connection, …), as JSON by key.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;

use super::StoreError;

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub value: String,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::ActiveModel;
pub(super) use entity::{Column, Entity};

/// A stored setting and when it last changed.
#[derive(Clone, Debug)]
pub struct StoredSetting {
    pub value: String,
    pub updated_at: DateTime<Utc>,
}

pub async fn find(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<StoredSetting>, StoreError> {
    Ok(super::first(Entity::find_by_id(key.to_owned()), db)
        .await?
        .map(|m| StoredSetting {
            value: m.value,
            updated_at: m.updated_at,
        }))
}

/// Like [`find`], locking the row inside the caller's transaction
/// (PostgreSQL; SQLite's write transaction already holds the database):
/// `Exclusive` before changing it, `Shared` to hold it still while acting
/// on its value.
pub async fn find_locked(
    db: &impl ConnectionTrait,
    key: &str,
    lock: RowLock,
) -> Result<Option<StoredSetting>, StoreError> {
    use sea_orm::QuerySelect;
    let query = Entity::find_by_id(key.to_owned());
    let query = match lock {
        RowLock::Exclusive => query.lock_exclusive(),
        RowLock::Shared => query.lock_shared(),
    };
    Ok(super::first(query, db).await?.map(|m| StoredSetting {
        value: m.value,
        updated_at: m.updated_at,
    }))
}

/// How [`find_locked`] locks the row it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowLock {
    /// `FOR UPDATE`: others wait to read it locked, or to change it.
    Exclusive,
    /// `FOR SHARE`: others may read it, but not change it.
    Shared,
}

/// Writes the setting, replacing any previous value.
pub async fn upsert(
    db: &impl ConnectionTrait,
    key: &str,
    value: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    Entity::insert(ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value.to_owned()),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(Column::Key)
            .update_columns([Column::Value, Column::UpdatedAt])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// Writes the setting only if none exists; whether it was written.
pub async fn insert_if_missing(
    db: &impl ConnectionTrait,
    key: &str,
    value: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let res = Entity::insert(ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value.to_owned()),
        updated_at: Set(now),
    })
    .on_conflict(OnConflict::column(Column::Key).do_nothing().to_owned())
    .exec_without_returning(db)
    .await?;
    Ok(res > 0)
}
