//! The dashboard's SMS connection (with "Send test message"), outbox and
//! signing keys pages.

use ferrid::admin::admins::{self, AdminRole, AdminTarget};
use ferrid::admin::sms_connection::{self, ConnectionChange, ProviderChoice, TestNumbers};
use ferrid::domain::{EmailUsage, OutboxStatus};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{ADMIN_PHONE, dashboard_sign_in, events, grant, post, signed_in_admin, user_with_totp};
use crate::email::{TO, phone_changed, spawn_app_with_smtp};
use crate::helpers::{TestApp, location, spawn_app};
use crate::smtp_server::SmtpServer;

const PAGES: [&str; 3] = ["/admin/connection", "/admin/outbox", "/admin/keys"];
const SID: &str = "AC00000000000000000000000000000001";
const TOKEN: &str = "twilio-auth-token-0123456789";

async fn page(app: &TestApp, b: &reqwest::Client, path: &str) -> String {
    let res = b.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.unwrap()
}

/// The connection form with the stored connection's code rules, changed
/// by `fields`.
fn connection_form<'a>(csrf: &'a str, fields: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("csrf", csrf),
        ("provider", "outbox"),
        ("otp_length", "6"),
        ("otp_ttl", "600"),
        ("max_attempts", "10"),
        ("allowed_countries", ""),
        ("test_numbers", ""),
    ];
    for (name, value) in fields {
        form.retain(|(n, _)| n != name);
        form.push((name, value));
    }
    form
}

/// Twilio at `server`, as `ferrid connection sms set` would store it.
async fn use_twilio(app: &TestApp, server: &MockServer) {
    sms_connection::set(
        &app.db,
        &app.state.master_key,
        ConnectionChange {
            provider: Some(ProviderChoice::Twilio),
            twilio_account_sid: Some(SID.into()),
            twilio_auth_token: Some(TOKEN.into()),
            twilio_from: Some("+15005550006".into()),
            twilio_base_url: Some(server.uri()),
            ..Default::default()
        },
        TestNumbers::Allowed,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn the_pages_render_for_an_admin_and_are_refused_to_a_non_admin() {
    let app = spawn_app().await;
    let (id, secret) = user_with_totp(&app, ADMIN_PHONE).await;
    for path in PAGES {
        grant(&app, id).await;
        let (b, res) = dashboard_sign_in(&app, ADMIN_PHONE, &secret).await;
        assert_eq!(location(&res), "/admin");
        let html = page(&app, &b, path).await;
        assert!(
            html.contains(&format!(r#"href="{path}" aria-current="page""#)),
            "{html}"
        );
        admins::set_role(
            &app.db,
            &AdminTarget::User(id),
            AdminRole::Revoked,
            app.now(),
        )
        .await
        .unwrap();
        let res = b.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 403, "{path}");
    }
}

#[tokio::test]
async fn a_connection_change_is_saved_and_audited_with_the_admin() {
    let app = spawn_app().await;
    let (b, id, csrf) = signed_in_admin(&app).await;
    let form = connection_form(
        &csrf,
        &[
            ("otp_length", "8"),
            ("otp_ttl", "300"),
            ("max_attempts", "5"),
            ("allowed_countries", "gb, FR"),
        ],
    );
    let res = post(&app, &b, "/admin/connection", &form).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("Connection saved"), "{html}");
    let saved = sms_connection::show(&app.db).await.unwrap();
    assert_eq!(saved.otp_length, 8);
    assert_eq!(saved.otp_ttl_secs, 300);
    assert_eq!(saved.max_attempts, 5);
    assert_eq!(saved.allowed_countries, vec!["GB", "FR"]);
    let changed = events(&app, "admin.sms_connection.changed").await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].actor.as_deref(), Some(id.to_string().as_str()));
    // The page shows what is now stored.
    let html = page(&app, &b, "/admin/connection").await;
    assert!(html.contains(r#"value="GB, FR""#), "{html}");
}

#[tokio::test]
async fn a_bad_value_is_refused_with_the_form_shown_again_and_nothing_changes() {
    let app = spawn_app().await;
    let (b, _, csrf) = signed_in_admin(&app).await;
    let before = sms_connection::show(&app.db).await.unwrap();
    for (field, value, problem) in [
        ("otp_length", "3", "between 4 and 10"),
        ("max_attempts", "many", "not a whole number"),
        ("allowed_countries", "GB, Narnia", "not an ISO 3166 region"),
        ("provider", "carrier-pigeon", "not a provider"),
    ] {
        let form = connection_form(&csrf, &[(field, value)]);
        let res = post(&app, &b, "/admin/connection", &form).await;
        assert_eq!(res.status(), 400, "{field}");
        let html = res.text().await.unwrap();
        assert!(html.contains(r#"id="connection-problems""#), "{html}");
        assert!(html.contains(problem), "{field}: {html}");
        assert!(html.contains(r#"action="/admin/connection""#));
    }
    assert_eq!(sms_connection::show(&app.db).await.unwrap(), before);
    assert!(
        events(&app, "admin.sms_connection.changed")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_credential_is_never_rendered_back() {
    let app = spawn_app().await;
    let (b, _, csrf) = signed_in_admin(&app).await;
    let form = connection_form(
        &csrf,
        &[
            ("provider", "twilio"),
            ("twilio_account_sid", SID),
            ("twilio_auth_token", TOKEN),
            ("twilio_from", "+15005550006"),
        ],
    );
    let res = post(&app, &b, "/admin/connection", &form).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(!html.contains(TOKEN), "{html}");
    assert!(html.contains(SID));
    let html = page(&app, &b, "/admin/connection").await;
    assert!(!html.contains(TOKEN), "{html}");
    assert!(html.contains("Set. Type a new one to replace it"), "{html}");
    // Nor when a change is refused: the field comes back empty.
    let form = connection_form(
        &csrf,
        &[
            ("provider", "twilio"),
            ("twilio_auth_token", "another-token-0123456789"),
            ("twilio_from", "not a number"),
        ],
    );
    let res = post(&app, &b, "/admin/connection", &form).await;
    assert_eq!(res.status(), 400);
    let html = res.text().await.unwrap();
    assert!(!html.contains("another-token-0123456789"), "{html}");
    assert!(!html.contains(TOKEN));
    // An empty field kept the stored token.
    let form = connection_form(&csrf, &[("provider", "twilio"), ("otp_ttl", "120")]);
    let res = post(&app, &b, "/admin/connection", &form).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(
        sms_connection::show(&app.db).await.unwrap().otp_ttl_secs,
        120
    );
}

#[tokio::test]
async fn a_test_message_reaches_the_sms_sender_and_the_page_shows_the_answer() {
    let app = spawn_app().await;
    let (b, id, csrf) = signed_in_admin(&app).await;
    let to = "+447400999888";
    let res = post(
        &app,
        &b,
        "/admin/connection/test",
        &[("csrf", &csrf), ("to", to)],
    )
    .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"id="test-answer""#), "{html}");
    assert!(html.contains("outbox accepted the message"), "{html}");
    assert_eq!(app.sms.sent_to(to).len(), 1);
    let sent = events(&app, "sms.test_send").await;
    assert_eq!(sent[0].actor.as_deref(), Some(id.to_string().as_str()));
    assert!(!sent[0].details.to_string().contains(to), "masked only");

    // Not a number: said, and nothing sent.
    let count = app.sms.sent().len();
    let res = post(
        &app,
        &b,
        "/admin/connection/test",
        &[("csrf", &csrf), ("to", "12ab")],
    )
    .await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains(r#"id="test-problem""#));
    assert_eq!(app.sms.sent().len(), count);
}

#[tokio::test]
async fn the_test_message_shows_the_providers_id_or_its_error() {
    let app = spawn_app().await;
    let (b, _, csrf) = signed_in_admin(&app).await;
    let twilio = MockServer::start().await;
    let messages = format!("/2010-04-01/Accounts/{SID}/Messages.json");
    Mock::given(method("POST"))
        .and(path(messages.as_str()))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(serde_json::json!({ "sid": "SM123" })),
        )
        .up_to_n_times(1)
        .mount(&twilio)
        .await;
    Mock::given(method("POST"))
        .and(path(messages.as_str()))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400
        })))
        .mount(&twilio)
        .await;
    use_twilio(&app, &twilio).await;
    let form = [("csrf", csrf.as_str()), ("to", "+447400999888")];
    let res = post(&app, &b, "/admin/connection/test", &form).await;
    let html = res.text().await.unwrap();
    assert!(
        html.contains("twilio accepted the message (id: SM123)"),
        "{html}"
    );
    let res = post(&app, &b, "/admin/connection/test", &form).await;
    let html = res.text().await.unwrap();
    assert!(html.contains("twilio refused the message"), "{html}");
    assert!(html.contains("21211"), "{html}");
    assert!(!html.contains(TOKEN));
}

#[tokio::test]
async fn outbox_abandon_and_retry_change_the_row() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp, |_| {}).await;
    smtp.stop().await;
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
    let (b, admin, csrf) = signed_in_admin(&app).await;

    let html = page(&app, &b, "/admin/outbox").await;
    assert!(html.contains(&format!(r#"id="outbox-{id}""#)), "{html}");
    assert!(html.contains("a•••@example.com"), "{html}");
    assert!(!html.contains(TO), "the address is masked");
    assert!(!html.contains("Firefox on Linux"), "no message body");

    let res = post(
        &app,
        &b,
        &format!("/admin/outbox/{id}/abandon"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/admin/outbox?notice=abandoned");
    assert_eq!(app.outbox_message(id).await.status, OutboxStatus::Abandoned);
    let abandoned = events(&app, "admin.outbox.abandoned").await;
    assert_eq!(
        abandoned[0].actor.as_deref(),
        Some(admin.to_string().as_str())
    );
    // Twice: refused, and said so.
    let res = post(
        &app,
        &b,
        &format!("/admin/outbox/{id}/abandon"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(res.status(), 409);

    let res = post(
        &app,
        &b,
        &format!("/admin/outbox/{id}/retry"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(res.status(), 303);
    let again = app.outbox_message(id).await;
    assert_eq!(again.status, OutboxStatus::Queued);
    assert_eq!(again.attempts, 0);
    assert_eq!(events(&app, "admin.outbox.retried").await.len(), 1);

    let res = post(
        &app,
        &b,
        "/admin/outbox/not-an-id/retry",
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(res.status(), 404);
    let res = post(
        &app,
        &b,
        &format!("/admin/outbox/{id}/retry"),
        &[("csrf", "forged")],
    )
    .await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn key_rotation_adds_a_key_and_is_audited() {
    let app = spawn_app().await;
    let (b, id, csrf) = signed_in_admin(&app).await;
    let before = ferrid::oidc::keys::list_keys(&app.db, app.now())
        .await
        .unwrap();
    let html = page(&app, &b, "/admin/keys").await;
    assert!(html.contains(&before[0].0.kid), "{html}");
    let res = post(&app, &b, "/admin/keys/rotate", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/admin/keys?notice=rotated");
    let after = ferrid::oidc::keys::list_keys(&app.db, app.now())
        .await
        .unwrap();
    assert_eq!(after.len(), before.len() + 1);
    let new = after
        .iter()
        .find(|(k, _)| before.iter().all(|(b, _)| b.kid != k.kid))
        .unwrap();
    assert_eq!(new.1.as_str(), "next", "it signs after the publish lead");
    let html = page(&app, &b, "/admin/keys?notice=rotated").await;
    assert!(html.contains(&new.0.kid), "{html}");
    let rotated = events(&app, "admin.keys.rotated").await;
    assert_eq!(rotated[0].actor.as_deref(), Some(id.to_string().as_str()));
}
