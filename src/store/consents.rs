//! What users allowed third-party clients, remembered until revoked.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;

use super::{StoreError, from_json_list, to_json_list};

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
        pub claims: String,
        pub granted_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// What a user allowed a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Granted {
    pub scope: String,
    /// Claims allowed one by one (the `claims` parameter) beyond the scope's.
    pub claims: Vec<String>,
}

/// What the user allowed the client, if a consent stands.
pub async fn find_granted(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    client_id: &str,
) -> Result<Option<Granted>, StoreError> {
    let found = super::first(
        Entity::find_by_id((user_id, client_id.to_owned())).filter(Column::RevokedAt.is_null()),
        db,
    )
    .await?;
    Ok(match found {
        Some(m) => Some(Granted {
            claims: from_json_list(&m.claims)?,
            scope: m.scope,
        }),
        None => None,
    })
}

/// Records (or replaces) the user's consent for the client.
pub async fn upsert(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    client_id: &str,
    scope: &str,
    claims: &[String],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    Entity::insert(ActiveModel {
        user_id: Set(user_id),
        client_id: Set(client_id.to_owned()),
        scope: Set(scope.to_owned()),
        claims: Set(to_json_list(claims)),
        granted_at: Set(now),
        revoked_at: Set(None),
    })
    .on_conflict(
        OnConflict::columns([Column::UserId, Column::ClientId])
            .update_columns([
                Column::Scope,
                Column::Claims,
                Column::GrantedAt,
                Column::RevokedAt,
            ])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// A consent as the account page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserConsent {
    pub client_id: String,
    pub scope: String,
    pub granted_at: DateTime<Utc>,
}

/// The consents the user has not revoked, newest first.
pub async fn list_for_user(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<UserConsent>, StoreError> {
    use sea_orm::QueryOrder;
    Ok(Entity::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::RevokedAt.is_null())
        .order_by_desc(Column::GrantedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|m| UserConsent {
            client_id: m.client_id,
            scope: m.scope,
            granted_at: m.granted_at,
        })
        .collect())
}

/// Revokes the user's consent for the client; `false` when none stood.
pub async fn update_revoked(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    client_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let res = Entity::update_many()
        .col_expr(Column::RevokedAt, sea_orm::sea_query::Expr::value(now))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::ClientId.eq(client_id))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}
