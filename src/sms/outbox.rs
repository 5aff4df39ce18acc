use std::sync::Arc;

use super::{Delivery, SmsError, SmsMessage, SmsSender};
use crate::domain::PhoneNumber;

/// Where the dev outbox keeps its messages. Handed to the sender, so that
/// no sender reaches into the store itself.
#[async_trait::async_trait]
pub trait OutboxStore: Send + Sync {
    /// Keeps a message for `/dev/outbox`.
    async fn keep(&self, to: &PhoneNumber, body: &str) -> anyhow::Result<()>;
}

/// Keeps messages instead of sending them: dev mode's sender, read at
/// `/dev/outbox`.
pub struct OutboxSender {
    outbox: Arc<dyn OutboxStore>,
}

impl OutboxSender {
    pub fn new(outbox: Arc<dyn OutboxStore>) -> Self {
        Self { outbox }
    }
}

#[async_trait::async_trait]
impl SmsSender for OutboxSender {
    fn provider(&self) -> &'static str {
        "outbox"
    }

    async fn send(&self, message: &SmsMessage<'_>) -> Result<Delivery, SmsError> {
        self.outbox
            .keep(message.to, message.body)
            .await
            .map_err(SmsError::Failed)?;
        tracing::info!(to = %message.to.masked(), "SMS kept in the dev outbox");
        Ok(Delivery::default())
    }
}
