//! Claims asked for with the `claims` parameter (OIDC Core §5.5) are
//! released only under a consent that covers them: through a granted scope,
//! or named on the consent page and remembered with the consent.

use ferrid::admin::clients::CreateClient;
use ferrid::domain::ClientType;

use crate::conformance::{
    back_to_rp, decide_consent, exchange_ok, request_url, sign_in_to, silent, userinfo, visit,
};
use crate::helpers::{
    PHONE, RP_REDIRECT, TestApp, TestClient, browser, location, param, spawn_app,
};
use crate::sign_in::decode_payload;

const PHONE_CLAIM: &str = r#"{"id_token":{"phone_number":null}}"#;

/// A third-party client, and a browser signed in whose user allowed it
/// only `openid`.
async fn consented_to_openid_only() -> (TestApp, TestClient, reqwest::Client) {
    let app = spawn_app().await;
    let shop = app
        .register_with(
            ClientType::Confidential,
            &[RP_REDIRECT],
            |c: &mut CreateClient| {
                c.first_party = false;
            },
        )
        .await;
    let b = browser();
    let to = sign_in_to(
        &app,
        &b,
        &request_url(&app, &shop.client_id, &[("scope", "openid")]),
        PHONE,
    )
    .await;
    assert_eq!(to, "/consent");
    let back = back_to_rp(&decide_consent(&app, &b, "allow").await);
    let tokens = exchange_ok(&app, &shop, &param(&back, "code").unwrap()).await;
    let claims = decode_payload(tokens["id_token"].as_str().unwrap());
    assert!(claims.get("phone_number").is_none(), "{claims}");
    (app, shop, b)
}

#[tokio::test]
async fn claims_parameter_beyond_the_consented_scopes_asks_for_consent() {
    let (app, shop, b) = consented_to_openid_only().await;
    let attack = request_url(
        &app,
        &shop.client_id,
        &[("scope", "openid"), ("claims", PHONE_CLAIM)],
    );

    // Silently: the user was never asked about the phone number.
    let back = silent(
        &app,
        &b,
        &shop.client_id,
        &[("scope", "openid"), ("claims", PHONE_CLAIM)],
    )
    .await;
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("consent_required"),
        "{back}"
    );

    let res = visit(&b, &attack).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        "/consent",
        "a claim no granted scope covers must be consented to"
    );
    let page = visit(&b, &app.url("/consent")).await.text().await.unwrap();
    assert!(
        page.contains("phone number"),
        "the page names the claim: {page}"
    );

    // Allowed: the ID token carries it, and the consent is remembered.
    let back = back_to_rp(&decide_consent(&app, &b, "allow").await);
    let tokens = exchange_ok(&app, &shop, &param(&back, "code").unwrap()).await;
    let claims = decode_payload(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["phone_number"], PHONE, "{claims}");
    let res = visit(&b, &attack).await;
    let back = back_to_rp(&res);
    assert!(param(&back, "code").is_some(), "remembered: {back}");

    // Another claim is a new question.
    let res = visit(
        &b,
        &request_url(
            &app,
            &shop.client_id,
            &[
                ("scope", "openid"),
                ("claims", r#"{"id_token":{"email":{"essential":true}}}"#),
            ],
        ),
    )
    .await;
    assert_eq!(location(&res), "/consent");
}

#[tokio::test]
async fn a_refused_claims_consent_releases_nothing() {
    let (app, shop, b) = consented_to_openid_only().await;
    let res = visit(
        &b,
        &request_url(
            &app,
            &shop.client_id,
            &[("scope", "openid"), ("claims", PHONE_CLAIM)],
        ),
    )
    .await;
    assert_eq!(location(&res), "/consent");
    let back = back_to_rp(&decide_consent(&app, &b, "deny").await);
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    // The refusal granted nothing: the next request asks again.
    let back = silent(
        &app,
        &b,
        &shop.client_id,
        &[("scope", "openid"), ("claims", PHONE_CLAIM)],
    )
    .await;
    assert_eq!(param(&back, "error").as_deref(), Some("consent_required"));
}

#[tokio::test]
async fn claims_a_granted_scope_covers_need_no_new_consent() {
    let app = spawn_app().await;
    let shop = app
        .register_with(
            ClientType::Confidential,
            &[RP_REDIRECT],
            |c: &mut CreateClient| {
                c.first_party = false;
            },
        )
        .await;
    let b = browser();
    let to = sign_in_to(&app, &b, &request_url(&app, &shop.client_id, &[]), PHONE).await;
    assert_eq!(to, "/consent", "scope openid phone");
    back_to_rp(&decide_consent(&app, &b, "allow").await);
    let back = silent(
        &app,
        &b,
        &shop.client_id,
        &[("claims", r#"{"id_token":{"phone_number_verified":null}}"#)],
    )
    .await;
    let tokens = exchange_ok(&app, &shop, &param(&back, "code").unwrap()).await;
    let claims = decode_payload(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["phone_number_verified"], true, "{claims}");
}

#[tokio::test]
async fn userinfo_claims_of_the_claims_parameter_release_nothing_unconsented() {
    let (app, shop, b) = consented_to_openid_only().await;
    let res = visit(
        &b,
        &request_url(
            &app,
            &shop.client_id,
            &[
                ("scope", "openid"),
                (
                    "claims",
                    r#"{"userinfo":{"phone_number":null,"email":null}}"#,
                ),
            ],
        ),
    )
    .await;
    let back = back_to_rp(&res);
    let tokens = exchange_ok(&app, &shop, &param(&back, "code").unwrap()).await;
    let (status, body) = userinfo(&app, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert!(body.get("phone_number").is_none(), "{body}");
    assert!(body.get("email").is_none(), "{body}");
}
