//! What tests put in place of the outside world: a capturing SMS sender
//! behind the connection's `outbox` provider. The clock to move is
//! `ferrid::clock::ManualClock`.

use std::sync::Mutex;

use ferrid::sms::{Delivery, SmsError, SmsMessage, SmsSender};

/// One message as the provider would have received it.
#[derive(Clone, Debug)]
pub struct SentSms {
    pub to: String,
    pub body: String,
    pub code: String,
}

/// Keeps every message instead of sending it.
#[derive(Default)]
pub struct CapturingSms {
    sent: Mutex<Vec<SentSms>>,
}

impl CapturingSms {
    /// Every message so far, oldest first.
    pub fn sent(&self) -> Vec<SentSms> {
        self.sent.lock().unwrap().clone()
    }

    /// The messages to `phone`, oldest first.
    pub fn sent_to(&self, phone: &str) -> Vec<SentSms> {
        self.sent().into_iter().filter(|m| m.to == phone).collect()
    }

    /// The code of the newest message with a code to `phone` (notices
    /// carry none).
    pub fn last_code(&self, phone: &str) -> String {
        self.sent_to(phone)
            .into_iter()
            .rfind(|m| !m.code.is_empty())
            .unwrap_or_else(|| panic!("no message to {phone}"))
            .code
    }
}

#[async_trait::async_trait]
impl SmsSender for CapturingSms {
    fn provider(&self) -> &'static str {
        "outbox"
    }

    async fn send(&self, message: &SmsMessage<'_>) -> Result<Delivery, SmsError> {
        self.sent.lock().unwrap().push(SentSms {
            to: message.to.as_str().to_owned(),
            body: message.body.to_owned(),
            code: message
                .code
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
        });
        Ok(Delivery::default())
    }
}
