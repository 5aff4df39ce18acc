//! When the second factor is asked for, and that a factor never counts twice.

use ferrid::domain::{Factor, MfaMode};

use super::*;
use crate::helpers::{PHONE, RP_REDIRECT, browser, param, spawn_app};
use ferrid::domain::ClientType;

const MFA_ACR: &str = "urn:ferrid:acr:mfa";

#[tokio::test]
async fn discovery_lists_the_mfa_acr() {
    let app = spawn_app().await;
    let doc: serde_json::Value = reqwest::get(app.url("/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let supported = doc["acr_values_supported"].as_array().unwrap();
    assert!(supported.iter().any(|v| v == MFA_ACR), "{supported:?}");
    assert!(supported.iter().any(|v| v == "urn:ferrid:acr:sms"));
}

#[tokio::test]
async fn an_essential_mfa_acr_the_user_cannot_reach_is_unmet_authentication_requirements() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let claims = format!(r#"{{"id_token":{{"acr":{{"essential":true,"values":["{MFA_ACR}"]}}}}}}"#);
    let url = app.authorize_url(&client.client_id, &[("claims", &claims)]);
    let res = first_factor(&app, &browser(), &url, PHONE).await;
    assert_eq!(res.status(), 303);
    let back = url::Url::parse(&location(&res)).unwrap();
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("unmet_authentication_requirements")
    );
    assert_eq!(param(&back, "state").as_deref(), Some("st4te"));
    assert!(param(&back, "code").is_none());
}

#[tokio::test]
async fn a_voluntary_mfa_acr_the_user_cannot_reach_gives_a_one_factor_sign_in() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let url = app.authorize_url(&client.client_id, &[("acr_values", MFA_ACR)]);
    let res = first_factor(&app, &browser(), &url, PHONE).await;
    let back = url::Url::parse(&location(&res)).unwrap();
    assert!(param(&back, "code").is_some(), "{back}");
}

#[tokio::test]
async fn the_phone_of_the_first_factor_is_never_offered_as_the_second() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    // A first sign-in creates the user; then they get a verified email.
    app.code_for(&client.client_id, &[]).await;
    give_email(&app, PHONE, "ada@example.com").await;
    require(&app, MfaMode::Required, &[Factor::Sms, Factor::Email]).await;

    let b = browser();
    let res = first_factor(&app, &b, &app.authorize_url(&client.client_id, &[]), PHONE).await;
    assert_eq!(location(&res), "/login/mfa");
    let (html, csrf) = mfa_page(&app, &b).await;
    assert!(html.contains(r#"value="email""#), "{html}");
    assert!(
        !html.contains(r#"value="sms""#),
        "the SMS phone is offered again: {html}"
    );

    let sent_before = app.sms.sent_to(PHONE).len();
    let res = choose(&app, &b, &csrf, "sms").await;
    assert_eq!(
        location(&res),
        "/login/mfa",
        "SMS is refused as the second factor"
    );
    assert_eq!(
        app.sms.sent_to(PHONE).len(),
        sent_before,
        "no code went out"
    );
    // Typing the first factor's kind of code as the second is refused too.
    let code = app.sms.last_code(PHONE);
    let res = submit(&app, &b, &csrf, "sms", &code).await;
    assert_eq!(location(&res), "/login/mfa");
    // And the first-factor pages take no codes any more.
    let res = app.submit_code(&b, &csrf, &code).await;
    assert_eq!(location(&res), "/login");
    let other = crate::helpers::nth_phone(7);
    let res = app.submit_phone(&b, &csrf, &other).await;
    assert_eq!(location(&res), "/login/mfa");
    assert!(app.sms.sent_to(&other).is_empty(), "no first-factor code");
    let res = b.get(app.url("/login")).send().await.unwrap();
    assert_eq!(location(&res), "/login/mfa");
}

#[tokio::test]
async fn mfa_required_with_only_the_first_factor_allowed_as_second_is_unmet() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    require(&app, MfaMode::Required, &[Factor::Sms]).await;
    let res = first_factor(
        &app,
        &browser(),
        &app.authorize_url(&client.client_id, &[]),
        PHONE,
    )
    .await;
    let back = url::Url::parse(&location(&res)).unwrap();
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("unmet_authentication_requirements")
    );
}
