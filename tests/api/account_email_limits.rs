//! Codes by email have the engine's rules: the resend cooldown, the
//! attempts of a code, and their own hourly limits per address and per
//! client address, apart from the SMS ones.

use std::time::Duration;

use ferrid::config::{RawSettings, Span};

use crate::account_support::{
    FIREFOX_LINUX, account_settings, browser_as, mail_code, post, sign_in_at_account,
};
use crate::helpers::{PHONE, TestApp, location, spawn_app_with, wrong_code};

fn limits(s: &mut RawSettings) {
    account_settings(s);
    s.otp.resend_cooldown = Span(Duration::from_secs(30));
    s.otp.max_sends_per_phone_per_hour = 3;
    s.otp.max_sends_per_ip_per_hour = 5;
}

async fn ask(app: &TestApp, b: &reqwest::Client, address: &str) -> reqwest::Response {
    post(app, b, "/account/email", &[("email", address)]).await
}

#[tokio::test]
async fn an_email_code_has_a_cooldown_and_a_limited_number_of_attempts() {
    let app = spawn_app_with(limits).await;
    let b = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &b, PHONE).await;
    let res = ask(&app, &b, "ada@example.com").await;
    assert_eq!(location(&res), "/account/email/verify");

    let res = post(&app, &b, "/account/email/resend", &[]).await;
    assert_eq!(res.status(), 429);
    let html = res.text().await.unwrap();
    assert!(html.contains("A new code can be requested in"), "{html}");
    app.advance(Duration::from_secs(31));
    let res = post(&app, &b, "/account/email/resend", &[]).await;
    assert_eq!(location(&res), "/account/email/verify?sent=1");

    let code = mail_code(&app, "ada@example.com").await;
    let wrong = wrong_code(&code);
    for _ in 0..10 {
        let res = post(
            &app,
            &b,
            "/account/email/verify",
            &[("code", wrong.as_str())],
        )
        .await;
        assert_eq!(res.status(), 400);
    }
    let res = post(
        &app,
        &b,
        "/account/email/verify",
        &[("code", code.as_str())],
    )
    .await;
    assert_eq!(res.status(), 400, "the code is dead after 10 wrong ones");
    assert!(res.text().await.unwrap().contains("Too many wrong codes"));
}

#[tokio::test]
async fn email_codes_are_limited_per_address_and_per_client_address_apart_from_sms() {
    let app = spawn_app_with(limits).await;
    let b = browser_as(FIREFOX_LINUX);
    // The sign-in's SMS counts against the SMS limits only.
    sign_in_at_account(&app, &b, PHONE).await;
    for _ in 0..3 {
        let res = ask(&app, &b, "ada@example.com").await;
        assert_eq!(location(&res), "/account/email/verify");
        app.advance(Duration::from_secs(31));
    }
    let res = ask(&app, &b, "ada@example.com").await;
    assert_eq!(res.status(), 429);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Too many codes were sent to this address"),
        "{html}"
    );
    assert!(html.contains(r#"value="ada@example.com""#), "{html}");

    // Another address from the same client: two more, then its limit.
    for address in ["grace@example.com", "alan@example.com"] {
        let res = ask(&app, &b, address).await;
        assert_eq!(location(&res), "/account/email/verify", "{address}");
    }
    let res = ask(&app, &b, "edsger@example.com").await;
    assert_eq!(res.status(), 429);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Too many codes were requested from this network")
    );
}

#[tokio::test]
async fn wrong_codes_spend_the_address_failure_budget() {
    let app = spawn_app_with(|s| {
        limits(s);
        s.otp.max_failures_per_recipient = 3;
    })
    .await;
    let b = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &b, PHONE).await;
    let res = ask(&app, &b, "ada@example.com").await;
    assert_eq!(location(&res), "/account/email/verify");
    let code = mail_code(&app, "ada@example.com").await;
    let wrong = wrong_code(&code);
    for _ in 0..3 {
        let res = post(
            &app,
            &b,
            "/account/email/verify",
            &[("code", wrong.as_str())],
        )
        .await;
        assert_eq!(res.status(), 400);
    }
    app.advance(Duration::from_secs(31));
    let res = ask(&app, &b, "ada@example.com").await;
    assert_eq!(res.status(), 429);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Too many codes were sent to this address")
    );
    // Another address has its own budget.
    let res = ask(&app, &b, "grace@example.com").await;
    assert_eq!(location(&res), "/account/email/verify");
}
