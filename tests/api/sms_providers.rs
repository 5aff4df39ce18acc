//! Real SMS providers against local fakes: Twilio (wiremock) and a webhook
//! receiver that checks the Standard Webhooks signature.

use std::time::Duration;

use base64::Engine;
use ferrid::admin::sms_connection::{ConnectionChange, ProviderChoice, TestNumbers, set};
use ferrid::domain::ClientType;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::helpers::{PHONE, RP_REDIRECT, TestApp, browser, location, param, spawn_app};

const SID: &str = "AC00000000000000000000000000000001";
const TOKEN: &str = "twilio-auth-token-0123456789";
const SERVICE: &str = "MG00000000000000000000000000000002";
const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async fn use_twilio(app: &TestApp, server: &MockServer, sender: Sender, timeout: Duration) {
    let (service, from) = match sender {
        Sender::Service => (Some(SERVICE.to_owned()), None),
        Sender::From => (None, Some("+15005550006".to_owned())),
    };
    set(
        &app.db,
        &app.state.master_key,
        ConnectionChange {
            provider: Some(ProviderChoice::Twilio),
            twilio_account_sid: Some(SID.into()),
            twilio_auth_token: Some(TOKEN.into()),
            twilio_messaging_service_sid: service,
            twilio_from: from,
            twilio_base_url: Some(server.uri()),
            timeout: Some(timeout),
            ..Default::default()
        },
        TestNumbers::Allowed,
    )
    .await
    .unwrap();
}

#[derive(Clone, Copy)]
enum Sender {
    Service,
    From,
}

fn twilio_path() -> String {
    format!("/2010-04-01/Accounts/{SID}/Messages.json")
}

fn form(request: &Request) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(&request.body).unwrap()
}

fn basic_auth() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TOKEN}"))
    )
}

/// Starts a sign-in and submits the phone number; returns the browser, its
/// CSRF token and the phone form's response.
async fn start_sign_in(app: &TestApp) -> (reqwest::Client, String, reqwest::Response) {
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let b = browser();
    let csrf = app
        .open_login(&b, &app.authorize_url(&client.client_id, &[]))
        .await;
    let res = app.submit_phone(&b, &csrf, PHONE).await;
    (b, csrf, res)
}

#[tokio::test]
async fn twilio_gets_the_exact_request_with_a_messaging_service_and_the_user_signs_in() {
    let app = spawn_app().await;
    let twilio = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(twilio_path()))
        .and(header("authorization", basic_auth().as_str()))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(serde_json::json!({ "sid": "SM123", "status": "queued" })),
        )
        .expect(1)
        .mount(&twilio)
        .await;
    use_twilio(&app, &twilio, Sender::Service, Duration::from_secs(5)).await;

    let (b, csrf, res) = start_sign_in(&app).await;
    assert_eq!(res.status(), 303);
    let requests = twilio.received_requests().await.unwrap();
    let fields = form(&requests[0]);
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(get("To").as_deref(), Some(PHONE));
    assert_eq!(get("MessagingServiceSid").as_deref(), Some(SERVICE));
    assert_eq!(get("From"), None);
    let body = get("Body").unwrap();
    assert!(
        body.starts_with("Welcome to Test Shop! Your verification code is: "),
        "{body}"
    );
    assert_eq!(
        requests[0].headers.get("content-type").unwrap(),
        "application/x-www-form-urlencoded"
    );

    let code = crate::helpers::extract_code(&body);
    let done = app.submit_code(&b, &csrf, &code).await;
    assert_eq!(done.status(), 303);
    assert!(param(&url::Url::parse(&location(&done)).unwrap(), "code").is_some());
    let events = ferrid::store::audit_events::list_recent(&app.db, Some("sms.sent"), 5)
        .await
        .unwrap();
    assert_eq!(events[0].details["provider"], "twilio");
    assert_eq!(events[0].details["provider_id"], "SM123");
    assert!(
        !events[0].subject.as_deref().unwrap().contains("7400123456"),
        "masked"
    );
}

#[tokio::test]
async fn twilio_gets_from_when_a_number_is_configured() {
    let app = spawn_app().await;
    let twilio = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(twilio_path()))
        .and(body_string_contains("From=%2B15005550006"))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({ "sid": "SM1" })))
        .expect(1)
        .mount(&twilio)
        .await;
    use_twilio(&app, &twilio, Sender::From, Duration::from_secs(5)).await;
    let (_, _, res) = start_sign_in(&app).await;
    assert_eq!(res.status(), 303);
    let fields = form(&twilio.received_requests().await.unwrap()[0]);
    assert!(!fields.iter().any(|(k, _)| k == "MessagingServiceSid"));
}

#[tokio::test]
async fn a_twilio_400_is_not_retried_and_the_user_sees_a_plain_message() {
    let app = spawn_app().await;
    let twilio = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(twilio_path()))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400
        })))
        .expect(1)
        .mount(&twilio)
        .await;
    use_twilio(&app, &twilio, Sender::Service, Duration::from_secs(5)).await;
    let (_, _, res) = start_sign_in(&app).await;
    assert_eq!(res.status(), 502);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("send a code to this number. Try again in a minute, or use another number"),
        "{page}"
    );
    assert!(
        !page.contains("21211") && !page.contains("not a valid phone number."),
        "no provider text"
    );
    let events = ferrid::store::audit_events::list_recent(&app.db, Some("sms.failed"), 5)
        .await
        .unwrap();
    assert_eq!(events[0].details["provider_code"], "21211");
}

#[tokio::test]
async fn a_twilio_500_is_retried_once_and_then_succeeds() {
    let app = spawn_app().await;
    let twilio = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(twilio_path()))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .expect(1)
        .mount(&twilio)
        .await;
    Mock::given(method("POST"))
        .and(path(twilio_path()))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({ "sid": "SM2" })))
        .expect(1)
        .mount(&twilio)
        .await;
    use_twilio(&app, &twilio, Sender::Service, Duration::from_secs(5)).await;
    let (_, _, res) = start_sign_in(&app).await;
    assert_eq!(res.status(), 303);
    assert_eq!(twilio.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_twilio_timeout_is_retried_once_then_reported() {
    let app = spawn_app().await;
    let twilio = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(twilio_path()))
        .respond_with(ResponseTemplate::new(201).set_delay(Duration::from_secs(3)))
        .mount(&twilio)
        .await;
    use_twilio(&app, &twilio, Sender::Service, Duration::from_secs(1)).await;
    let (_, _, res) = start_sign_in(&app).await;
    assert_eq!(res.status(), 502);
    assert_eq!(
        twilio.received_requests().await.unwrap().len(),
        2,
        "one try and one retry"
    );
}

#[tokio::test]
async fn the_webhook_gets_the_signed_userfront_payload_and_the_user_signs_in() {
    let app = spawn_app().await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sms"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&receiver)
        .await;
    set(
        &app.db,
        &app.state.master_key,
        ConnectionChange {
            provider: Some(ProviderChoice::Webhook),
            webhook_url: Some(format!("{}/sms", receiver.uri())),
            webhook_secret: Some(WEBHOOK_SECRET.into()),
            ..Default::default()
        },
        TestNumbers::Allowed,
    )
    .await
    .unwrap();
    let (b, csrf, res) = start_sign_in(&app).await;
    assert_eq!(res.status(), 303);

    let request = &receiver.received_requests().await.unwrap()[0];
    let id = request.headers.get("webhook-id").unwrap().to_str().unwrap();
    let timestamp = request
        .headers
        .get("webhook-timestamp")
        .unwrap()
        .to_str()
        .unwrap();
    let signature = request
        .headers
        .get("webhook-signature")
        .unwrap()
        .to_str()
        .unwrap();
    // Verify as a receiver would, with the secret.
    let key = ferrid::crypto::WebhookKey::parse(WEBHOOK_SECRET).unwrap();
    assert_eq!(
        signature,
        format!("v1,{}", key.sign(id, timestamp, &request.body))
    );
    assert!(id.starts_with("msg_"));
    let sent_at: i64 = timestamp.parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - sent_at).abs() < 60);

    let payload: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(payload["action"], "register");
    assert_eq!(payload["model"], "user");
    assert_eq!(payload["mode"], "live");
    let factor = &payload["factor"];
    assert_eq!(factor["strategy"], "verificationCode");
    assert_eq!(factor["channel"], "sms");
    assert_eq!(factor["phoneNumber"], PHONE);
    let code = factor["verificationCode"].as_str().unwrap().to_owned();
    assert!(factor["message"].as_str().unwrap().contains(&code));
    assert!(chrono::DateTime::parse_from_rfc3339(factor["expiresAt"].as_str().unwrap()).is_ok());
    for key in ["mode", "userId", "tenantId", "userUuid"] {
        assert!(payload["record"].get(key).is_some(), "record.{key}");
    }

    let done = app.submit_code(&b, &csrf, &code).await;
    assert_eq!(done.status(), 303);
    assert!(location(&done).starts_with(RP_REDIRECT));
}

#[tokio::test]
async fn a_failing_webhook_is_a_send_failure() {
    let app = spawn_app().await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(403))
        .expect(1)
        .mount(&receiver)
        .await;
    set(
        &app.db,
        &app.state.master_key,
        ConnectionChange {
            provider: Some(ProviderChoice::Webhook),
            webhook_url: Some(format!("{}/sms", receiver.uri())),
            webhook_secret: Some(WEBHOOK_SECRET.into()),
            ..Default::default()
        },
        TestNumbers::Allowed,
    )
    .await
    .unwrap();
    let (_, _, res) = start_sign_in(&app).await;
    assert_eq!(res.status(), 502);
}

#[tokio::test]
async fn a_connection_that_cannot_work_is_not_saved() {
    let app = spawn_app().await;
    let err = set(
        &app.db,
        &app.state.master_key,
        ConnectionChange {
            provider: Some(ProviderChoice::Twilio),
            twilio_account_sid: Some(SID.into()),
            ..Default::default()
        },
        TestNumbers::Allowed,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("auth-token"), "{err}");
    let err = set(
        &app.db,
        &app.state.master_key,
        ConnectionChange {
            provider: Some(ProviderChoice::Webhook),
            webhook_url: Some("http://hooks.example.com/sms".into()),
            webhook_secret: Some(WEBHOOK_SECRET.into()),
            ..Default::default()
        },
        TestNumbers::Allowed,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("https"), "{err}");
    let current = ferrid::admin::sms_connection::show(&app.db).await.unwrap();
    assert_eq!(current.provider.name(), "outbox", "nothing was saved");
}

#[tokio::test]
async fn the_providers_error_text_never_reaches_the_audit_log() {
    let app = spawn_app().await;
    let twilio = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "code": 21614, "message": "'To' number +447400123456 is not a valid mobile number", "status": 400
        })))
        .mount(&twilio)
        .await;
    use_twilio(&app, &twilio, Sender::Service, Duration::from_secs(5)).await;
    start_sign_in(&app).await;
    let events = ferrid::store::audit_events::list_recent(&app.db, Some("sms.failed"), 5)
        .await
        .unwrap();
    let recorded = serde_json::to_string(&events[0]).unwrap();
    assert!(recorded.contains("21614"));
    assert!(!recorded.contains("7400123456"), "{recorded}");
}
