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
        pub user_agent: Option<String>,
        pub network: Option<String>,
        pub last_seen_at: Option<DateTimeUtc>,
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
    /// When the session was last used (updated at most every few minutes).
    pub last_seen_at: DateTime<Utc>,
}

/// Where a session was opened from, as the account page shows it: the
/// browser's user agent and the /24 (IPv4) or /48 (IPv6) network.
#[derive(Clone, Debug, Default)]
pub struct SessionOrigin {
    pub user_agent: Option<String>,
    pub network: Option<String>,
}

/// A live session as the account page lists it.
#[derive(Clone, Debug)]
pub struct ListedSession {
    pub sid: String,
    pub origin: SessionOrigin,
    pub signed_in_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
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
            last_seen_at: auth_time,
        }
    }

    /// The methods the user signed in with; `None` when a stored value
    /// names no method ferrid knows.
    pub fn methods(&self) -> Option<Vec<AuthMethod>> {
        AuthMethod::methods_of_amr(&self.amr)
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
            last_seen_at: m.last_seen_at.unwrap_or(m.created_at),
        })
    }
}

pub async fn insert(
    db: &impl ConnectionTrait,
    id_hash: String,
    session: &SsoSession,
    origin: &SessionOrigin,
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
        user_agent: Set(origin.user_agent.clone()),
        network: Set(origin.network.clone()),
        last_seen_at: Set(Some(now)),
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
    let found = super::first(
        Entity::find_by_id(id_hash.to_owned())
            .filter(Column::ExpiresAt.gt(now))
            .filter(Column::RevokedAt.is_null()),
        db,
    )
    .await?;
    Ok(found.map(SsoSession::try_from).transpose()?)
}

/// Like [`find_live`], and only while the session's user exists and is
/// not blocked: one statement for what every request with a session
/// cookie asks.
pub async fn find_live_of_active_user(
    db: &impl ConnectionTrait,
    id_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<SsoSession>, StoreError> {
    use super::users;
    use sea_orm::ExprTrait;
    use sea_orm::sea_query::Query;
    let active_user = Query::select()
        .expr(Expr::value(1))
        .from(users::Entity)
        .and_where(Expr::col((users::Entity, users::Column::Id)).equals((Entity, Column::UserId)))
        .and_where(Expr::col((users::Entity, users::Column::Blocked)).eq(false))
        .to_owned();
    let found = super::first(
        Entity::find_by_id(id_hash.to_owned())
            .filter(Column::ExpiresAt.gt(now))
            .filter(Column::RevokedAt.is_null())
            .filter(Expr::exists(active_user)),
        db,
    )
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

/// Ends the user's session `sid`; `false` when it is not a live session
/// of this user.
pub async fn update_revoked_for_user(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    sid: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let res = Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now))
        .filter(Column::Sid.eq(sid))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Records that the session was used, unless that was recorded after
/// `stale_before` already: one write every few minutes, not per request.
pub async fn update_last_seen(
    db: &impl ConnectionTrait,
    sid: &str,
    stale_before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use sea_orm::Condition;
    Entity::update_many()
        .col_expr(Column::LastSeenAt, Expr::value(now))
        .filter(Column::Sid.eq(sid))
        .filter(
            Condition::any()
                .add(Column::LastSeenAt.is_null())
                .add(Column::LastSeenAt.lt(stale_before)),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// The user proved a factor again: the session's `auth_time` is now.
pub async fn update_auth_time(
    db: &impl ConnectionTrait,
    sid: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    Entity::update_many()
        .col_expr(Column::AuthTime, Expr::value(now))
        .filter(Column::Sid.eq(sid))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The user's live sessions, newest first.
pub async fn list_live_for_user(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<ListedSession>, StoreError> {
    use sea_orm::QueryOrder;
    Ok(Entity::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::ExpiresAt.gt(now))
        .filter(Column::RevokedAt.is_null())
        .order_by_desc(Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|m| ListedSession {
            last_seen_at: m.last_seen_at.unwrap_or(m.created_at),
            sid: m.sid,
            origin: SessionOrigin {
                user_agent: m.user_agent,
                network: m.network,
            },
            signed_in_at: m.created_at,
        })
        .collect())
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
