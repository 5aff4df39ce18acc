//! Delivery by webhook: the Userfront payload, signed per Standard Webhooks.
//! The receiver sends the SMS however it likes.

use std::time::Duration;

use chrono::Utc;
use serde::Serialize;

use super::retry::{Attempt, with_one_retry};
use super::{Delivery, SmsError, SmsMessage, SmsSender};
use crate::crypto::{WebhookKey, random_token};
use crate::domain::{MessageUsage, OtpCode};

/// Posts each message to an operator's URL.
pub struct WebhookSender {
    client: reqwest::Client,
    url: String,
    key: WebhookKey,
    backoff: Duration,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Factor<'a> {
    strategy: &'static str,
    channel: &'static str,
    phone_number: &'a str,
    verification_code: Option<&'a str>,
    message: &'a str,
    expires_at: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    mode: &'static str,
    user_id: Option<String>,
    tenant_id: Option<String>,
    user_uuid: Option<String>,
}

#[derive(Serialize)]
struct Payload<'a> {
    action: &'static str,
    model: &'static str,
    mode: &'static str,
    factor: Factor<'a>,
    record: Record,
}

fn action(usage: MessageUsage) -> &'static str {
    match usage {
        MessageUsage::Login => "login",
        MessageUsage::Register => "register",
        MessageUsage::Verify => "verify",
        MessageUsage::Generic => "generic",
        MessageUsage::Notice => "notice",
    }
}

impl WebhookSender {
    pub fn new(url: String, key: WebhookKey, timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            // A redirect is an answer, not an instruction: following it would
            // send the credentials and the code to wherever it points.
            client: reqwest::Client::builder()
                .timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            url,
            key,
            backoff: Duration::from_millis(300),
        })
    }

    async fn attempt(&self, id: &str, body: &[u8]) -> Attempt<Delivery> {
        // A fresh timestamp per attempt: receivers reject stale ones.
        let timestamp = Utc::now().timestamp().to_string();
        let signature = self.key.sign(id, &timestamp, body);
        let response = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", &timestamp)
            .header("webhook-signature", format!("v1,{signature}"))
            .body(body.to_vec())
            .send()
            .await;
        match response {
            Ok(r) if r.status().is_success() => Attempt::Done(Delivery::default()),
            Ok(r) if r.status().is_server_error() => {
                Attempt::Transient(format!("HTTP {}", r.status()))
            }
            Ok(r) => Attempt::Final(SmsError::Rejected {
                code: r.status().as_u16().to_string(),
            }),
            Err(e) if e.is_timeout() => Attempt::Transient("timed out".into()),
            Err(e) => Attempt::Transient(format!("request failed: {e}")),
        }
    }
}

#[async_trait::async_trait]
impl SmsSender for WebhookSender {
    fn provider(&self) -> &'static str {
        "webhook"
    }

    async fn send(&self, message: &SmsMessage<'_>) -> Result<Delivery, SmsError> {
        let user = message.user_id.map(|u| u.to_string());
        let payload = Payload {
            action: action(message.usage),
            model: "user",
            mode: "live",
            factor: Factor {
                strategy: "verificationCode",
                channel: "sms",
                phone_number: message.to.as_str(),
                verification_code: message.code.map(OtpCode::as_str),
                message: message.body,
                expires_at: message
                    .expires_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            },
            record: Record {
                mode: "live",
                user_id: user.clone(),
                tenant_id: None,
                user_uuid: user,
            },
        };
        let body = serde_json::to_vec(&payload).map_err(anyhow::Error::from)?;
        // One id for the message: a receiver deduplicates retries by it.
        let id = format!("msg_{}", random_token());
        with_one_retry(self.backoff, || self.attempt(&id, &body)).await
    }
}
