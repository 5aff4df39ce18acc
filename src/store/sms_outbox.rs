//! The dev outbox: SMS messages kept in the database instead of sent.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect};

use super::{DatabaseConnection, StoreError};

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sms_outbox")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub to_e164: String,
        pub body: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// A kept message.
#[derive(Clone, Debug, serde::Serialize)]
pub struct OutboxMessage {
    pub to: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    to: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    ActiveModel {
        id: Set(Uuid::new_v4()),
        to_e164: Set(to.to_owned()),
        body: Set(body.to_owned()),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The dev outbox's storage, handed to its sender.
pub struct DbOutbox {
    db: DatabaseConnection,
}

impl DbOutbox {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// The dev outbox's sender, keeping its messages in `db`.
    pub fn sender(db: DatabaseConnection) -> std::sync::Arc<dyn crate::sms::SmsSender> {
        std::sync::Arc::new(crate::sms::OutboxSender::new(std::sync::Arc::new(
            Self::new(db),
        )))
    }
}

#[async_trait::async_trait]
impl crate::sms::OutboxStore for DbOutbox {
    async fn keep(&self, to: &crate::domain::PhoneNumber, body: &str) -> anyhow::Result<()> {
        insert(&self.db, to.as_str(), body, Utc::now()).await?;
        Ok(())
    }
}

/// The newest messages first.
pub async fn list_recent(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<OutboxMessage>, StoreError> {
    let rows = Entity::find()
        .order_by_desc(Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|m| OutboxMessage {
            to: m.to_e164,
            body: m.body,
            created_at: m.created_at,
        })
        .collect())
}
