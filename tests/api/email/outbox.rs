//! The durable outbox: delivery, retries, leases, several instances,
//! permanent refusals, and giving up.

use std::collections::BTreeSet;
use std::time::Duration;

use ferrid::config::Span;
use ferrid::domain::{EmailUsage, OutboxStatus};
use ferrid::store;

use super::{TO, code_vars, phone_changed, settle, spawn_app_with_smtp};
use crate::smtp_server::{SmtpMode, SmtpServer};

#[tokio::test]
async fn mail_waits_with_its_error_while_smtp_is_down_and_arrives_once_when_it_is_back() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp, |_| {}).await;
    smtp.stop().await;

    // The change and its mail commit even though the server is down.
    let queued_at = app.now();
    let id = app
        .queue_mail(
            TO,
            EmailUsage::FactorChanged,
            "en",
            &phone_changed(&app),
            None,
        )
        .await;
    let waiting = app.wait_for_attempts(id, 1).await;
    assert_eq!(waiting.status, OutboxStatus::Queued);
    assert!(waiting.last_error.is_some(), "the error is recorded");
    // retry_base 30 s, with jitter in its upper half (and room for a slow
    // machine between queueing and the attempt).
    let wait = waiting.next_attempt_at - queued_at;
    assert!(
        wait >= chrono::Duration::seconds(15) && wait <= chrono::Duration::seconds(40),
        "next attempt in {wait}"
    );
    let failed = store::audit_events::list_recent(&app.db, Some("notification.queued"), 5)
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].details["to"], "a•••@example.com");

    // Back, but the next attempt is not due yet.
    smtp.restart().await;
    settle(&app).await;
    assert!(smtp.received().is_empty(), "not before its next attempt");
    assert_eq!(app.outbox_message(id).await.status, OutboxStatus::Queued);

    app.advance(Duration::from_secs(31));
    app.state.mail.wake();
    let got = smtp.wait_for(1).await;
    let sent = app.wait_for_status(id, OutboxStatus::Sent).await;
    assert_eq!(sent.attempts, 2);
    assert_eq!(got[0].to, vec![format!("<{TO}>")]);
    assert!(
        got[0].subject().contains("phone number"),
        "{}",
        got[0].subject()
    );
    settle(&app).await;
    assert_eq!(smtp.received().len(), 1, "exactly once");
    let events = store::audit_events::list_recent(&app.db, Some("notification.sent"), 5)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].details["to"], "a•••@example.com");
    assert!(!events[0].details.to_string().contains(TO), "masked only");
}

#[tokio::test]
async fn a_message_whose_worker_died_mid_send_is_sent_once_after_its_lease() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp, |_| {}).await;
    let to = ferrid::domain::EmailAddress::parse(TO).unwrap();
    let content = ferrid::messages::email::render_email(
        &app.db,
        EmailUsage::FactorAdded,
        "en",
        &phone_changed(&app),
    )
    .await
    .unwrap();
    let now = app.now();
    // Queued and taken by a worker that dies before it finishes, in one
    // transaction, so that this instance's worker never sees it free.
    let txn = store::begin_write(&app.db).await.unwrap();
    let id = ferrid::email::enqueue(
        &txn,
        ferrid::email::NewMail {
            to,
            user_id: None,
            usage: EmailUsage::FactorAdded,
            content,
            expires_at: None,
        },
        now,
    )
    .await
    .unwrap();
    let lease = app.state.settings.email.lease();
    let claimed = store::outbox::claim_due(
        &txn,
        now,
        now + chrono::Duration::from_std(lease).unwrap(),
        10,
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    assert_eq!(claimed.messages.len(), 1);

    settle(&app).await;
    assert!(
        smtp.received().is_empty(),
        "another worker leaves a leased message"
    );
    assert_eq!(app.outbox_message(id).await.status, OutboxStatus::Sending);

    app.advance(lease + Duration::from_secs(1));
    app.state.mail.wake();
    smtp.wait_for(1).await;
    let sent = app.wait_for_status(id, OutboxStatus::Sent).await;
    assert_eq!(sent.attempts, 2, "the dead worker's attempt counts");
    settle(&app).await;
    assert_eq!(smtp.received().len(), 1, "exactly once");
    // The dead worker's claim cannot finish it any more.
    let late = store::outbox::finish(
        &app.db,
        id,
        claimed.token,
        store::outbox::Finish::Failed("late".into()),
        app.now(),
    )
    .await
    .unwrap();
    assert!(!late);
    assert_eq!(app.outbox_message(id).await.status, OutboxStatus::Sent);
}

#[tokio::test]
async fn two_instances_on_one_database_send_each_mail_exactly_once() {
    let smtp = SmtpServer::start().await;
    let first = spawn_app_with_smtp(&smtp, |_| {}).await;
    let url = smtp.url();
    let second = first
        .spawn_another_instance(move |s| {
            s.email.smtp_url = Some(secrecy::SecretString::from(url));
            super::quiet_worker(s);
        })
        .await;
    const N: usize = 24;
    let mut ids = Vec::new();
    for n in 0..N {
        let to = format!("user{n}@example.com");
        ids.push(
            first
                .queue_mail(
                    &to,
                    EmailUsage::FactorAdded,
                    "en",
                    &phone_changed(&first),
                    None,
                )
                .await,
        );
        // Both instances race for every message.
        second.state.mail.wake();
    }
    let got = smtp.wait_for(N).await;
    for id in &ids {
        first.wait_for_status(*id, OutboxStatus::Sent).await;
    }
    settle(&first).await;
    settle(&second).await;
    let got_after = smtp.received();
    assert_eq!(got_after.len(), N, "no message twice");
    let recipients: BTreeSet<String> = got.iter().map(|m| m.to.join(",")).collect();
    assert_eq!(recipients.len(), N, "each message once");
}

#[tokio::test]
async fn a_permanent_refusal_fails_the_mail_and_it_is_not_retried() {
    let smtp = SmtpServer::start().await;
    smtp.set_mode(SmtpMode::Permanent);
    let app = spawn_app_with_smtp(&smtp, |_| {}).await;
    let id = app
        .queue_mail(
            TO,
            EmailUsage::FactorAdded,
            "en",
            &phone_changed(&app),
            None,
        )
        .await;
    let failed = app.wait_for_status(id, OutboxStatus::Failed).await;
    assert_eq!(failed.attempts, 1);
    let error = failed.last_error.unwrap();
    assert!(error.contains("550"), "{error}");
    assert!(!error.contains(TO), "the address is masked: {error}");

    smtp.set_mode(SmtpMode::Accept);
    app.advance(Duration::from_secs(24 * 3600));
    settle(&app).await;
    assert!(smtp.received().is_empty(), "not retried");
    let m = app.outbox_message(id).await;
    assert_eq!((m.status, m.attempts), (OutboxStatus::Failed, 1));
    let events = store::audit_events::list_recent(&app.db, Some("notification.failed"), 5)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
}

#[tokio::test]
async fn a_mail_is_abandoned_after_its_last_attempt() {
    let smtp = SmtpServer::start().await;
    smtp.set_mode(SmtpMode::Transient);
    let app = spawn_app_with_smtp(&smtp, |s| s.email.max_attempts = 3).await;
    let id = app
        .queue_mail(
            TO,
            EmailUsage::FactorAdded,
            "en",
            &phone_changed(&app),
            None,
        )
        .await;
    let first = app.wait_for_attempts(id, 1).await;
    assert_eq!(first.status, OutboxStatus::Queued);
    assert!(first.last_error.unwrap().contains("451"));
    app.advance(Duration::from_secs(3600));
    app.state.mail.wake();
    let second = app.wait_for_attempts(id, 2).await;
    assert_eq!(second.status, OutboxStatus::Queued);
    app.advance(Duration::from_secs(3600));
    app.state.mail.wake();
    let last = app.wait_for_status(id, OutboxStatus::Abandoned).await;
    assert_eq!(last.attempts, 3);
    assert!(last.last_error.unwrap().contains("3 attempts"));
    let events = store::audit_events::list_recent(&app.db, Some("notification.abandoned"), 5)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].details["to"], "a•••@example.com");
}

#[tokio::test]
async fn a_mail_older_than_max_age_is_abandoned() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp, |s| {
        s.email.max_age = Span(Duration::from_secs(3600));
    })
    .await;
    smtp.stop().await;
    let id = app
        .queue_mail(
            TO,
            EmailUsage::FactorRemoved,
            "en",
            &phone_changed(&app),
            None,
        )
        .await;
    app.wait_for_attempts(id, 1).await;
    smtp.restart().await;
    app.advance(Duration::from_secs(3601));
    app.state.mail.wake();
    let m = app.wait_for_status(id, OutboxStatus::Abandoned).await;
    assert!(m.last_error.unwrap().contains("max_age"));
    settle(&app).await;
    assert!(smtp.received().is_empty(), "not sent late");
}

#[tokio::test]
async fn a_code_mail_is_abandoned_once_its_code_expired() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp, |_| {}).await;
    smtp.stop().await;
    let expires = app.now() + chrono::Duration::minutes(10);
    let id = app
        .queue_mail(
            TO,
            EmailUsage::VerifyEmail,
            "en",
            &code_vars(&app),
            Some(expires),
        )
        .await;
    app.wait_for_attempts(id, 1).await;
    smtp.restart().await;
    app.advance(Duration::from_secs(11 * 60));
    app.state.mail.wake();
    let m = app.wait_for_status(id, OutboxStatus::Abandoned).await;
    assert!(m.last_error.unwrap().contains("expired"));
    settle(&app).await;
    assert!(smtp.received().is_empty(), "an expired code is not sent");
}

#[tokio::test]
async fn a_sent_mail_keeps_no_body_outside_dev_mode() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp, |s| s.dev = false).await;
    let id = app
        .queue_mail(TO, EmailUsage::VerifyEmail, "en", &code_vars(&app), None)
        .await;
    let got = smtp.wait_for(1).await;
    assert!(got[0].text().contains("123456"));
    let sent = app.wait_for_status(id, OutboxStatus::Sent).await;
    assert!(sent.body_text.is_empty() && sent.body_html.is_empty());
    assert_eq!(
        app.get("/dev/mail").await.status(),
        404,
        "no /dev/mail outside dev mode"
    );
}

#[tokio::test]
async fn without_an_smtp_server_outside_dev_mode_mail_stays_queued() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.dev = false;
        super::quiet_worker(s);
    })
    .await;
    let id = app
        .queue_mail(
            TO,
            EmailUsage::FactorAdded,
            "en",
            &phone_changed(&app),
            None,
        )
        .await;
    settle(&app).await;
    let m = app.outbox_message(id).await;
    assert_eq!((m.status, m.attempts), (OutboxStatus::Queued, 0));
}

#[tokio::test]
async fn the_user_and_password_of_the_smtp_url_log_in() {
    let smtp = SmtpServer::start().await;
    smtp.require_login("mailer", "p@ss:w/rd");
    let url = smtp
        .url()
        .replace("smtp://", "smtp://mailer:p%40ss%3Aw%2Frd@");
    let app = crate::helpers::spawn_app_with(move |s| {
        s.email.smtp_url = Some(secrecy::SecretString::from(url));
        super::quiet_worker(s);
    })
    .await;
    let id = app
        .queue_mail(
            TO,
            EmailUsage::FactorAdded,
            "en",
            &phone_changed(&app),
            None,
        )
        .await;
    smtp.wait_for(1).await;
    app.wait_for_status(id, OutboxStatus::Sent).await;
    assert_eq!(smtp.logins(), vec!["mailer".to_owned()]);
}

#[tokio::test]
async fn an_smtps_url_speaks_tls_from_the_first_byte() {
    // The test server speaks plain SMTP: a TLS client cannot talk to it,
    // and that is a transient error (the operator may fix the server).
    let smtp = SmtpServer::start().await;
    let url = smtp.url().replace("smtp://", "smtps://");
    let app = crate::helpers::spawn_app_with(move |s| {
        s.email.smtp_url = Some(secrecy::SecretString::from(url));
        s.email.smtp_timeout = Span(Duration::from_secs(5));
        super::quiet_worker(s);
    })
    .await;
    let id = app
        .queue_mail(
            TO,
            EmailUsage::FactorAdded,
            "en",
            &phone_changed(&app),
            None,
        )
        .await;
    let m = app.wait_for_attempts(id, 1).await;
    assert_eq!(m.status, OutboxStatus::Queued);
    assert!(m.last_error.is_some());
    assert!(smtp.received().is_empty());
}

#[tokio::test]
async fn the_sweep_deletes_finished_mail_after_30_days_and_keeps_waiting_mail() {
    let app = crate::helpers::spawn_app_with(super::quiet_worker).await;
    let sent = app
        .queue_mail(
            TO,
            EmailUsage::FactorAdded,
            "en",
            &phone_changed(&app),
            None,
        )
        .await;
    app.wait_for_status(sent, OutboxStatus::Sent).await;
    settle(&app).await;
    // A message that waits: queued without waking the worker.
    let waiting = ferrid::store::outbox::insert(
        &app.db,
        ferrid::store::outbox::NewOutboxMessage {
            recipient: "bob@example.com".into(),
            user_id: None,
            usage: "factor_added".into(),
            language: "en".into(),
            subject: "s".into(),
            body_text: "t".into(),
            body_html: "h".into(),
            expires_at: None,
        },
        app.now(),
    )
    .await
    .unwrap();
    let sweep = |days: i64| {
        ferrid::admin::maintenance::sweep_expired(&app.db, app.now() + chrono::Duration::days(days))
    };
    assert_eq!(sweep(29).await.unwrap().outbox_messages, 0);
    assert_eq!(sweep(31).await.unwrap().outbox_messages, 1);
    assert!(
        store::outbox::find_by_id(&app.db, sent)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store::outbox::find_by_id(&app.db, waiting)
            .await
            .unwrap()
            .is_some()
    );
}
