//! The audit log: what happened, to whom, from where. Never codes or secrets;
//! phone numbers only masked.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect};

use super::StoreError;

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub at: DateTimeUtc,
        pub kind: String,
        pub actor: Option<String>,
        pub subject: Option<String>,
        pub client_id: Option<String>,
        pub ip: Option<String>,
        pub details: String,
        pub user_id: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// An event to record.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AuditEvent {
    pub kind: String,
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    pub details: serde_json::Value,
    pub at: DateTime<Utc>,
    /// The user the event is about, when there is one: their activity page lists it.
    pub user_id: Option<Uuid>,
}

pub async fn insert(db: &impl ConnectionTrait, event: &AuditEvent) -> Result<(), StoreError> {
    Entity::insert(ActiveModel {
        id: Set(Uuid::new_v4()),
        at: Set(event.at),
        kind: Set(event.kind.clone()),
        actor: Set(event.actor.clone()),
        subject: Set(event.subject.clone()),
        client_id: Set(event.client_id.clone()),
        ip: Set(event.ip.clone()),
        details: Set(event.details.to_string()),
        user_id: Set(event.user_id),
    })
    // Without RETURNING, and on SQLite without the SELECT that `.insert()`
    // adds to read the row back: nothing of it is needed.
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The newest events first, optionally of one kind.
pub async fn list_recent(
    db: &impl ConnectionTrait,
    kind: Option<&str>,
    limit: u64,
) -> Result<Vec<AuditEvent>, StoreError> {
    let mut query = Entity::find().order_by_desc(Column::At).limit(limit);
    if let Some(kind) = kind {
        query = query.filter(Column::Kind.eq(kind));
    }
    Ok(query
        .all(db)
        .await?
        .into_iter()
        .map(|m| AuditEvent {
            details: serde_json::from_str(&m.details).unwrap_or(serde_json::Value::Null),
            kind: m.kind,
            actor: m.actor,
            subject: m.subject,
            client_id: m.client_id,
            ip: m.ip,
            at: m.at,
            user_id: m.user_id,
        })
        .collect())
}

/// Events of the given kinds recorded since `since`, oldest first.
pub async fn list_since(
    db: &impl ConnectionTrait,
    kinds: &[&str],
    since: DateTime<Utc>,
) -> Result<Vec<AuditEvent>, StoreError> {
    Ok(Entity::find()
        .filter(Column::Kind.is_in(kinds.iter().copied()))
        .filter(Column::At.gte(since))
        .order_by_asc(Column::At)
        .all(db)
        .await?
        .into_iter()
        .map(|m| AuditEvent {
            details: serde_json::from_str(&m.details).unwrap_or(serde_json::Value::Null),
            kind: m.kind,
            actor: m.actor,
            subject: m.subject,
            client_id: m.client_id,
            ip: m.ip,
            at: m.at,
            user_id: m.user_id,
        })
        .collect())
}

/// The user's own events since `since`, newest first.
pub async fn list_for_user(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    since: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<AuditEvent>, StoreError> {
    Ok(Entity::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::At.gte(since))
        .order_by_desc(Column::At)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|m| AuditEvent {
            details: serde_json::from_str(&m.details).unwrap_or(serde_json::Value::Null),
            kind: m.kind,
            actor: m.actor,
            subject: m.subject,
            client_id: m.client_id,
            ip: m.ip,
            at: m.at,
            user_id: m.user_id,
        })
        .collect())
}

/// How many events of `kind` the user has had since `since`.
pub async fn count_for_user(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    kind: &str,
    since: DateTime<Utc>,
) -> Result<u64, StoreError> {
    use sea_orm::PaginatorTrait;
    Ok(Entity::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Kind.eq(kind))
        .filter(Column::At.gte(since))
        .count(db)
        .await?)
}

/// A recorded event and its id.
#[derive(Clone, Debug)]
pub struct StoredEvent {
    pub id: Uuid,
    pub event: AuditEvent,
}

/// What a page of events is narrowed to.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub user_id: Option<Uuid>,
    pub kind: Option<String>,
    pub since: Option<DateTime<Utc>>,
    /// Only events strictly before this time.
    pub until: Option<DateTime<Utc>>,
    pub client_id: Option<String>,
}

/// Up to `limit` events matching `filter`, newest first, older than the
/// event `before` (`at`, `id`: the last of the previous page).
pub async fn list_page(
    db: &impl ConnectionTrait,
    filter: &EventFilter,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: u64,
) -> Result<Vec<StoredEvent>, StoreError> {
    use sea_orm::Condition;
    let mut query = Entity::find()
        .order_by_desc(Column::At)
        .order_by_desc(Column::Id)
        .limit(limit);
    if let Some((at, id)) = before {
        query = query.filter(
            Condition::any().add(Column::At.lt(at)).add(
                Condition::all()
                    .add(Column::At.eq(at))
                    .add(Column::Id.lt(id)),
            ),
        );
    }
    if let Some(user_id) = filter.user_id {
        query = query.filter(Column::UserId.eq(user_id));
    }
    if let Some(kind) = &filter.kind {
        query = query.filter(Column::Kind.eq(kind.as_str()));
    }
    if let Some(since) = filter.since {
        query = query.filter(Column::At.gte(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(Column::At.lt(until));
    }
    if let Some(client_id) = &filter.client_id {
        query = query.filter(Column::ClientId.eq(client_id.as_str()));
    }
    Ok(query
        .all(db)
        .await?
        .into_iter()
        .map(|m| StoredEvent {
            id: m.id,
            event: AuditEvent {
                details: serde_json::from_str(&m.details).unwrap_or(serde_json::Value::Null),
                kind: m.kind,
                actor: m.actor,
                subject: m.subject,
                client_id: m.client_id,
                ip: m.ip,
                at: m.at,
                user_id: m.user_id,
            },
        })
        .collect())
}

/// How many events of `kind` since `since` had each value of the string
/// `key` of their details (events without it are left out), counting at
/// most `limit` events.
pub async fn count_by_detail_since(
    db: &impl ConnectionTrait,
    kind: &str,
    key: &str,
    since: DateTime<Utc>,
    limit: u64,
) -> Result<std::collections::BTreeMap<String, u64>, StoreError> {
    let details: Vec<String> = Entity::find()
        .select_only()
        .column(Column::Details)
        .filter(Column::Kind.eq(kind))
        .filter(Column::At.gte(since))
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    let mut counts = std::collections::BTreeMap::new();
    for text in details {
        let value = serde_json::from_str::<serde_json::Value>(&text).ok();
        if let Some(found) = value.as_ref().and_then(|v| v.get(key)?.as_str()) {
            *counts.entry(found.to_owned()).or_insert(0) += 1;
        }
    }
    Ok(counts)
}

/// When each event of `kind` since `since` happened, at most `limit` of
/// them, oldest first (the dashboard counts them per day).
pub async fn list_times_since(
    db: &impl ConnectionTrait,
    kind: &str,
    since: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<DateTime<Utc>>, StoreError> {
    Ok(Entity::find()
        .select_only()
        .column(Column::At)
        .filter(Column::Kind.eq(kind))
        .filter(Column::At.gte(since))
        .order_by_asc(Column::At)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}
