use chrono::Utc;

use super::{SmsError, SmsSender};
use crate::domain::PhoneNumber;
use crate::store::{self, DatabaseConnection};

/// Keeps messages in the database instead of sending them: dev mode's
/// sender, read at `/dev/outbox`.
pub struct OutboxSender {
    db: DatabaseConnection,
}

impl OutboxSender {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait::async_trait]
impl SmsSender for OutboxSender {
    async fn send(&self, to: &PhoneNumber, body: &str) -> Result<(), SmsError> {
        store::sms_outbox::insert(&self.db, to.as_str(), body, Utc::now())
            .await
            .map_err(|e| SmsError::Failed(e.into()))?;
        tracing::info!(to = %to.masked(), "SMS kept in the dev outbox");
        Ok(())
    }
}
