//! `/dev/mail`: dev mode keeps mail and lists it, newest first.

use ferrid::domain::{EmailUsage, OutboxStatus};

use super::{TO, code_vars, phone_changed, spawn_app_with_smtp};
use crate::helpers::spawn_app_with;
use crate::smtp_server::SmtpServer;

#[tokio::test]
async fn dev_mode_without_smtp_keeps_mail_and_lists_it_as_html_and_json() {
    let app = spawn_app_with(super::quiet_worker).await;
    let first = app
        .queue_mail(
            TO,
            EmailUsage::FactorAdded,
            "en",
            &phone_changed(&app),
            None,
        )
        .await;
    app.wait_for_status(first, OutboxStatus::Sent).await;
    app.advance(std::time::Duration::from_secs(1));
    let second = app
        .queue_mail(
            "bob@example.com",
            EmailUsage::Reauth,
            "de",
            &code_vars(&app),
            None,
        )
        .await;
    app.wait_for_status(second, OutboxStatus::Sent).await;

    let res = app
        .client
        .get(app.url("/dev/mail"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["to"], "bob@example.com", "newest first");
    assert_eq!(messages[0]["subject"], "Dein Sicherheitscode: 123456");
    assert!(messages[0]["text"].as_str().unwrap().contains("123456"));
    assert!(
        messages[0]["html"]
            .as_str()
            .unwrap()
            .contains("<html lang=\"de\">")
    );
    assert_eq!(messages[1]["to"], TO);
    assert_eq!(messages[1]["status"], "sent");

    let page = app.get("/dev/mail").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Dein Sicherheitscode: 123456"), "{html}");
    assert!(html.contains(TO));
    // The HTML part is shown as source, escaped, never rendered into the page.
    assert!(html.contains("&lt;html lang=&quot;de&quot;&gt;") || html.contains("&#60;html"));
    assert!(
        html.find("bob@example.com").unwrap() < html.find(TO).unwrap(),
        "newest first"
    );
}

#[tokio::test]
async fn dev_mode_with_smtp_sends_and_still_lists_the_mail() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp, |_| {}).await;
    app.queue_mail(
        TO,
        EmailUsage::FactorRemoved,
        "nl",
        &phone_changed(&app),
        None,
    )
    .await;
    let got = smtp.wait_for(1).await;
    assert!(got[0].subject().starts_with("Inlogmethode verwijderd"));
    let body: serde_json::Value = app
        .client
        .get(app.url("/dev/mail"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["messages"][0]["subject"], got[0].subject());
    assert_eq!(body["messages"][0]["to"], TO);
}
