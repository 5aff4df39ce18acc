//! Email: the outbox and its worker against a real SMTP server started by
//! the test, the templates, `/dev/mail`, and the commands. Mail is queued
//! through the library, as the account area will.

mod cli;
mod dev_mail;
mod outbox;
mod templates;

use std::time::Duration;

use ferrid::config::{RawSettings, Span};
use ferrid::domain::{EmailAddress, EmailUsage, OutboxStatus};
use ferrid::messages::email::{EmailVars, FactorChange, FactorKind, Notice, queue_email};
use ferrid::store;
use ferrid::store::outbox::OutboxMessage;
use secrecy::SecretString;
use uuid::Uuid;

use crate::helpers::{TestApp, run_ferrid, spawn_app_with};
use crate::smtp_server::SmtpServer;

pub const TO: &str = "ada@example.com";

/// ferrid in dev mode sending to the test's SMTP server; the worker looks
/// at the outbox when woken (and at start), not on a timer.
pub async fn spawn_app_with_smtp(
    smtp: &SmtpServer,
    adjust: impl FnOnce(&mut RawSettings),
) -> TestApp {
    let url = smtp.url();
    spawn_app_with(move |s| {
        s.email.smtp_url = Some(SecretString::from(url));
        quiet_worker(s);
        adjust(s);
    })
    .await
}

/// The worker wakes only when told to (and at start).
pub fn quiet_worker(s: &mut RawSettings) {
    s.email.poll_interval = Span(Duration::from_secs(3600));
}

/// A notice that a phone number was changed.
pub fn phone_changed(app: &TestApp) -> EmailVars {
    EmailVars {
        code: None,
        expires_in_minutes: None,
        change: Some(FactorChange {
            factor: FactorKind::Phone,
            old_value: Some("+44 ••••••••56".into()),
            new_value: Some("+33 •••••••78".into()),
            at: app.now(),
            device: Some("Firefox on Linux".into()),
            location: Some("192.0.2.0/24".into()),
            revert_url: Some(app.url("/account/revert/t0k3n")),
        }),
        account_url: app.url("/account"),
    }
}

/// A mail with a code valid `ttl`.
pub fn code_vars(app: &TestApp) -> EmailVars {
    EmailVars {
        code: Some("123456".into()),
        expires_in_minutes: Some(10),
        change: None,
        account_url: app.url("/account"),
    }
}

impl TestApp {
    /// Queues a notice in a transaction, as the account area does, commits,
    /// and wakes the worker; the message id.
    pub async fn queue_mail(
        &self,
        to: &str,
        usage: EmailUsage,
        language: &str,
        vars: &EmailVars,
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Uuid {
        let to = EmailAddress::parse(to).unwrap();
        let txn = store::begin_write(&self.db).await.unwrap();
        let id = queue_email(
            &txn,
            Notice {
                to: &to,
                user_id: None,
                usage,
                language,
                vars,
                expires_at,
            },
            self.now(),
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();
        self.state.mail.wake();
        id
    }

    pub async fn outbox_message(&self, id: Uuid) -> OutboxMessage {
        store::outbox::find_by_id(&self.db, id)
            .await
            .unwrap()
            .expect("the message")
    }

    /// Waits (at most 15 s) until the message is in `status`.
    pub async fn wait_for_status(&self, id: Uuid, status: OutboxStatus) -> OutboxMessage {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let m = self.outbox_message(id).await;
            if m.status == status {
                return m;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "message {id} is {} ({:?}), expected {status}",
                m.status,
                m.last_error
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until the message has had `attempts` attempts and is not
    /// being sent.
    pub async fn wait_for_attempts(&self, id: Uuid, attempts: u32) -> OutboxMessage {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let m = self.outbox_message(id).await;
            if m.attempts >= attempts && m.status != OutboxStatus::Sending {
                return m;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "message {id}: {} attempts, {}",
                m.attempts,
                m.status
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Runs `ferrid ARGS` on this app's database: exit code, stdout, stderr.
    pub fn ferrid(&self, args: &[&str]) -> (i32, String, String) {
        let dir = tempfile::tempdir().unwrap();
        let key = ferrid::crypto::MasterKey::generate().to_base64();
        let env = [
            (
                "FERRID_DATABASE_URL",
                self.state.settings.database_url.as_str(),
            ),
            ("FERRID_MASTER_KEY", key.as_str()),
        ];
        let out = run_ferrid(dir.path(), &env, args);
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// Waits a moment for anything that should not happen (a second delivery).
pub async fn settle(app: &TestApp) {
    app.state.mail.wake();
    tokio::time::sleep(Duration::from_millis(400)).await;
}
