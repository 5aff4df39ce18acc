//! Single sign-on sessions: the cookie holds an opaque value, the row its SHA-256.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;

use super::{StoreError, from_json_list, to_json_list};
use crate::domain::AuthMethod;

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sso_sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id_hash: String,
        #[sea_orm(unique)]
        pub sid: String,
        pub user_id: Uuid,
        pub auth_time: DateTimeUtc,
        pub amr: String,
        pub acr: Option<String>,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// A signed-in browser.
#[derive(Clone, Debug)]
pub struct SsoSession {
    pub sid: String,
    pub user_id: Uuid,
    pub auth_time: DateTime<Utc>,
    /// The `amr` values of the methods used, as the tokens carry them;
    /// written only from [`AuthMethod`]s (see [`SsoSession::new`]).
    pub amr: Vec<String>,
    pub acr: Option<String>,
    pub expires_at: DateTime<Utc>,
}

impl SsoSession {
    /// A session opened by signing in with these methods: its `amr` and
    /// `acr` come from them.
    pub fn new(
        sid: String,
        user_id: Uuid,
        auth_time: DateTime<Utc>,
        methods: &[AuthMethod],
        expires_at: DateTime<Utc>,
    ) -> Self {
        Self {
            sid,
            user_id,
            auth_time,
            amr: AuthMethod::amr_values(methods),
            acr: AuthMethod::acr_of(methods).map(str::to_owned),
            expires_at,
        }
    }

    /// The methods the user signed in with; `None` when a stored value
    /// names no method ferrid knows.
    pub fn methods(&self) -> Option<Vec<AuthMethod>> {
        self.amr.iter().map(|v| AuthMethod::from_amr(v)).collect()
    }
}

impl TryFrom<entity::Model> for SsoSession {
    type Error = anyhow::Error;
    fn try_from(m: entity::Model) -> anyhow::Result<Self> {
        Ok(Self {
            amr: from_json_list(&m.amr)?,
            sid: m.sid,
            user_id: m.user_id,
            auth_time: m.auth_time,
            acr: m.acr,
            expires_at: m.expires_at,
        })
    }
}

pub async fn insert(
    db: &impl ConnectionTrait,
    id_hash: String,
    session: &SsoSession,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    Entity::insert(ActiveModel {
        id_hash: Set(id_hash),
        sid: Set(session.sid.clone()),
        user_id: Set(session.user_id),
        auth_time: Set(session.auth_time),
        amr: Set(to_json_list(&session.amr)),
        acr: Set(session.acr.clone()),
        created_at: Set(now),
        expires_at: Set(session.expires_at),
        revoked_at: Set(None),
    })
    // Without RETURNING, and on SQLite without the SELECT that `.insert()`
    // adds to read the row back: nothing of it is needed.
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The session, if it is neither expired nor revoked.
pub async fn find_live(
    db: &impl ConnectionTrait,
    id_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<SsoSession>, StoreError> {
    let found = Entity::find_by_id(id_hash.to_owned())
        .filter(Column::ExpiresAt.gt(now))
        .filter(Column::RevokedAt.is_null())
        .one(db)
        .await?;
    Ok(found.map(SsoSession::try_from).transpose()?)
}

/// Ends a session by its public id.
pub async fn update_revoked_by_sid(
    db: &impl ConnectionTrait,
    sid: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now))
        .filter(Column::Sid.eq(sid))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes sessions that expired before `before`.
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
