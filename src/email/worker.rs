//! The delivery worker: every instance runs one. It wakes when mail is
//! enqueued (`MailOutbox::wake`) and every `email.poll_interval`, claims
//! due messages with a lease, sends them, and records the outcome: sent,
//! queued again after a backoff with jitter, failed (SMTP 5xx), or
//! abandoned (out of attempts, older than `email.max_age`, or carrying a
//! code that expired).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use uuid::Uuid;

use super::{Mail, MailError, MailOutbox, Mailer};
use crate::audit;
use crate::clock::SharedClock;
use crate::config::EmailSettings;
use crate::domain::EmailAddress;
use crate::store::outbox::{self as rows, Finish, OutboxMessage, Scrub};
use crate::store::{self, DatabaseConnection};

/// Messages one claim takes; they are sent concurrently, within one lease.
const BATCH: u64 = 8;

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);

/// The rules of delivery, from `[email]`.
#[derive(Clone, Debug)]
pub struct DeliveryRules {
    pub max_attempts: u32,
    pub max_age: Duration,
    pub retry_base: Duration,
    pub smtp_timeout: Duration,
    pub lease: Duration,
    pub poll_interval: Duration,
    /// Whether a sent message keeps its bodies (dev mode, for `/dev/mail`).
    pub keep_sent_bodies: bool,
}

impl DeliveryRules {
    /// The rules of `[email]`; sent bodies are kept in dev mode only.
    pub fn new(s: &EmailSettings, dev: bool) -> Self {
        Self {
            max_attempts: s.max_attempts,
            max_age: s.max_age.0,
            retry_base: s.retry_base.0,
            smtp_timeout: s.smtp_timeout.0,
            lease: s.lease(),
            poll_interval: s.poll_interval.0,
            keep_sent_bodies: dev,
        }
    }
}

impl DeliveryRules {
    /// The wait after the `attempts`-th failed attempt: `retry_base`
    /// doubled each time, at most `MAX_BACKOFF`, then a random part of its
    /// second half taken off so that messages that failed together (a
    /// server down) do not all come back at once.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let exponent = attempts.saturating_sub(1).min(20);
        let full = self
            .retry_base
            .saturating_mul(1u32 << exponent)
            .min(MAX_BACKOFF);
        let half = full / 2;
        let jitter = rand::thread_rng().gen_range(0..=half.as_millis().max(1) as u64);
        half + Duration::from_millis(jitter).min(half)
    }
}

fn after(now: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(by).unwrap_or(chrono::Duration::days(365))
}

/// Delivers the outbox of one instance.
#[derive(Clone)]
pub struct OutboxWorker {
    db: DatabaseConnection,
    clock: SharedClock,
    mailer: Arc<dyn Mailer>,
    rules: DeliveryRules,
}

impl OutboxWorker {
    pub fn new(
        db: DatabaseConnection,
        clock: SharedClock,
        mailer: Arc<dyn Mailer>,
        rules: DeliveryRules,
    ) -> Self {
        Self {
            db,
            clock,
            mailer,
            rules,
        }
    }

    /// Runs until the process ends: delivers what is due whenever woken
    /// and at every poll interval.
    pub fn spawn(self, outbox: &MailOutbox) -> tokio::task::JoinHandle<()> {
        let wake = outbox.notified();
        tokio::spawn(async move {
            loop {
                self.deliver_due().await;
                tokio::select! {
                    () = wake.notified() => {}
                    () = tokio::time::sleep(self.rules.poll_interval) => {}
                }
            }
        })
    }

    /// Claims and delivers due messages until none is left; how many were
    /// handled. Errors of the database are logged: the next round retries.
    pub async fn deliver_due(&self) -> usize {
        let mut handled = 0;
        loop {
            let now = self.clock.now();
            let claimed =
                match rows::claim_due(&self.db, now, after(now, self.rules.lease), BATCH).await {
                    Ok(claimed) => claimed,
                    Err(e) => {
                        tracing::error!(error = ?e, "claiming outbox messages failed");
                        return handled;
                    }
                };
            if claimed.messages.is_empty() {
                return handled;
            }
            handled += claimed.messages.len();
            let mut sends = tokio::task::JoinSet::new();
            for message in claimed.messages {
                let worker = self.clone();
                sends.spawn(async move { worker.deliver(message, claimed.token).await });
            }
            while sends.join_next().await.is_some() {}
        }
    }

    /// Sends one claimed message, or gives up on it, and records the end.
    async fn deliver(&self, message: OutboxMessage, token: Uuid) {
        let to = EmailAddress::from_trusted(&message.recipient);
        let now = self.clock.now();
        let finish = if let Some(reason) = self.give_up_before_sending(&message, now) {
            Finish::Abandoned(reason)
        } else {
            let mail = Mail {
                to: &to,
                subject: &message.subject,
                text: &message.body_text,
                html: &message.body_html,
            };
            let sent = tokio::time::timeout(self.rules.smtp_timeout, self.mailer.send(&mail))
                .await
                .unwrap_or_else(|_| {
                    Err(MailError::Transient(format!(
                        "no answer within {}",
                        humantime::format_duration(self.rules.smtp_timeout)
                    )))
                });
            let now = self.clock.now();
            match sent {
                Ok(()) if self.rules.keep_sent_bodies => Finish::Sent(Scrub::Keep),
                Ok(()) => Finish::Sent(Scrub::Bodies),
                // Servers quote the address in their answers: keep it masked.
                Err(MailError::Permanent(e)) => Finish::Failed(mask(&e, &to)),
                Err(MailError::Transient(e)) if message.attempts >= self.rules.max_attempts => {
                    Finish::Abandoned(format!(
                        "not sent in {} attempts; the last: {}",
                        message.attempts,
                        mask(&e, &to)
                    ))
                }
                Err(MailError::Transient(e)) => Finish::Retry {
                    at: after(now, self.rules.backoff(message.attempts)),
                    error: mask(&e, &to),
                },
            }
        };
        self.record(&message, &to, token, finish).await;
    }

    /// Why the message is not worth an attempt any more, if it is not.
    fn give_up_before_sending(&self, m: &OutboxMessage, now: DateTime<Utc>) -> Option<String> {
        if m.expires_at.is_some_and(|at| at <= now) {
            return Some("the code in it expired before it could be sent".into());
        }
        if after(m.queued_at, self.rules.max_age) <= now {
            return Some(format!(
                "not sent within email.max_age ({})",
                humantime::format_duration(self.rules.max_age)
            ));
        }
        // Attempts are counted when claimed: a worker that died mid-send
        // used one.
        if m.attempts > self.rules.max_attempts {
            return Some(format!(
                "not sent in {} attempts; the last: {}",
                self.rules.max_attempts,
                m.last_error.as_deref().unwrap_or("the worker stopped")
            ));
        }
        None
    }

    async fn record(&self, m: &OutboxMessage, to: &EmailAddress, token: Uuid, finish: Finish) {
        let now = self.clock.now();
        let (event, detail) = match &finish {
            Finish::Sent(_) => (Some("notification.sent"), None),
            Finish::Failed(e) => (Some("notification.failed"), Some(e.clone())),
            Finish::Abandoned(e) => (Some("notification.abandoned"), Some(e.clone())),
            Finish::Retry { error, .. } => {
                tracing::warn!(
                    outbox_id = %m.id, to = %to.masked(), attempts = m.attempts,
                    error = %error, "email not sent; it will be tried again"
                );
                (None, None)
            }
        };
        // The outcome and its audit event commit together: whoever sees the
        // message's new status also finds the event.
        let recorded = async {
            let txn = store::begin_write(&self.db).await?;
            if !rows::finish(&txn, m.id, token, finish, now).await? {
                return Ok(false);
            }
            if let Some(kind) = event {
                audit::record_for(
                    &txn,
                    now,
                    m.user_id,
                    kind,
                    Some(to.masked()),
                    serde_json::json!({
                        "channel": m.channel,
                        "outbox_id": m.id,
                        "to": to.masked(),
                        "usage": m.usage,
                        "attempts": m.attempts,
                        "error": detail,
                    }),
                )
                .await;
            }
            txn.commit().await?;
            anyhow::Ok(true)
        };
        match recorded.await {
            Ok(true) => {
                if let Some(kind) = event {
                    tracing::info!(outbox_id = %m.id, to = %to.masked(), event = kind, "email delivery");
                }
            }
            Ok(false) => {
                tracing::warn!(outbox_id = %m.id, "the lease on an email ran out before it was sent");
            }
            Err(e) => {
                tracing::error!(error = ?e, outbox_id = %m.id, "recording an email's delivery failed");
            }
        }
    }
}

fn mask(error: &str, to: &EmailAddress) -> String {
    error.replace(to.as_str(), &to.masked())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> DeliveryRules {
        DeliveryRules {
            max_attempts: 8,
            max_age: Duration::from_secs(86_400),
            retry_base: Duration::from_secs(30),
            smtp_timeout: Duration::from_secs(30),
            lease: Duration::from_secs(90),
            poll_interval: Duration::from_secs(10),
            keep_sent_bodies: false,
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_in_the_upper_half_and_is_capped() {
        let r = rules();
        for _ in 0..50 {
            let first = r.backoff(1);
            assert!((15..=30).contains(&first.as_secs()), "{first:?}");
            let third = r.backoff(3);
            assert!((60..=120).contains(&third.as_secs()), "{third:?}");
            assert!(r.backoff(40) <= MAX_BACKOFF);
        }
    }
}
