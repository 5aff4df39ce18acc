//! Sending email: the `Mailer` trait and its two implementations (SMTP
//! with lettre, and dev mode's capture), the durable outbox that mail is
//! written to in the transaction of the change it reports, and the worker
//! that delivers it. Only this module talks to SMTP servers; mailers never
//! touch the store.
//!
//! What a use case does to send a notice:
//!
//! 1. render it (`messages::email::render_email`), giving [`RenderedEmail`];
//! 2. inside its own transaction, [`enqueue`] it with a [`NewMail`];
//! 3. after the commit, [`MailOutbox::wake`] the worker (`state.mail`).
//!
//! The change never waits for SMTP, and never fails because the server is
//! down: the worker retries with backoff and records each error.

mod capture;
mod outbox;
mod smtp;
mod worker;

pub use capture::DevCapture;
pub use outbox::{
    AbandonError, DevMail, EnqueueError, NewMail, RetryError, RetryOutcome, abandon, dev_mail,
    enqueue, list, retry,
};
pub use smtp::SmtpMailer;
pub use worker::{DeliveryRules, OutboxWorker};

use std::sync::Arc;

use tokio::sync::Notify;

use crate::domain::EmailAddress;

/// A rendered email: what the templates produce and the outbox keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
    /// The language it was written in (a BCP 47 tag, or `default`).
    pub language: String,
}

/// One email to hand to a server.
#[derive(Debug)]
pub struct Mail<'a> {
    pub to: &'a EmailAddress,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
}

/// Why a mail was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The server refused it for good (SMTP 5xx, or a message that cannot
    /// be built): retrying will not help.
    #[error("refused: {0}")]
    Permanent(String),
    /// The server could not be reached, timed out, or answered 4xx: a
    /// later attempt may work.
    #[error("not sent for now: {0}")]
    Transient(String),
}

/// Something that delivers an email.
#[async_trait::async_trait]
pub trait Mailer: Send + Sync {
    /// The mailer's name, for logs.
    fn name(&self) -> &'static str;
    async fn send(&self, mail: &Mail<'_>) -> Result<(), MailError>;
}

/// The application's handle on the outbox: what a use case wakes after it
/// committed mail.
#[derive(Clone, Default)]
pub struct MailOutbox {
    wake: Arc<Notify>,
}

impl MailOutbox {
    /// Tells this instance's worker that mail is waiting. Call it after the
    /// transaction that enqueued the mail committed; mail enqueued without
    /// it (or on another instance) goes out at the worker's next look
    /// (`email.poll_interval`).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn notified(&self) -> Arc<Notify> {
        self.wake.clone()
    }
}
