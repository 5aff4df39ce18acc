//! The SMS provider of the connection, as stored (secrets sealed under the
//! master key), and the sender built from it.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::{SmsSender, TwilioSender, TwilioSenderId, WebhookSender};
use crate::crypto::{MasterKey, WebhookKey};

/// Twilio's API, unless a test points elsewhere.
pub const TWILIO_API: &str = "https://api.twilio.com";

/// The live provider: exactly one at a time.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "provider", rename_all = "lowercase")]
pub enum ProviderSettings {
    /// Messages kept in the database (dev mode, or before a provider is set up).
    Outbox,
    Twilio {
        account_sid: String,
        /// The auth token, sealed.
        auth_token_enc: String,
        messaging_service_sid: Option<String>,
        from: Option<String>,
        base_url: String,
        timeout_secs: u64,
    },
    Webhook {
        url: String,
        /// The signing secret, sealed.
        secret_enc: String,
        timeout_secs: u64,
    },
}

/// A provider's URL must be https, or http on loopback only (a local fake
/// or relay): over plain http the Twilio auth token, the webhook's
/// signature and every code would cross the network in clear.
pub fn check_provider_url(url: &str) -> Result<(), String> {
    match url::Url::parse(url) {
        Ok(u) if u.scheme() == "https" => Ok(()),
        Ok(u) if u.scheme() == "http" && crate::domain::is_loopback_host(&u) => Ok(()),
        Ok(_) => Err(format!("`{url}` must be https (http only on loopback)")),
        Err(_) => Err(format!("`{url}` is not a URL")),
    }
}

const TWILIO_TOKEN: &str = "sms_connection:twilio_auth_token";
const WEBHOOK_SECRET: &str = "sms_connection:webhook_secret";

/// Seals a Twilio auth token for storage.
pub fn seal_twilio_token(master_key: &MasterKey, token: &str) -> anyhow::Result<String> {
    master_key.encrypt(token.as_bytes(), TWILIO_TOKEN)
}

/// Seals a webhook secret for storage, after checking that it is usable.
pub fn seal_webhook_secret(master_key: &MasterKey, secret: &str) -> anyhow::Result<String> {
    WebhookKey::parse(secret).map_err(anyhow::Error::msg)?;
    master_key.encrypt(secret.as_bytes(), WEBHOOK_SECRET)
}

impl ProviderSettings {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Outbox => "outbox",
            Self::Twilio { .. } => "twilio",
            Self::Webhook { .. } => "webhook",
        }
    }

    /// Checks the provider's URL (see [`check_provider_url`]).
    pub fn check_url(&self) -> Result<(), String> {
        match self {
            Self::Outbox => Ok(()),
            Self::Twilio { base_url, .. } => check_provider_url(base_url),
            Self::Webhook { url, .. } => check_provider_url(url),
        }
    }

    /// The sender for these settings; secrets are opened here and kept only
    /// inside the sender. A URL that is not https (outside loopback) is refused.
    pub fn build_sender(
        &self,
        master_key: &MasterKey,
        outbox: Arc<dyn SmsSender>,
    ) -> anyhow::Result<Arc<dyn SmsSender>> {
        self.check_url().map_err(anyhow::Error::msg)?;
        Ok(match self {
            Self::Outbox => outbox,
            Self::Twilio {
                account_sid,
                auth_token_enc,
                messaging_service_sid,
                from,
                base_url,
                timeout_secs,
            } => {
                let token = String::from_utf8(master_key.decrypt(auth_token_enc, TWILIO_TOKEN)?)?;
                let sender = match (messaging_service_sid, from) {
                    (Some(sid), _) => TwilioSenderId::MessagingService(sid.clone()),
                    (None, Some(from)) => TwilioSenderId::From(from.clone()),
                    (None, None) => anyhow::bail!(
                        "the Twilio connection has neither a Messaging Service SID nor a From number"
                    ),
                };
                Arc::new(TwilioSender::new(
                    base_url,
                    account_sid.clone(),
                    SecretString::from(token),
                    sender,
                    Duration::from_secs(*timeout_secs),
                )?)
            }
            Self::Webhook {
                url,
                secret_enc,
                timeout_secs,
            } => {
                let secret = String::from_utf8(master_key.decrypt(secret_enc, WEBHOOK_SECRET)?)?;
                let key = WebhookKey::parse(&secret).map_err(anyhow::Error::msg)?;
                Arc::new(WebhookSender::new(
                    url.clone(),
                    key,
                    Duration::from_secs(*timeout_secs),
                )?)
            }
        })
    }
}
