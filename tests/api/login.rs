//! The hosted SMS login and the OTP engine's rules over HTTP.

use ferrid::config::Span;
use ferrid::domain::ClientType;
use std::time::Duration;

use crate::helpers::{PHONE, RP_REDIRECT, TestApp, browser, location, spawn_app, spawn_app_with};

/// A browser at the code page: returns it and its CSRF token.
async fn at_code_page(app: &TestApp) -> (reqwest::Client, String) {
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let b = browser();
    let csrf = app
        .open_login(&b, &app.authorize_url(&client.client_id, &[]))
        .await;
    let res = app.submit_phone(&b, &csrf, PHONE).await;
    assert_eq!(res.status(), 303);
    (b, csrf)
}

fn wrong(code: &str) -> String {
    // A different 6-digit code.
    let first = code.as_bytes()[0];
    let other = if first == b'9' { b'0' } else { first + 1 };
    format!("{}{}", other as char, &code[1..])
}

#[tokio::test]
async fn the_pages_use_the_right_input_attributes_and_csrf_tokens() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let b = browser();
    b.get(app.authorize_url(&client.client_id, &[]))
        .send()
        .await
        .unwrap();
    let phone_page = b.get(app.url("/login")).send().await.unwrap();
    assert_eq!(phone_page.headers()["cache-control"], "no-store");
    let html = phone_page.text().await.unwrap();
    assert!(html.contains(r#"type="tel" autocomplete="tel""#), "{html}");
    assert!(html.contains(r#"name="phone""#));
    assert!(
        html.contains("Test Shop"),
        "the application's name is shown"
    );
    assert!(html.contains(r#"name="csrf""#));
    let csrf = crate::helpers::csrf_of(&html);
    app.submit_phone(&b, &csrf, PHONE).await;
    let code_page = b
        .get(app.url("/login/code"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        code_page.contains(r#"autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]*""#),
        "{code_page}"
    );
    assert!(code_page.contains(r#"name="code""#));
    assert!(
        code_page.contains("+44 ••••••••56"),
        "the masked number is shown"
    );
    assert!(!code_page.contains("7400123456"), "never the full number");
    assert!(code_page.contains("Send a new code"));
    assert!(code_page.contains("Use a different number"));
    assert!(
        code_page.contains("You can request a new code in"),
        "the cooldown is visible"
    );
    let countdown = countdown_seconds(&code_page);
    assert!(
        countdown.is_some_and(|secs| secs > 0),
        "the countdown the script reads: {code_page}"
    );
}

/// The seconds in `<span data-countdown="N">N</span> seconds.`, the markup
/// static/login.js counts down.
fn countdown_seconds(page: &str) -> Option<u64> {
    let start = page.find("<span data-countdown=\"")? + "<span data-countdown=\"".len();
    let rest = &page[start..];
    let (secs, rest) = rest.split_once("\">")?;
    let (shown, rest) = rest.split_once("</span>")?;
    (secs == shown && rest.starts_with(" seconds.")).then(|| secs.parse().ok())?
}

#[tokio::test]
async fn a_wrong_code_says_how_many_attempts_remain() {
    let app = spawn_app().await;
    let (b, csrf) = at_code_page(&app).await;
    let code = app.sms.last_code(PHONE);
    let res = app.submit_code(&b, &csrf, &wrong(&code)).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("9 attempts left"));
    let res = app.submit_code(&b, &csrf, &wrong(&code)).await;
    assert!(res.text().await.unwrap().contains("8 attempts left"));
    let res = app.submit_code(&b, &csrf, &code).await;
    assert_eq!(res.status(), 303, "the right code still works");
    assert!(location(&res).starts_with(RP_REDIRECT));
}

#[tokio::test]
async fn the_eleventh_attempt_is_refused_even_with_the_right_code() {
    let app = spawn_app().await;
    let (b, csrf) = at_code_page(&app).await;
    let code = app.sms.last_code(PHONE);
    for _ in 0..10 {
        assert_eq!(
            app.submit_code(&b, &csrf, &wrong(&code)).await.status(),
            400
        );
    }
    let res = app.submit_code(&b, &csrf, &code).await;
    assert_eq!(res.status(), 400);
    let body = res.text().await.unwrap();
    assert!(body.contains("Too many wrong codes"), "{body}");
    assert!(body.contains("Send a new code"), "a new code is offered");
}

#[tokio::test]
async fn an_expired_code_is_refused_and_a_new_one_offered() {
    let app = spawn_app_with(|s| s.otp.ttl = Span(Duration::from_secs(120))).await;
    let (b, csrf) = at_code_page(&app).await;
    let code = app.sms.last_code(PHONE);
    app.advance(Duration::from_secs(120));
    let res = app.submit_code(&b, &csrf, &code).await;
    assert_eq!(res.status(), 400);
    let body = res.text().await.unwrap();
    assert!(body.contains("expired"), "{body}");
    assert!(body.contains("Send a new code"));
}

#[tokio::test]
async fn a_used_code_cannot_be_used_again() {
    let app = spawn_app().await;
    let (b, csrf) = at_code_page(&app).await;
    let code = app.sms.last_code(PHONE);
    assert_eq!(app.submit_code(&b, &csrf, &code).await.status(), 303);
    // Replaying the same form: the sign-in is over.
    let res = app.submit_code(&b, &csrf, &code).await;
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());

    // And at the engine: a consumed challenge answers AlreadyUsed.
    let phone = ferrid::domain::PhoneNumber::parse(PHONE, None).unwrap();
    let issued = app
        .state
        .otp
        .issue(
            &app.db,
            ferrid::otp::IssueRequest {
                purpose: ferrid::otp::Purpose::Login,
                recipient: &ferrid::domain::Recipient::Phone(phone.clone()),
                client_id: None,
                ip: None,
                policy: &policy(),
                source: ferrid::otp::CodeSource::Random,
            },
        )
        .await
        .unwrap();
    let first = app
        .state
        .otp
        .verify(&app.db, issued.challenge_id, &issued.code)
        .await
        .unwrap();
    assert!(matches!(first, ferrid::otp::VerifyOutcome::Verified { .. }));
    let second = app
        .state
        .otp
        .verify(&app.db, issued.challenge_id, &issued.code)
        .await
        .unwrap();
    assert_eq!(second, ferrid::otp::VerifyOutcome::AlreadyUsed);
}

#[tokio::test]
async fn a_resend_within_the_cooldown_is_refused() {
    let app = spawn_app().await;
    let (b, csrf) = at_code_page(&app).await;
    let res = app.submit_csrf(&b, "/login/resend", &csrf).await;
    assert_eq!(res.status(), 429);
    let body = res.text().await.unwrap();
    assert!(body.contains("A new code can be requested in"), "{body}");
    assert_eq!(app.sms.sent_to(PHONE).len(), 1, "nothing more was sent");
}

#[tokio::test]
async fn a_resend_after_the_cooldown_invalidates_the_previous_code() {
    let app = spawn_app_with(|s| s.otp.resend_cooldown = Span(Duration::ZERO)).await;
    let (b, csrf) = at_code_page(&app).await;
    let old = app.sms.last_code(PHONE);
    let res = app.submit_csrf(&b, "/login/resend", &csrf).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login/code?sent=1");
    assert_eq!(app.sms.sent_to(PHONE).len(), 2);
    let new = app.sms.last_code(PHONE);
    if old != new {
        assert_eq!(
            app.submit_code(&b, &csrf, &old).await.status(),
            400,
            "the old code is dead"
        );
    }
    assert_eq!(app.submit_code(&b, &csrf, &new).await.status(), 303);
}

#[tokio::test]
async fn the_send_limit_per_phone_number_is_enforced() {
    let app = spawn_app_with(|s| {
        s.otp.max_sends_per_phone_per_hour = 2;
        s.otp.resend_cooldown = Span(Duration::ZERO);
    })
    .await;
    let (b, csrf) = at_code_page(&app).await;
    assert_eq!(
        app.submit_csrf(&b, "/login/resend", &csrf).await.status(),
        303
    );
    let res = app.submit_csrf(&b, "/login/resend", &csrf).await;
    assert_eq!(res.status(), 429);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Too many codes were sent to this number")
    );
    assert_eq!(app.sms.sent_to(PHONE).len(), 2);
    // A fresh sign-in for the same number is held to the same limit.
    let (_, _) = (b, csrf);
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let other = browser();
    let csrf = app
        .open_login(&other, &app.authorize_url(&client.client_id, &[]))
        .await;
    assert_eq!(app.submit_phone(&other, &csrf, PHONE).await.status(), 429);
}

#[tokio::test]
async fn the_send_limit_per_ip_is_enforced() {
    let app = spawn_app_with(|s| s.otp.max_sends_per_ip_per_hour = 2).await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    for (i, phone) in ["+447400123451", "+447400123452", "+447400123453"]
        .iter()
        .enumerate()
    {
        let b = browser();
        let csrf = app
            .open_login(&b, &app.authorize_url(&client.client_id, &[]))
            .await;
        let res = app.submit_phone(&b, &csrf, phone).await;
        if i < 2 {
            assert_eq!(res.status(), 303);
        } else {
            assert_eq!(res.status(), 429);
            assert!(res.text().await.unwrap().contains("from this network"));
        }
    }
}

#[tokio::test]
async fn a_malformed_phone_number_is_re_rendered_with_a_message() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let b = browser();
    let csrf = app
        .open_login(&b, &app.authorize_url(&client.client_id, &[]))
        .await;
    for (input, message) in [
        ("12345", "country code"),
        ("+44 7700 900123", "not a valid phone number"),
    ] {
        let res = app.submit_phone(&b, &csrf, input).await;
        assert_eq!(res.status(), 400);
        let body = res.text().await.unwrap();
        assert!(body.contains(message), "{input}: {body}");
        assert!(
            body.contains(&format!("value=\"{input}\"")),
            "the input is kept"
        );
        assert!(body.contains(r#"type="tel""#), "the form is shown again");
    }
    assert!(app.sms.sent().is_empty(), "nothing sent");
}

#[tokio::test]
async fn a_missing_csrf_token_is_refused_and_nothing_is_sent() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let b = browser();
    app.open_login(&b, &app.authorize_url(&client.client_id, &[]))
        .await;
    let res = b
        .post(app.url("/login/phone"))
        .form(&[("phone", PHONE)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = app.submit_phone(&b, "forged", PHONE).await;
    assert_eq!(res.status(), 403);
    assert_eq!(app.sms.sent_to(PHONE).len(), 0);
}

#[tokio::test]
async fn use_a_different_number_goes_back_to_the_phone_page() {
    let app = spawn_app().await;
    let (b, csrf) = at_code_page(&app).await;
    let res = app.submit_csrf(&b, "/login/restart", &csrf).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login");
    let res = b.get(app.url("/login/code")).send().await.unwrap();
    assert_eq!(res.status(), 303, "no code page without a challenge");
}

#[tokio::test]
async fn without_a_login_transaction_the_pages_say_the_sign_in_expired() {
    let app = spawn_app().await;
    let res = app.get("/login").await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("expired"));
}

#[tokio::test]
async fn codes_are_stored_only_as_an_hmac_of_the_challenge_id_and_code() {
    let app = spawn_app().await;
    let phone = ferrid::domain::PhoneNumber::parse(PHONE, None).unwrap();
    let issued = app
        .state
        .otp
        .issue(
            &app.db,
            ferrid::otp::IssueRequest {
                purpose: ferrid::otp::Purpose::Login,
                recipient: &ferrid::domain::Recipient::Phone(phone.clone()),
                client_id: None,
                ip: None,
                policy: &policy(),
                source: ferrid::otp::CodeSource::Random,
            },
        )
        .await
        .unwrap();
    let stored = ferrid::store::otp_challenges::find_by_id(&app.db, issued.challenge_id)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(stored.code_hmac, issued.code.as_str());
    assert!(!stored.code_hmac.contains(issued.code.as_str()));
    let pepper = ferrid::crypto::Pepper::new(app.state.master_key.derive("otp-pepper"));
    let expected = pepper.mac_hex(&[
        issued.challenge_id.as_bytes(),
        issued.code.as_str().as_bytes(),
    ]);
    assert_eq!(stored.code_hmac, expected);
    // Valid ten minutes by default.
    let ttl = stored.expires_at - stored.last_sent_at;
    assert_eq!(ttl.num_seconds(), 600);
    assert_eq!(stored.max_attempts, 10);
}

fn policy() -> ferrid::otp::CodePolicy {
    ferrid::otp::CodePolicy {
        length: 6,
        ttl: Duration::from_secs(600),
        max_attempts: 10,
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_per_ip_limits_count_the_forwarded_address() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = "127.0.0.1".into();
        s.otp.max_sends_per_ip_per_hour = 1;
    })
    .await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let send = |phone: &'static str, forwarded: &'static str| {
        let app = &app;
        let client_id = client.client_id.clone();
        async move {
            let b = browser();
            let csrf = app
                .open_login(&b, &app.authorize_url(&client_id, &[]))
                .await;
            b.post(app.url("/login/phone"))
                .header("x-forwarded-for", forwarded)
                .form(&[("csrf", csrf.as_str()), ("phone", phone)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(send("+447400123451", "203.0.113.1").await, 303);
    assert_eq!(
        send("+447400123452", "203.0.113.1").await,
        429,
        "the same client"
    );
    assert_eq!(
        send("+447400123453", "198.51.100.7").await,
        303,
        "another client behind the proxy"
    );
}

#[tokio::test]
async fn without_trusted_proxies_a_forwarded_header_changes_nothing() {
    let app = spawn_app_with(|s| s.otp.max_sends_per_ip_per_hour = 1).await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    for (i, (phone, forwarded)) in [
        ("+447400123451", "203.0.113.1"),
        ("+447400123452", "198.51.100.7"),
    ]
    .into_iter()
    .enumerate()
    {
        let b = browser();
        let csrf = app
            .open_login(&b, &app.authorize_url(&client.client_id, &[]))
            .await;
        let res = b
            .post(app.url("/login/phone"))
            .header("x-forwarded-for", forwarded)
            .form(&[("csrf", csrf.as_str()), ("phone", phone)])
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            if i == 0 { 303 } else { 429 },
            "a spoofed header does not reset the limit"
        );
    }
}

#[tokio::test]
async fn a_resend_goes_only_to_the_recipient_its_challenge_was_opened_for() {
    let app = spawn_app().await;
    let phone = ferrid::domain::PhoneNumber::parse(PHONE, None).unwrap();
    let recipient = ferrid::domain::Recipient::Phone(phone);
    let issued = app
        .state
        .otp
        .issue(
            &app.db,
            ferrid::otp::IssueRequest {
                purpose: ferrid::otp::Purpose::Login,
                recipient: &recipient,
                client_id: None,
                ip: None,
                policy: &policy(),
                source: ferrid::otp::CodeSource::Random,
            },
        )
        .await
        .unwrap();
    assert_eq!(issued.recipient, recipient);
    assert_eq!(
        app.state
            .otp
            .recipient_of(&app.db, issued.challenge_id)
            .await
            .unwrap(),
        recipient
    );
    // Another number cannot ride on this challenge: the limits, and the
    // code, belong to the recipient it was opened for.
    let other = ferrid::domain::Recipient::Phone(
        ferrid::domain::PhoneNumber::parse("+447400123999", None).unwrap(),
    );
    let res = app
        .state
        .otp
        .reissue(
            &app.db,
            issued.challenge_id,
            &other,
            None,
            &policy(),
            ferrid::otp::CodeSource::Random,
        )
        .await;
    assert!(matches!(
        res,
        Err(ferrid::otp::IssueError::UnknownChallenge)
    ));
}
