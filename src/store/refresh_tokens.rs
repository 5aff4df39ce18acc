//! Refresh tokens: opaque, stored as SHA-256, rotated on every use, grouped
//! in families so that a replayed token can revoke all of its line.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait, Func};

use super::{StoreError, from_json_list, to_json_list};

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "refresh_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        pub family_id: Uuid,
        pub parent_hash: Option<String>,
        pub client_id: String,
        pub user_id: Uuid,
        pub sid: Option<String>,
        pub scope: String,
        pub auth_time: DateTimeUtc,
        pub amr: String,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub rotated_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
        pub family_expires_at: Option<DateTimeUtc>,
        pub access_token_jti: Option<String>,
        pub access_token_expires_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// A refresh token's grant and state.
#[derive(Clone, Debug)]
pub struct RefreshToken {
    pub family_id: Uuid,
    pub client_id: String,
    pub user_id: Uuid,
    pub sid: Option<String>,
    pub scope: String,
    pub auth_time: DateTime<Utc>,
    pub amr: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub family_expires_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The access token issued with this refresh token, and when it expires.
    pub access_token: Option<(String, DateTime<Utc>)>,
}

impl TryFrom<entity::Model> for RefreshToken {
    type Error = anyhow::Error;
    fn try_from(m: entity::Model) -> anyhow::Result<Self> {
        Ok(Self {
            amr: from_json_list(&m.amr)?,
            family_id: m.family_id,
            client_id: m.client_id,
            user_id: m.user_id,
            sid: m.sid,
            scope: m.scope,
            auth_time: m.auth_time,
            created_at: m.created_at,
            expires_at: m.expires_at,
            family_expires_at: m.family_expires_at.unwrap_or(m.expires_at),
            rotated_at: m.rotated_at,
            revoked_at: m.revoked_at,
            access_token: m.access_token_jti.zip(m.access_token_expires_at),
        })
    }
}

/// Stores a new token; `parent_hash` names the token it replaced.
pub async fn insert(
    db: &impl ConnectionTrait,
    token_hash: String,
    parent_hash: Option<String>,
    token: &RefreshToken,
) -> Result<(), StoreError> {
    ActiveModel {
        token_hash: Set(token_hash),
        family_id: Set(token.family_id),
        parent_hash: Set(parent_hash),
        client_id: Set(token.client_id.clone()),
        user_id: Set(token.user_id),
        sid: Set(token.sid.clone()),
        scope: Set(token.scope.clone()),
        auth_time: Set(token.auth_time),
        amr: Set(to_json_list(&token.amr)),
        created_at: Set(token.created_at),
        expires_at: Set(token.expires_at),
        rotated_at: Set(None),
        revoked_at: Set(None),
        family_expires_at: Set(Some(token.family_expires_at)),
        access_token_jti: Set(token.access_token.as_ref().map(|(jti, _)| jti.clone())),
        access_token_expires_at: Set(token.access_token.as_ref().map(|(_, exp)| *exp)),
    }
    .insert(db)
    .await?;
    Ok(())
}

pub async fn find_by_hash(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<RefreshToken>, StoreError> {
    Ok(super::first(Entity::find_by_id(token_hash.to_owned()), db)
        .await?
        .map(RefreshToken::try_from)
        .transpose()?)
}

/// Marks a live token rotated; `false` when it already was, or was revoked.
pub async fn update_rotated(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let res = Entity::update_many()
        .col_expr(Column::RotatedAt, Expr::value(now))
        .filter(Column::TokenHash.eq(token_hash))
        .filter(Column::RotatedAt.is_null())
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Revokes every token of a family.
pub async fn update_revoke_family(
    db: &impl ConnectionTrait,
    family_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now))
        .filter(Column::FamilyId.eq(family_id))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The access tokens issued with a family's refresh tokens that have not
/// expired yet, with their expiry.
pub async fn list_live_access_tokens(
    db: &impl ConnectionTrait,
    family_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
    Ok(Entity::find()
        .filter(Column::FamilyId.eq(family_id))
        .filter(Column::AccessTokenExpiresAt.gt(now))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|m| m.access_token_jti.zip(m.access_token_expires_at))
        .collect())
}

/// Deletes refresh tokens whose family ended before `before`. A rotated or
/// expired token is kept until then as a tombstone: presenting it again is
/// still recognised as reuse and revokes the family (OAuth 2.0 Security BCP
/// §4.14.2), which forgetting it would not.
pub async fn delete_expired(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let res = Entity::delete_many()
        .filter(
            Expr::expr(Func::coalesce([
                Expr::col(Column::FamilyExpiresAt),
                Expr::col(Column::ExpiresAt),
            ]))
            .lt(before),
        )
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// The live families issued under an SSO session that a browser logout
/// ends: every family except `offline_access` ones, which outlive the
/// browser session (OIDC Core §11) unless they belong to `logging_out`,
/// the client that asked for the logout.
pub async fn list_families_ending_at_logout(
    db: &impl ConnectionTrait,
    sid: &str,
    logging_out: Option<&str>,
) -> Result<Vec<Uuid>, StoreError> {
    use sea_orm::{Condition, QuerySelect};
    // Scope values are ferrid's own tokens, space-separated: the substring
    // names exactly the offline_access scope.
    let mut ends = Condition::any().add(Column::Scope.not_like("%offline_access%"));
    if let Some(client_id) = logging_out {
        ends = ends.add(Column::ClientId.eq(client_id));
    }
    Ok(Entity::find()
        .select_only()
        .column(Column::FamilyId)
        .distinct()
        .filter(Column::Sid.eq(sid))
        .filter(Column::RevokedAt.is_null())
        .filter(ends)
        .into_tuple::<Uuid>()
        .all(db)
        .await?)
}

/// The user's families with a live token, of one client or of all.
pub async fn list_live_families_for_user(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    client_id: Option<&str>,
) -> Result<Vec<Uuid>, StoreError> {
    use sea_orm::QuerySelect;
    let mut query = Entity::find()
        .select_only()
        .column(Column::FamilyId)
        .distinct()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::RevokedAt.is_null());
    if let Some(client_id) = client_id {
        query = query.filter(Column::ClientId.eq(client_id));
    }
    Ok(query.into_tuple::<Uuid>().all(db).await?)
}
