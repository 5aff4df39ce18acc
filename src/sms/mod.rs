//! Sending SMS: the `SmsSender` trait and its providers (Twilio, a signed
//! webhook, and dev mode's outbox), and the SMS connection (the live
//! provider, its templates and code rules) with its cache. Only this module
//! talks to SMS providers; senders never touch the store.

mod breaker;
pub mod connection;
mod outbox;
mod provider;
mod retry;
mod twilio;
mod webhook;

pub use breaker::{BreakerSender, BreakerSettings};
pub use connection::{
    ConnectionCache, ConnectionSettings, LiveConnection, SMS_CONNECTION_KEY, TestNumber,
};
pub use outbox::{OutboxSender, OutboxStore};
pub use twilio::{TwilioSender, TwilioSenderId};
pub use webhook::WebhookSender;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::{MessageUsage, OtpCode, PhoneNumber};

/// A text message (a code, or a notice without one), and what a provider
/// may want to know of it.
#[derive(Debug)]
pub struct SmsMessage<'a> {
    pub to: &'a PhoneNumber,
    pub body: &'a str,
    /// The code the message carries; `None` for a notice.
    pub code: Option<&'a OtpCode>,
    pub usage: MessageUsage,
    pub expires_at: DateTime<Utc>,
    pub user_id: Option<Uuid>,
}

/// What the provider said when it took the message.
#[derive(Debug, Default)]
pub struct Delivery {
    /// The provider's id for the message (Twilio's `sid`).
    pub provider_id: Option<String>,
}

/// Why a message was not sent. The user never sees the provider's text; the
/// audit log records the provider's code.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// The provider refused the message (4xx): retrying will not help. Only
    /// the code is shown: providers' messages often quote the phone number.
    #[error("the provider refused the message (code {code})")]
    Rejected { code: String },
    /// The provider failed or did not answer (5xx, timeout), even after a retry.
    #[error("the provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider failed repeatedly: nothing is handed to it until the
    /// breaker's cooldown ends (see `breaker`).
    #[error("the provider failed repeatedly; sending is paused for a moment")]
    Paused,
    #[error("the SMS could not be sent: {0}")]
    Failed(#[from] anyhow::Error),
}

impl SmsError {
    /// The provider's error code, for the audit log.
    pub fn provider_code(&self) -> Option<&str> {
        match self {
            Self::Rejected { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// Something that delivers a text message to a phone.
#[async_trait::async_trait]
pub trait SmsSender: Send + Sync {
    /// The provider's name, for logs and the audit trail.
    fn provider(&self) -> &'static str;
    async fn send(&self, message: &SmsMessage<'_>) -> Result<Delivery, SmsError>;
}
