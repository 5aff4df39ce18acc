//! A change asked for on the account page that waits for a code, one per
//! SSO session: the action (JSON) and the challenge its code checks against.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;

use super::StoreError;

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "account_actions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub sid: String,
        pub user_id: Uuid,
        pub action: String,
        pub challenge_id: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// A stored pending action.
#[derive(Clone, Debug)]
pub struct StoredAction {
    pub user_id: Uuid,
    /// The action, as JSON.
    pub action: String,
    pub challenge_id: Option<Uuid>,
}

/// Stores the session's pending action, replacing any other.
pub async fn upsert(
    db: &impl ConnectionTrait,
    sid: &str,
    user_id: Uuid,
    action: String,
    challenge_id: Option<Uuid>,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    Entity::insert(ActiveModel {
        sid: Set(sid.to_owned()),
        user_id: Set(user_id),
        action: Set(action),
        challenge_id: Set(challenge_id),
        created_at: Set(now),
        expires_at: Set(expires_at),
    })
    .on_conflict(
        OnConflict::column(Column::Sid)
            .update_columns([
                Column::UserId,
                Column::Action,
                Column::ChallengeId,
                Column::CreatedAt,
                Column::ExpiresAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The session's pending action, if it has not expired.
pub async fn find_live(
    db: &impl ConnectionTrait,
    sid: &str,
    now: DateTime<Utc>,
) -> Result<Option<StoredAction>, StoreError> {
    Ok(super::first(
        Entity::find_by_id(sid.to_owned()).filter(Column::ExpiresAt.gt(now)),
        db,
    )
    .await?
    .map(|m| StoredAction {
        user_id: m.user_id,
        action: m.action,
        challenge_id: m.challenge_id,
    }))
}

pub async fn delete(db: &impl ConnectionTrait, sid: &str) -> Result<(), StoreError> {
    Entity::delete_by_id(sid.to_owned()).exec(db).await?;
    Ok(())
}

/// Deletes actions that expired before `before`.
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
