//! Provider calls: https only (http on loopback only), checked when the
//! connection is set and at start-up; redirects are never followed; the
//! hosted pages audit verifications with the client's address.

use ferrid::admin::sms_connection::{ConnectionChange, ProviderChoice, TestNumbers, set};
use ferrid::domain::ClientType;
use ferrid::sms::ConnectionSettings;
use ferrid::sms::connection::{ProviderSettings, seal_twilio_token};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{PHONE, RP_REDIRECT, TestApp, browser, spawn_app};

const SID: &str = "AC00000000000000000000000000000001";
const TOKEN: &str = "twilio-auth-token-0123456789";
const SERVICE: &str = "MG00000000000000000000000000000002";
const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn twilio(base_url: &str) -> ConnectionChange {
    ConnectionChange {
        provider: Some(ProviderChoice::Twilio),
        twilio_account_sid: Some(SID.into()),
        twilio_auth_token: Some(TOKEN.into()),
        twilio_messaging_service_sid: Some(SERVICE.into()),
        twilio_base_url: Some(base_url.into()),
        ..Default::default()
    }
}

async fn set_change(app: &TestApp, change: ConnectionChange) -> Result<(), String> {
    set(&app.db, &app.state.master_key, change, TestNumbers::Allowed)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn a_twilio_or_webhook_url_over_plain_http_is_refused_outside_loopback() {
    let app = spawn_app().await;
    let err = set_change(&app, twilio("http://api.twilio.example.com"))
        .await
        .unwrap_err();
    assert!(
        err.contains("http://api.twilio.example.com") && err.contains("https"),
        "{err}"
    );
    let err = set_change(
        &app,
        ConnectionChange {
            provider: Some(ProviderChoice::Webhook),
            webhook_url: Some("http://hooks.example.com/sms".into()),
            webhook_secret: Some(WEBHOOK_SECRET.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(err.contains("http://hooks.example.com/sms"), "{err}");
    assert_eq!(
        ferrid::admin::sms_connection::show(&app.db)
            .await
            .unwrap()
            .provider
            .name(),
        "outbox",
        "nothing saved"
    );
    set_change(&app, twilio("https://api.twilio.example.com"))
        .await
        .unwrap();
    set_change(&app, twilio("http://127.0.0.1:9"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_stored_http_provider_url_stops_the_start() {
    use ferrid::startup::{Application, MigrateOnStart};
    let app = spawn_app().await;
    let (mut connection, _) = ConnectionSettings::load(&app.db).await.unwrap();
    connection.provider = ProviderSettings::Twilio {
        account_sid: SID.into(),
        auth_token_enc: seal_twilio_token(&app.state.master_key, TOKEN).unwrap(),
        messaging_service_sid: Some(SERVICE.into()),
        from: None,
        base_url: "http://api.twilio.example.com".into(),
        timeout_secs: 5,
    };
    connection.save(&app.db).await.unwrap();
    let url = app.state.settings.database_url.as_str().to_owned();
    let mut raw = crate::helpers::test_settings(&url, 0);
    raw.master_key = Some(app.state.master_key.to_base64().into());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = Application::build_on(
        ferrid::config::Settings::from_raw(raw).unwrap(),
        listener,
        MigrateOnStart::No,
        ferrid::startup::Parts::default(),
    )
    .await
    .err()
    .expect("refused");
    assert!(
        err.to_string().contains("http://api.twilio.example.com"),
        "{err}"
    );
}

/// A server that must never be reached, and one that redirects to it.
async fn redirect_pair(status: u16) -> (MockServer, MockServer) {
    let target = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({ "sid": "SM1" })))
        .expect(0)
        .mount(&target)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&target)
        .await;
    let redirector = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(status)
                .insert_header("location", format!("{}/elsewhere", target.uri())),
        )
        .mount(&redirector)
        .await;
    (redirector, target)
}

async fn phone_form(app: &TestApp) -> reqwest::Response {
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let (_, _, res) = app.start_hosted(&client, PHONE).await;
    res
}

#[tokio::test]
async fn twilio_requests_do_not_follow_redirects() {
    let app = spawn_app().await;
    let (redirector, target) = redirect_pair(302).await;
    set_change(&app, twilio(&redirector.uri())).await.unwrap();
    let res = phone_form(&app).await;
    assert_eq!(res.status(), 502, "a redirect is a failed send");
    assert!(redirector.received_requests().await.unwrap().len() == 1);
    assert!(
        target.received_requests().await.unwrap().is_empty(),
        "the redirect's target was reached"
    );
}

#[tokio::test]
async fn webhook_requests_do_not_follow_redirects() {
    let app = spawn_app().await;
    let (redirector, target) = redirect_pair(307).await;
    set_change(
        &app,
        ConnectionChange {
            provider: Some(ProviderChoice::Webhook),
            webhook_url: Some(format!("{}/sms", redirector.uri())),
            webhook_secret: Some(WEBHOOK_SECRET.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let res = phone_form(&app).await;
    assert_eq!(res.status(), 502, "a redirect is a failed send");
    assert!(
        target.received_requests().await.unwrap().is_empty(),
        "the redirect's target was reached"
    );
}

#[tokio::test]
async fn hosted_verifications_are_audited_with_the_client_address() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    app.sign_in(
        &browser(),
        &app.authorize_url(&client.client_id, &[]),
        PHONE,
    )
    .await;
    let events = ferrid::store::audit_events::list_recent(&app.db, Some("otp.verified"), 5)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].details["flow"], "hosted");
    assert_eq!(events[0].ip.as_deref(), Some("127.0.0.1"));
}
