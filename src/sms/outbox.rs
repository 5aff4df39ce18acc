use chrono::Utc;

use super::{Delivery, SmsError, SmsMessage, SmsSender};
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
    fn provider(&self) -> &'static str {
        "outbox"
    }

    async fn send(&self, message: &SmsMessage<'_>) -> Result<Delivery, SmsError> {
        store::sms_outbox::insert(&self.db, message.to.as_str(), message.body, Utc::now())
            .await
            .map_err(|e| SmsError::Failed(e.into()))?;
        tracing::info!(to = %message.to.masked(), "SMS kept in the dev outbox");
        Ok(Delivery::default())
    }
}
