//! `ferrid outbox list|retry` and the email settings in `ferrid config check`.

use ferrid::domain::{EmailUsage, OutboxStatus};

use super::{TO, phone_changed, settle, spawn_app_with_smtp};
use crate::helpers::{CliEnv, run_ferrid};
use crate::smtp_server::{SmtpMode, SmtpServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_list_shows_the_messages_and_retry_sends_a_failed_one_again() {
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
    app.wait_for_status(id, OutboxStatus::Failed).await;
    let id = id.to_string();

    let (code, out, err) = app.ferrid(&["outbox", "list", "--status", "failed"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&id) && out.contains("failed") && out.contains("550"),
        "{out}"
    );
    assert!(
        out.contains("a•••@example.com") && !out.contains(TO),
        "masked: {out}"
    );
    let (_, out, _) = app.ferrid(&["outbox", "list", "--status", "sent"]);
    assert!(!out.contains(&id), "{out}");
    let (code, out, _) = app.ferrid(&["outbox", "list", "--json"]);
    assert_eq!(code, 0);
    let listed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["status"], "failed");
    assert_eq!(listed[0]["attempts"], 1);
    assert!(
        listed[0].get("body_text").is_none(),
        "no body for the operator"
    );

    let (code, _, err) = app.ferrid(&["outbox", "list", "--status", "lost"]);
    assert_ne!(code, 0);
    assert!(err.contains("`lost`"), "{err}");

    // The server accepts it now; the operator sends it again.
    smtp.set_mode(SmtpMode::Accept);
    let (code, out, err) = app.ferrid(&["outbox", "retry", &id]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("queued again"), "{out}");
    app.state.mail.wake();
    smtp.wait_for(1).await;
    let sent = app
        .wait_for_status(id.parse().unwrap(), OutboxStatus::Sent)
        .await;
    assert_eq!(sent.attempts, 1, "attempts counted afresh");
    settle(&app).await;
    assert_eq!(smtp.received().len(), 1);

    let (code, _, err) = app.ferrid(&["outbox", "retry", &id]);
    assert_ne!(code, 0, "a sent message is not sent again");
    assert!(err.contains("already sent"), "{err}");
    let unknown = uuid::Uuid::new_v4().to_string();
    let (code, _, err) = app.ferrid(&["outbox", "retry", &unknown]);
    assert_ne!(code, 0);
    assert!(err.contains(&unknown), "{err}");
    let (code, _, err) = app.ferrid(&["outbox", "retry", "nope"]);
    assert_ne!(code, 0);
    assert!(err.contains("`nope`"), "{err}");
}

#[tokio::test]
async fn config_check_shows_the_email_settings_without_the_smtp_password() {
    let cli = CliEnv::new().await;
    let env = [
        ("FERRID_DATABASE_URL", cli.database.url.as_str()),
        ("FERRID_MASTER_KEY", cli.key.as_str()),
        (
            "FERRID_EMAIL__SMTP_URL",
            "smtps://ada:hunter2@mail.example.com:465",
        ),
        ("FERRID_EMAIL__MAX_ATTEMPTS", "5"),
        ("FERRID_EMAIL__RETRY_BASE", "1m"),
    ];
    let out = run_ferrid(cli.dir.path(), &env, &["config", "check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("hunter2"), "{stdout}");
    assert!(
        stdout.contains("smtp_url = \"smtps://ada:(set)@mail.example.com:465\""),
        "{stdout}"
    );
    assert!(stdout.contains("max_attempts = 5"), "{stdout}");
    assert!(stdout.contains("retry_base = \"1m\""), "{stdout}");
    assert!(stdout.contains("max_age = \"1day\""), "{stdout}");

    for (key, value, named) in [
        (
            "FERRID_EMAIL__SMTP_URL",
            "http://ada:hunter2@mail.example.com",
            "email.smtp_url",
        ),
        ("FERRID_EMAIL__FROM", "not a mailbox", "email.from"),
        ("FERRID_EMAIL__MAX_ATTEMPTS", "0", "email.max_attempts"),
        ("FERRID_EMAIL__RETRY_BASE", "0s", "email.retry_base"),
    ] {
        let env = [
            ("FERRID_DATABASE_URL", cli.database.url.as_str()),
            ("FERRID_MASTER_KEY", cli.key.as_str()),
            (key, value),
        ];
        let out = run_ferrid(cli.dir.path(), &env, &["config", "check"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{key}: {stderr}");
        assert!(stderr.contains(named), "{stderr}");
        assert!(!stderr.contains("hunter2"), "{stderr}");
    }
}
