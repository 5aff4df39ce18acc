//! Twilio's Programmable Messaging API: `POST /2010-04-01/Accounts/{sid}/Messages.json`.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::retry::{Attempt, with_one_retry};
use super::{Delivery, SmsError, SmsMessage, SmsSender};

/// Who the message is from: a Messaging Service, or a number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TwilioSenderId {
    MessagingService(String),
    From(String),
}

/// Sends through Twilio.
pub struct TwilioSender {
    client: reqwest::Client,
    base_url: String,
    account_sid: String,
    auth_token: SecretString,
    sender: TwilioSenderId,
    backoff: Duration,
}

/// Twilio's error body: `{"code": 21211, "message": "...", "status": 400}`;
/// only the code is kept (the message may quote the number).
#[derive(Deserialize)]
struct TwilioError {
    code: Option<i64>,
}

#[derive(Deserialize)]
struct TwilioMessage {
    sid: Option<String>,
}

impl TwilioSender {
    pub fn new(
        base_url: &str,
        account_sid: String,
        auth_token: SecretString,
        sender: TwilioSenderId,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            // A redirect is an answer, not an instruction: following it would
            // send the credentials and the code to wherever it points.
            client: reqwest::Client::builder()
                .timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            base_url: base_url.trim_end_matches('/').to_owned(),
            account_sid,
            auth_token,
            sender,
            backoff: Duration::from_millis(300),
        })
    }

    async fn attempt(&self, message: &SmsMessage<'_>) -> Attempt<Delivery> {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.base_url, self.account_sid
        );
        let mut form = vec![("To", message.to.as_str()), ("Body", message.body)];
        match &self.sender {
            TwilioSenderId::MessagingService(sid) => form.push(("MessagingServiceSid", sid)),
            TwilioSenderId::From(number) => form.push(("From", number)),
        }
        let response = self
            .client
            .post(&url)
            .basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()))
            .form(&form)
            .send()
            .await;
        let response = match response {
            Ok(r) => r,
            Err(e) if e.is_timeout() => return Attempt::Transient("timed out".into()),
            Err(e) => return Attempt::Transient(format!("request failed: {e}")),
        };
        let status = response.status();
        if status.is_success() {
            let sid = response
                .json::<TwilioMessage>()
                .await
                .ok()
                .and_then(|m| m.sid);
            return Attempt::Done(Delivery { provider_id: sid });
        }
        if status.is_server_error() {
            return Attempt::Transient(format!("HTTP {status}"));
        }
        let error = response.json::<TwilioError>().await.ok();
        Attempt::Final(SmsError::Rejected {
            code: error
                .and_then(|e| e.code)
                .map(|c| c.to_string())
                .unwrap_or_else(|| status.as_u16().to_string()),
        })
    }
}

#[async_trait::async_trait]
impl SmsSender for TwilioSender {
    fn provider(&self) -> &'static str {
        "twilio"
    }

    async fn send(&self, message: &SmsMessage<'_>) -> Result<Delivery, SmsError> {
        with_one_retry(self.backoff, || self.attempt(message)).await
    }
}
