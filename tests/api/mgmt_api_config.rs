//! The SMS connection and message templates over the management API:
//! secrets never read back, templates checked as the CLI checks them.

use serde_json::{Value, json};

use crate::helpers::{PHONE, spawn_app};
use crate::mgmt_api::{api_client, call, problem, subject_signing_in};

#[tokio::test]
async fn a_template_with_a_liquid_error_is_refused_with_its_line() {
    let app = spawn_app().await;
    let admin = api_client(&app, &["ferrid:config:write"]).await;
    let path = "/api/v1/templates/sms/login/default";
    let res = call(
        &app,
        "PUT",
        path,
        Some(&admin.token),
        Some(json!({ "source": "Hello\n{{ code " })),
    )
    .await;
    let body = problem(res, 422).await;
    assert_eq!(body["invalid_params"][0]["name"], "source:2", "{body}");
    let res = call(
        &app,
        "PUT",
        "/api/v1/templates/email/sign_in/en",
        Some(&admin.token),
        Some(json!({ "source": "no subject line" })),
    )
    .await;
    let body = problem(res, 422).await;
    assert_eq!(body["invalid_params"][0]["name"], "source:1", "{body}");
    problem(
        call(
            &app,
            "PUT",
            "/api/v1/templates/sms/bedtime/en",
            Some(&admin.token),
            Some(json!({ "source": "{{ code }}" })),
        )
        .await,
        404,
    )
    .await;

    let preview: Value = call(
        &app,
        "POST",
        "/api/v1/templates/preview",
        Some(&admin.token),
        Some(json!({ "channel": "sms", "source": "Code {{ code }} for {{ application.name }}" })),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(preview["body"].as_str().unwrap().starts_with("Code 123456"));

    // Saved, it is what the next code says (to a number new to ferrid).
    let res = call(
        &app,
        "PUT",
        "/api/v1/templates/sms/register/default",
        Some(&admin.token),
        Some(json!({ "source": "Managed: {{ code }}" })),
    )
    .await;
    assert_eq!(res.status(), 204);
    subject_signing_in(&app, PHONE).await;
    let sent = app.sms.sent_to(PHONE);
    assert!(
        sent.last().unwrap().body.starts_with("Managed: "),
        "{:?}",
        sent.last().unwrap().body
    );
}

#[tokio::test]
async fn the_sms_connections_secrets_are_written_but_never_read_back() {
    let app = spawn_app().await;
    let admin = api_client(&app, &["ferrid:config:write"]).await;
    let res = call(
        &app,
        "PATCH",
        "/api/v1/connections/sms",
        Some(&admin.token),
        Some(json!({
            "provider": "webhook",
            "webhook_url": "https://sms.example.com/send",
            "webhook_secret": "a-very-secret-webhook-key-0123456789",
        })),
    )
    .await;
    let text = res.text().await.unwrap();
    assert!(!text.contains("a-very-secret"), "{text}");
    let shown: Value = call(
        &app,
        "GET",
        "/api/v1/connections/sms",
        Some(&admin.token),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(shown["provider"]["provider"], "webhook", "{shown}");
    assert_eq!(shown["provider"]["secret"], "set");
    assert!(!shown.to_string().contains("a-very-secret"));
    let res = call(
        &app,
        "PATCH",
        "/api/v1/connections/sms",
        Some(&admin.token),
        Some(json!({ "otp_length": 99 })),
    )
    .await;
    problem(res, 422).await;
}
