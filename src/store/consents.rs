//! What users allowed third-party clients, remembered until revoked.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;

use super::StoreError;

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "consents")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub client_id: String,
        pub scope: String,
        pub granted_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// The scope the user allowed the client, if a consent stands.
pub async fn find_granted_scope(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    client_id: &str,
) -> Result<Option<String>, StoreError> {
    let found = Entity::find_by_id((user_id, client_id.to_owned()))
        .filter(Column::RevokedAt.is_null())
        .one(db)
        .await?;
    Ok(found.map(|m| m.scope))
}

/// Records (or replaces) the user's consent for the client.
pub async fn upsert(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    client_id: &str,
    scope: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    Entity::insert(ActiveModel {
        user_id: Set(user_id),
        client_id: Set(client_id.to_owned()),
        scope: Set(scope.to_owned()),
        granted_at: Set(now),
        revoked_at: Set(None),
    })
    .on_conflict(
        OnConflict::columns([Column::UserId, Column::ClientId])
            .update_columns([Column::Scope, Column::GrantedAt, Column::RevokedAt])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}
