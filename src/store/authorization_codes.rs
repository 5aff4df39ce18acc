//! Authorization codes, stored as SHA-256 hashes, single use.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait, Func};

use super::{StoreError, from_json_list, to_json_list};

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "authorization_codes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code_hash: String,
        pub client_id: String,
        pub user_id: Uuid,
        pub sid: String,
        pub redirect_uri: String,
        pub scope: String,
        pub nonce: Option<String>,
        pub code_challenge: Option<String>,
        pub auth_time: DateTimeUtc,
        pub amr: String,
        pub acr: Option<String>,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub consumed_at: Option<DateTimeUtc>,
        pub access_token_jti: Option<String>,
        pub access_token_expires_at: Option<DateTimeUtc>,
        pub refresh_family_id: Option<Uuid>,
        pub id_token_claims: Option<String>,
        pub keep_until: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// An authorization code's grant: what the exchange will issue.
#[derive(Clone, Debug)]
pub struct CodeGrant {
    pub client_id: String,
    pub user_id: Uuid,
    pub sid: String,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    /// PKCE S256 challenge, base64url.
    pub code_challenge: Option<String>,
    pub auth_time: DateTime<Utc>,
    pub amr: Vec<String>,
    pub acr: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// Claims the `claims` parameter asked for in the ID token.
    pub id_token_claims: Vec<String>,
}

/// A stored code: its grant and what became of it.
#[derive(Clone, Debug)]
pub struct StoredCode {
    pub grant: CodeGrant,
    pub consumed_at: Option<DateTime<Utc>>,
    pub access_token_jti: Option<String>,
    pub access_token_expires_at: Option<DateTime<Utc>>,
    pub refresh_family_id: Option<Uuid>,
}

impl TryFrom<entity::Model> for StoredCode {
    type Error = anyhow::Error;
    fn try_from(m: entity::Model) -> anyhow::Result<Self> {
        Ok(Self {
            grant: CodeGrant {
                amr: from_json_list(&m.amr)?,
                client_id: m.client_id,
                user_id: m.user_id,
                sid: m.sid,
                redirect_uri: m.redirect_uri,
                scope: m.scope,
                nonce: m.nonce,
                code_challenge: m.code_challenge,
                auth_time: m.auth_time,
                acr: m.acr,
                expires_at: m.expires_at,
                id_token_claims: m
                    .id_token_claims
                    .as_deref()
                    .map(from_json_list)
                    .transpose()?
                    .unwrap_or_default(),
            },
            consumed_at: m.consumed_at,
            access_token_jti: m.access_token_jti,
            access_token_expires_at: m.access_token_expires_at,
            refresh_family_id: m.refresh_family_id,
        })
    }
}

pub async fn insert(
    db: &impl ConnectionTrait,
    code_hash: String,
    grant: &CodeGrant,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    Entity::insert(ActiveModel {
        code_hash: Set(code_hash),
        client_id: Set(grant.client_id.clone()),
        user_id: Set(grant.user_id),
        sid: Set(grant.sid.clone()),
        redirect_uri: Set(grant.redirect_uri.clone()),
        scope: Set(grant.scope.clone()),
        nonce: Set(grant.nonce.clone()),
        code_challenge: Set(grant.code_challenge.clone()),
        auth_time: Set(grant.auth_time),
        amr: Set(to_json_list(&grant.amr)),
        acr: Set(grant.acr.clone()),
        created_at: Set(now),
        expires_at: Set(grant.expires_at),
        consumed_at: Set(None),
        access_token_jti: Set(None),
        access_token_expires_at: Set(None),
        refresh_family_id: Set(None),
        id_token_claims: Set(Some(to_json_list(&grant.id_token_claims))),
        keep_until: Set(None),
    })
    // Without RETURNING, and on SQLite without the SELECT that `.insert()`
    // adds to read the row back: nothing of it is needed.
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn find_by_hash(
    db: &impl ConnectionTrait,
    code_hash: &str,
) -> Result<Option<StoredCode>, StoreError> {
    Ok(super::first(Entity::find_by_id(code_hash.to_owned()), db)
        .await?
        .map(StoredCode::try_from)
        .transpose()?)
}

/// The code, as [`find_by_hash`], with its user when the user still
/// exists, read by one statement (the exchange needs both).
pub async fn find_by_hash_with_user(
    db: &impl ConnectionTrait,
    code_hash: &str,
) -> Result<Option<(StoredCode, Option<super::users::User>)>, StoreError> {
    use super::users;
    use sea_orm::{JoinType, QuerySelect};
    let user_of_code = Entity::belongs_to(users::Entity)
        .from(Column::UserId)
        .to(users::Column::Id)
        .into();
    let Some((code, user)) = super::first_pair(
        Entity::find_by_id(code_hash.to_owned())
            .join(JoinType::LeftJoin, user_of_code)
            .select_also(users::Entity),
        db,
    )
    .await?
    else {
        return Ok(None);
    };
    Ok(Some((
        StoredCode::try_from(code)?,
        user.map(users::User::from),
    )))
}

/// What an exchange will issue, chosen before the code is marked used.
#[derive(Clone, Debug)]
pub struct Issued {
    pub access_token_jti: String,
    pub access_token_expires_at: DateTime<Utc>,
    pub refresh_family_id: Option<Uuid>,
    /// Until when a replay must still be recognised: the end of the refresh
    /// token family, else of the access token.
    pub keep_until: DateTime<Utc>,
}

/// Marks the code used and records, in the same statement, what the exchange
/// will issue, so that a replay racing the exchange finds it and can revoke
/// it (RFC 6749 §4.1.2); `false` when the code already was used.
pub async fn update_consumed(
    db: &impl ConnectionTrait,
    code_hash: &str,
    issued: &Issued,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let res = Entity::update_many()
        .col_expr(Column::ConsumedAt, Expr::value(now))
        .col_expr(
            Column::AccessTokenJti,
            Expr::value(issued.access_token_jti.clone()),
        )
        .col_expr(
            Column::AccessTokenExpiresAt,
            Expr::value(issued.access_token_expires_at),
        )
        .col_expr(
            Column::RefreshFamilyId,
            Expr::value(issued.refresh_family_id),
        )
        .col_expr(Column::KeepUntil, Expr::value(issued.keep_until))
        .filter(Column::CodeHash.eq(code_hash))
        .filter(Column::ConsumedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Deletes codes that expired before `before`, except a used code, kept until
/// what it issued has expired so that a replay still revokes it.
pub async fn delete_expired(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let res = Entity::delete_many()
        .filter(
            Expr::expr(Func::coalesce([
                Expr::col(Column::KeepUntil),
                Expr::col(Column::ExpiresAt),
            ]))
            .lt(before),
        )
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
