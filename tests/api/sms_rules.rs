//! The SMS connection's rules over HTTP: languages, refusals, test numbers,
//! limits shared through Redis.

use ferrid::admin::sms_connection::{ConnectionChange, TestNumbers, set, set_template};
use ferrid::domain::{ClientType, GrantType, MessageUsage};
use ferrid::sms::TestNumber;

use crate::helpers::{
    PHONE, RP_REDIRECT, TestApp, browser, csrf_of, location, spawn_app, spawn_app_with,
};

/// Auth0's documented example: one template that branches on `request_language`.
const TWO_LANGUAGES: &str = "{% if request_language contains 'fr-FR' %}Bonjour, voici votre code {{ application.name }} : {{ code }}{% elsif request_language contains 'nl' %}Hallo, uw {{ application.name }} code is: {{ code }}{% else %}Your code is {{ code }}{% endif %}";

async fn change(app: &TestApp, change: ConnectionChange) {
    set(&app.db, &app.state.master_key, change, TestNumbers::Allowed)
        .await
        .unwrap();
}

fn last_body(app: &TestApp) -> String {
    app.sms.sent().pop().expect("a message").body
}

/// Opens the login page with extra authorize parameters and headers, and sends the phone form.
async fn send_with(
    app: &TestApp,
    extra: &[(&str, &str)],
    accept_language: Option<&str>,
    phone: &str,
) -> reqwest::Response {
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(lang) = accept_language {
        headers.insert("accept-language", lang.parse().unwrap());
    }
    let b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .default_headers(headers)
        .build()
        .unwrap();
    let csrf = app
        .open_login(&b, &app.authorize_url(&client.client_id, extra))
        .await;
    app.submit_phone(&b, &csrf, phone).await
}

#[tokio::test]
async fn the_two_language_template_follows_ui_locales_and_accept_language() {
    let app = spawn_app().await;
    set_template(&app.db, MessageUsage::Register, None, TWO_LANGUAGES)
        .await
        .unwrap();
    set_template(&app.db, MessageUsage::Login, None, TWO_LANGUAGES)
        .await
        .unwrap();

    assert_eq!(
        send_with(&app, &[("ui_locales", "fr-FR")], None, PHONE)
            .await
            .status(),
        303
    );
    assert!(last_body(&app).starts_with("Bonjour, voici votre code Test Shop : "));

    assert_eq!(
        send_with(&app, &[], Some("nl-NL,nl;q=0.9,en;q=0.5"), "+447400123457")
            .await
            .status(),
        303
    );
    assert!(last_body(&app).starts_with("Hallo, uw Test Shop code is: "));

    assert_eq!(
        send_with(&app, &[], Some("de"), "+447400123458")
            .await
            .status(),
        303
    );
    assert!(last_body(&app).starts_with("Your code is "));
}

#[tokio::test]
async fn the_two_language_template_follows_x_request_language_on_the_passwordless_api() {
    let app = spawn_app().await;
    set_template(&app.db, MessageUsage::Register, None, TWO_LANGUAGES)
        .await
        .unwrap();
    let client = app
        .register_with(ClientType::Public, &[RP_REDIRECT], |c| {
            c.grant_types = vec![GrantType::AuthorizationCode, GrantType::PasswordlessOtp]
        })
        .await;
    for (i, (header, expected)) in [
        ("nl", "Hallo, uw"),
        ("fr-FR", "Bonjour"),
        ("en", "Your code"),
    ]
    .into_iter()
    .enumerate()
    {
        // A number each: a second code to one number would wait for the cooldown.
        let phone = format!("+4474001234{}", i + 40);
        let res = reqwest::Client::new()
            .post(app.url("/passwordless/start"))
            .header("x-request-language", header)
            .header("accept-language", "de")
            .json(&serde_json::json!({ "client_id": client.client_id, "connection": "sms", "phone_number": phone, "send": "code" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        assert!(
            last_body(&app).starts_with(expected),
            "{header}: {}",
            last_body(&app)
        );
    }
}

#[tokio::test]
async fn per_language_templates_fall_back_from_region_to_language_to_default() {
    let app = spawn_app().await;
    set_template(
        &app.db,
        MessageUsage::Register,
        Some("fr"),
        "Votre code : {{ code }}",
    )
    .await
    .unwrap();
    send_with(&app, &[("ui_locales", "fr-CA")], None, PHONE).await;
    assert!(last_body(&app).starts_with("Votre code : "));
    send_with(&app, &[("ui_locales", "es")], None, "+447400123457").await;
    assert!(last_body(&app).starts_with("Welcome to Test Shop!"));
}

#[tokio::test]
async fn the_pages_speak_the_users_language_and_offer_a_switch() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let b = browser();
    b.get(app.authorize_url(&client.client_id, &[("ui_locales", "nl")]))
        .send()
        .await
        .unwrap();
    let page = b
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"<html lang="nl">"#), "{page}");
    assert!(page.contains("Telefoonnummer") && page.contains("Code versturen"));
    for lang in ["en", "fr", "es", "de"] {
        assert!(
            page.contains(&format!(r#"href="/login?lang={lang}""#)),
            "switch to {lang}"
        );
    }
    let switched = b
        .get(app.url("/login?lang=de"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(switched.contains(r#"<html lang="de">"#) && switched.contains("Telefonnummer"));
    // The choice sticks, and errors come in it too.
    let csrf = csrf_of(&switched);
    let res = app.submit_phone(&b, &csrf, "12345").await;
    let body = res.text().await.unwrap();
    assert!(body.contains("internationalen Format"), "{body}");

    // Accept-Language alone.
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    c.get(app.authorize_url(&client.client_id, &[]))
        .header("accept-language", "es-MX,es;q=0.8")
        .send()
        .await
        .unwrap();
    let page = c
        .get(app.url("/login"))
        .header("accept-language", "es-MX,es;q=0.8")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"<html lang="es">"#) && page.contains("Número de teléfono"));
}

#[tokio::test]
async fn numbers_outside_the_allowed_countries_are_refused_before_any_send() {
    let app = spawn_app().await;
    change(
        &app,
        ConnectionChange {
            allowed_countries: Some(vec!["FR".into(), "NL".into()]),
            ..Default::default()
        },
    )
    .await;
    let res = send_with(&app, &[], None, PHONE).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("in this country"));
    assert!(app.sms.sent().is_empty());
    assert_eq!(
        send_with(&app, &[], None, "+33612345678").await.status(),
        303
    );
}

#[tokio::test]
async fn premium_rate_and_landline_numbers_are_refused() {
    let app = spawn_app().await;
    let res = send_with(&app, &[], None, "+449098790000").await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("premium-rate numbers"));
    let res = send_with(&app, &[], None, "+442079460000").await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("landline numbers"));
    assert!(app.sms.sent().is_empty());
}

#[tokio::test]
async fn a_test_number_signs_in_with_its_fixed_code_sends_nothing_and_is_audited() {
    let app = spawn_app().await;
    change(
        &app,
        ConnectionChange {
            test_numbers: Some(vec![TestNumber {
                phone: "+15555550100".into(),
                code: "424242".into(),
            }]),
            ..Default::default()
        },
    )
    .await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let b = browser();
    let csrf = app
        .open_login(&b, &app.authorize_url(&client.client_id, &[]))
        .await;
    assert_eq!(
        app.submit_phone(&b, &csrf, "+1 555 555 0100")
            .await
            .status(),
        303
    );
    let done = app.submit_code(&b, &csrf, "424242").await;
    assert_eq!(done.status(), 303);
    assert!(location(&done).starts_with(RP_REDIRECT));
    assert!(app.sms.sent().is_empty(), "nothing sent");
    let events = ferrid::store::audit_events::list_recent(&app.db, Some("sms.test_number"), 5)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    let verified = ferrid::store::audit_events::list_recent(&app.db, Some("otp.verified"), 5)
        .await
        .unwrap();
    assert_eq!(verified.len(), 1);
}

#[tokio::test]
async fn test_numbers_stop_the_start_outside_dev_mode_unless_allowed() {
    use ferrid::config::Settings;
    use ferrid::startup::{Application, MigrateOnStart};
    let app = spawn_app().await;
    change(
        &app,
        ConnectionChange {
            test_numbers: Some(vec![TestNumber {
                phone: "+15555550100".into(),
                code: "424242".into(),
            }]),
            ..Default::default()
        },
    )
    .await;
    let url = app.state.settings.database_url.as_str().to_owned();
    let mut raw = crate::helpers::test_settings(&url, 0);
    raw.dev = false;
    raw.master_key = Some(app.state.master_key.to_base64().into());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = Application::build_on(
        Settings::from_raw(raw.clone()).unwrap(),
        listener,
        MigrateOnStart::No,
        ferrid::startup::Parts::default(),
    )
    .await
    .err()
    .expect("refused");
    assert!(err.to_string().contains("allow_test_numbers"), "{err}");
    raw.sms.allow_test_numbers = true;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    assert!(
        Application::build_on(
            Settings::from_raw(raw).unwrap(),
            listener,
            MigrateOnStart::No,
            ferrid::startup::Parts::default(),
        )
        .await
        .is_ok()
    );
}

#[tokio::test]
async fn the_global_ceiling_pauses_every_send() {
    let app = spawn_app_with(|s| s.otp.max_sends_per_minute = 2).await;
    assert_eq!(
        send_with(&app, &[], None, "+447400123451").await.status(),
        303
    );
    assert_eq!(
        send_with(&app, &[], None, "+33612345678").await.status(),
        303
    );
    let res = send_with(&app, &[], None, "+31612345678").await;
    assert_eq!(res.status(), 429);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("cannot be sent right now")
    );
    // Paused for everyone, not only for the third number.
    assert_eq!(
        send_with(&app, &[], None, "+447400123459").await.status(),
        429
    );
}

#[tokio::test]
async fn with_redis_two_instances_share_one_limit() {
    let prefix = format!("ferrid-test-{}:", uuid::Uuid::new_v4().simple());
    let configure = |p: String| {
        move |s: &mut ferrid::config::RawSettings| {
            s.redis_url = Some("redis://127.0.0.1:6379".to_owned().into());
            s.redis_prefix = p;
            s.otp.max_sends_per_phone_per_hour = 2;
            // Each instance here has its own database, where the cooldown lives.
            s.otp.resend_cooldown = ferrid::config::Span(std::time::Duration::ZERO);
        }
    };
    let one = spawn_app_with(configure(prefix.clone())).await;
    let two = spawn_app_with(configure(prefix)).await;
    assert_eq!(send_with(&one, &[], None, PHONE).await.status(), 303);
    assert_eq!(send_with(&two, &[], None, PHONE).await.status(), 303);
    let res = send_with(&one, &[], None, PHONE).await;
    assert_eq!(res.status(), 429, "the other instance's sends count");
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Too many codes were sent to this number")
    );
    assert_eq!(send_with(&two, &[], None, PHONE).await.status(), 429);
}

#[tokio::test]
async fn the_first_connection_can_come_from_the_configuration() {
    let receiver = wiremock::MockServer::start().await;
    let url = format!("{}/sms", receiver.uri());
    let app = spawn_app_with(|s| {
        s.sms.provider = "webhook".into();
        s.sms.webhook_url = Some(url.clone());
        s.sms.webhook_secret = Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned().into());
    })
    .await;
    let connection = ferrid::admin::sms_connection::show(&app.db).await.unwrap();
    assert_eq!(connection.provider.name(), "webhook");

    // A provider the configuration cannot make work stops the start, naming what is missing.
    let database = crate::helpers::TestDatabase::create().await;
    let mut raw = crate::helpers::test_settings(&database.url, 0);
    raw.sms.provider = "twilio".into();
    raw.sms.twilio_account_sid = Some("AC00000000000000000000000000000001".into());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let settings = ferrid::config::Settings::from_raw(raw).unwrap();
    let err = ferrid::startup::Application::build_on(
        settings,
        listener,
        ferrid::startup::MigrateOnStart::Yes,
        ferrid::startup::Parts::default(),
    )
    .await
    .err()
    .expect("refused");
    assert!(err.to_string().contains("sms.twilio_auth_token"), "{err}");
}

#[tokio::test]
async fn passwordless_verifications_are_audited_without_the_code() {
    let app = spawn_app().await;
    let client = app
        .register_with(ClientType::Public, &[RP_REDIRECT], |c| {
            c.grant_types = vec![GrantType::AuthorizationCode, GrantType::PasswordlessOtp]
        })
        .await;
    let http = reqwest::Client::new();
    http.post(app.url("/passwordless/start"))
        .json(&serde_json::json!({ "client_id": client.client_id, "connection": "sms", "phone_number": PHONE, "send": "code" }))
        .send()
        .await
        .unwrap();
    let code = app.sms.last_code(PHONE);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let res = http
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", ferrid::domain::PASSWORDLESS_OTP_GRANT),
            ("client_id", client.client_id.as_str()),
            ("username", PHONE),
            ("otp", wrong),
            ("realm", "sms"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let events = ferrid::store::audit_events::list_recent(&app.db, Some("otp.failed"), 5)
        .await
        .unwrap();
    assert_eq!(events[0].details["flow"], "passwordless");
    assert!(
        !events[0].details.to_string().contains(wrong)
            && !events[0].details.to_string().contains(&code)
    );
}
