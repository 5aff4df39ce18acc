//! Only the newest code for a recipient and client works: a new code ends
//! every older open challenge, on the passwordless API and the hosted pages.

use std::time::Duration;

use ferrid::config::Span;
use ferrid::domain::ClientType;

use crate::helpers::{PHONE, RP_REDIRECT, location, passwordless_client, spawn_app_with};

#[tokio::test]
async fn an_older_passwordless_code_does_not_come_back_after_the_newer_one_is_used() {
    let app = spawn_app_with(|s| s.otp.resend_cooldown = Span(Duration::ZERO)).await;
    let client = passwordless_client(&app).await;
    assert_eq!(app.passwordless_start(&client, PHONE).await.status(), 200);
    let a = app.sms.last_code(PHONE);
    assert_eq!(app.passwordless_start(&client, PHONE).await.status(), 200);
    let b = app.sms.last_code(PHONE);
    assert_ne!(
        a, b,
        "two random codes (one chance in a million to be equal)"
    );
    let res = app.otp_grant(&client, PHONE, &b).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = app.otp_grant(&client, PHONE, &a).await;
    assert_eq!(res.status(), 400, "the older code is dead");
    let json: serde_json::Value = res.json().await.unwrap();
    assert_eq!(json["error"], "invalid_grant");
}

#[tokio::test]
async fn an_older_hosted_code_dies_when_a_newer_one_is_sent_for_the_same_client() {
    let app = spawn_app_with(|s| s.otp.resend_cooldown = Span(Duration::ZERO)).await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let (first, first_csrf, res) = app.start_hosted(&client, PHONE).await;
    assert_eq!(res.status(), 303);
    let a = app.sms.last_code(PHONE);
    let (second, second_csrf, res) = app.start_hosted(&client, PHONE).await;
    assert_eq!(res.status(), 303);
    let b = app.sms.last_code(PHONE);
    let done = app.submit_code(&second, &second_csrf, &b).await;
    assert!(location(&done).starts_with(RP_REDIRECT));
    let res = app.submit_code(&first, &first_csrf, &a).await;
    assert_eq!(res.status(), 400, "the older code is dead");
    assert!(!location(&res).starts_with(RP_REDIRECT));
}

#[tokio::test]
async fn a_passwordless_code_ends_the_hosted_code_of_the_same_client() {
    let app = spawn_app_with(|s| s.otp.resend_cooldown = Span(Duration::ZERO)).await;
    let client = passwordless_client(&app).await;
    let (b, csrf, res) = app.start_hosted(&client, PHONE).await;
    assert_eq!(res.status(), 303);
    let hosted = app.sms.last_code(PHONE);
    assert_eq!(app.passwordless_start(&client, PHONE).await.status(), 200);
    let res = app.submit_code(&b, &csrf, &hosted).await;
    assert_eq!(res.status(), 400, "the older code is dead");
}
