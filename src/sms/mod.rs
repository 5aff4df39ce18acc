//! Sending SMS: the `SmsSender` trait and its implementations. Only this
//! module talks to SMS providers.

mod outbox;

pub use outbox::OutboxSender;

use crate::domain::PhoneNumber;

/// Why a message was not sent. The user never sees the provider's text.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("the SMS could not be sent: {0}")]
    Failed(#[from] anyhow::Error),
}

/// Something that delivers a text message to a phone.
#[async_trait::async_trait]
pub trait SmsSender: Send + Sync {
    async fn send(&self, to: &PhoneNumber, body: &str) -> Result<(), SmsError>;
}
