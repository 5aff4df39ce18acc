//! `POST /consent` answers only a sign-in that is waiting at its consent
//! step, for the session it was shown to: never one still waiting for the
//! user to sign in (`prompt=login`, `max_age`, an `id_token_hint` naming
//! someone else).

use std::time::Duration;

use ferrid::admin::clients::CreateClient;
use ferrid::domain::ClientType;

use crate::conformance::{
    OTHER_PHONE, back_to_rp, decide_consent, request_url, sign_in_to, signed_in_as, visit,
};
use crate::helpers::{
    PHONE, RP_REDIRECT, TestApp, TestClient, browser, csrf_of, location, param, spawn_app,
};

/// A first-party client and a browser with a live SSO session as `PHONE`.
async fn signed_in_browser() -> (TestApp, TestClient, reqwest::Client) {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let b = browser();
    let back = sign_in_to(&app, &b, &request_url(&app, &client.client_id, &[]), PHONE).await;
    assert!(back.starts_with(RP_REDIRECT), "{back}");
    (app, client, b)
}

/// Starts an authorization that must show the login page, then posts
/// `decision=allow` to `/consent` with the login page's CSRF token.
async fn consent_without_signing_in(
    app: &TestApp,
    b: &reqwest::Client,
    url: &str,
) -> reqwest::Response {
    let res = visit(b, url).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login", "the user must sign in again");
    let login = visit(b, &app.url("/login")).await.text().await.unwrap();
    b.post(app.url("/consent"))
        .form(&[("csrf", csrf_of(&login).as_str()), ("decision", "allow")])
        .send()
        .await
        .unwrap()
}

fn assert_refused(res: &reqwest::Response) {
    let to = location(res);
    assert!(
        !to.starts_with(RP_REDIRECT),
        "no answer to the application, got {} {to}",
        res.status()
    );
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn consent_does_not_skip_prompt_login() {
    let (app, client, b) = signed_in_browser().await;
    let url = request_url(&app, &client.client_id, &[("prompt", "login")]);
    let res = consent_without_signing_in(&app, &b, &url).await;
    assert_refused(&res);
    // The sign-in is still pending and can be finished properly.
    let login = visit(&b, &app.url("/login")).await;
    assert_eq!(login.status(), 200);
}

#[tokio::test]
async fn consent_does_not_skip_max_age() {
    let (app, client, b) = signed_in_browser().await;
    app.advance(Duration::from_millis(1100));
    let url = request_url(&app, &client.client_id, &[("max_age", "0")]);
    let res = consent_without_signing_in(&app, &b, &url).await;
    assert_refused(&res);
}

#[tokio::test]
async fn consent_does_not_skip_an_id_token_hint_for_another_user() {
    let (app, client, b) = signed_in_browser().await;
    let other = signed_in_as(&app, &client, &[], OTHER_PHONE).await;
    let url = request_url(
        &app,
        &client.client_id,
        &[("id_token_hint", other.id_token())],
    );
    let res = consent_without_signing_in(&app, &b, &url).await;
    assert_refused(&res);
}

#[tokio::test]
async fn consent_is_answered_once() {
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
    assert_eq!(to, "/consent");
    for round in 0..10 {
        if round > 0 {
            let url = request_url(&app, &shop.client_id, &[("prompt", "consent")]);
            assert_eq!(location(&visit(&b, &url).await), "/consent");
        }
        let page = visit(&b, &app.url("/consent")).await.text().await.unwrap();
        let csrf = csrf_of(&page);
        let posts = (0..4).map(|_| {
            b.post(app.url("/consent"))
                .form(&[("csrf", csrf.as_str()), ("decision", "allow")])
                .send()
        });
        let answers = futures_util::future::join_all(posts).await;
        let codes = answers
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .filter(|r| location(r).starts_with(RP_REDIRECT))
            .filter(|r| param(&url::Url::parse(&location(r)).unwrap(), "code").is_some())
            .count();
        assert_eq!(codes, 1, "round {round}: one consent, one code");
    }
    // The legitimate path still works.
    let res = visit(
        &b,
        &request_url(&app, &shop.client_id, &[("prompt", "consent")]),
    )
    .await;
    assert_eq!(location(&res), "/consent");
    assert!(
        param(
            &back_to_rp(&decide_consent(&app, &b, "allow").await),
            "code"
        )
        .is_some()
    );
}
