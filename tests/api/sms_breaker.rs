//! A provider that fails every request trips the provider breaker: after N
//! consecutive failures it is no longer called, the user is told to try
//! again in a minute, and after the cooldown one probe decides.

use std::time::Duration;

use ferrid::admin::sms_connection::{ConnectionChange, ProviderChoice, TestNumbers, set};
use ferrid::domain::{ClientType, GrantType};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{RP_REDIRECT, TestApp, TestClient, browser, spawn_app_with};

const SID: &str = "AC00000000000000000000000000000001";

async fn use_twilio(app: &TestApp, server: &MockServer) {
    set(
        &app.db,
        &app.state.master_key,
        ConnectionChange {
            provider: Some(ProviderChoice::Twilio),
            twilio_account_sid: Some(SID.into()),
            twilio_auth_token: Some("twilio-auth-token-0123456789".into()),
            twilio_messaging_service_sid: Some("MG00000000000000000000000000000002".into()),
            twilio_base_url: Some(server.uri()),
            timeout: Some(Duration::from_secs(2)),
            ..Default::default()
        },
        TestNumbers::Allowed,
    )
    .await
    .unwrap();
}

async fn mount(server: &MockServer, status: u16) {
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(status).set_body_json(serde_json::json!({ "sid": "SM1" })),
        )
        .mount(server)
        .await;
}

/// Posts the phone form for a new sign-in: the status and the page.
async fn send(app: &TestApp, client: &TestClient, phone: &str) -> (u16, String) {
    let b = browser();
    let csrf = app
        .open_login(&b, &app.authorize_url(&client.client_id, &[]))
        .await;
    let res = app.submit_phone(&b, &csrf, phone).await;
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn calls(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn a_failing_provider_trips_the_breaker_then_one_probe_after_the_cooldown_closes_it() {
    let app = spawn_app_with(|s| {
        s.sms.breaker_failures = 3;
        s.sms.breaker_cooldown = ferrid::config::Span(Duration::from_secs(60));
        s.otp.max_sends_per_ip_per_hour = 1000;
        s.otp.max_sends_per_network_per_hour = 1000;
    })
    .await;
    let client = app
        .register_with(ClientType::Confidential, &[RP_REDIRECT], |c| {
            c.grant_types = vec![GrantType::AuthorizationCode, GrantType::PasswordlessOtp];
        })
        .await;
    let twilio = MockServer::start().await;
    mount(&twilio, 500).await;
    use_twilio(&app, &twilio).await;

    // Three sends fail (each tried twice by the sender): the breaker opens.
    for n in 0..3 {
        let (status, _) = send(&app, &client, &format!("+44740030000{n}")).await;
        assert_eq!(status, 502);
    }
    assert_eq!(calls(&twilio).await, 6);

    // Open: the provider is not called, the user is told to wait a minute.
    for n in 3..8 {
        let (status, page) = send(&app, &client, &format!("+44740030000{n}")).await;
        assert_eq!(status, 502);
        assert!(page.contains("Try again in a minute"), "{page}");
    }
    let api = reqwest::Client::new()
        .post(app.url("/passwordless/start"))
        .json(&serde_json::json!({
            "client_id": client.client_id,
            "client_secret": client.secret,
            "connection": "sms",
            "phone_number": "+447400300010",
            "send": "code",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 503);
    assert!(api.headers().contains_key("retry-after"));
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("try again in a minute"),
        "{body}"
    );
    assert_eq!(
        calls(&twilio).await,
        6,
        "nothing reaches the provider while open"
    );

    // Just before the cooldown ends nothing is let through; after it, one
    // probe, which fails, so the breaker opens again.
    app.advance(Duration::from_secs(59));
    assert_eq!(send(&app, &client, "+447400300009").await.0, 502);
    assert_eq!(calls(&twilio).await, 6, "still open");
    app.advance(Duration::from_secs(1));
    assert_eq!(send(&app, &client, "+447400300011").await.0, 502);
    assert_eq!(calls(&twilio).await, 8, "one probe (and its retry)");
    assert_eq!(send(&app, &client, "+447400300012").await.0, 502);
    assert_eq!(calls(&twilio).await, 8, "open again");

    // The provider recovers: the next probe succeeds and closes the breaker.
    mount(&twilio, 201).await;
    app.advance(Duration::from_secs(60));
    assert_eq!(send(&app, &client, "+447400300013").await.0, 303);
    assert_eq!(send(&app, &client, "+447400300014").await.0, 303);
    assert_eq!(send(&app, &client, "+447400300015").await.0, 303);
    assert_eq!(calls(&twilio).await, 3, "closed: every send goes out");
}
