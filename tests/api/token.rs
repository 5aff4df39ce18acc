//! The token endpoint: RFC 6749 §5.2 errors, PKCE, single-use codes.

use ferrid::domain::ClientType;

use crate::helpers::{RP_REDIRECT, TestApp, browser, param, spawn_app};

async fn error_of(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: serde_json::Value = res.json().await.unwrap();
    (status, body["error"].as_str().unwrap_or("").to_owned())
}

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

async fn userinfo_status(app: &TestApp, token: &str) -> u16 {
    reqwest::Client::new()
        .get(app.url("/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_reused_code_is_refused_and_revokes_the_first_access_token() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let code = app.code_for(&client.client_id, &[]).await;
    let first = app.exchange(&client, &code).await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["cache-control"], "no-store");
    let body: serde_json::Value = first.json().await.unwrap();
    let access_token = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(userinfo_status(&app, &access_token).await, 200);

    assert_eq!(
        error_of(app.exchange(&client, &code).await).await,
        (400, "invalid_grant".into())
    );
    assert_eq!(
        userinfo_status(&app, &access_token).await,
        401,
        "the first token is revoked"
    );
    assert_eq!(
        error_of(app.exchange(&client, &code).await).await,
        (400, "invalid_grant".into())
    );
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    // The default lifetime is 60 s.
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let code = app.code_for(&client.client_id, &[]).await;
    app.advance(std::time::Duration::from_secs(60));
    assert_eq!(
        error_of(app.exchange(&client, &code).await).await,
        (400, "invalid_grant".into())
    );
}

#[tokio::test]
async fn a_code_from_another_client_is_refused() {
    let app = spawn_app().await;
    let one = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let other = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let code = app.code_for(&one.client_id, &[]).await;
    assert_eq!(
        error_of(app.exchange(&other, &code).await).await,
        (400, "invalid_grant".into())
    );
    // The rightful client can still use it.
    assert_eq!(app.exchange(&one, &code).await.status(), 200);
}

#[tokio::test]
async fn a_wrong_client_secret_is_invalid_client_with_a_challenge() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let code = app.code_for(&client.client_id, &[]).await;
    let res = app
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", RP_REDIRECT),
            ],
            Some((&client.client_id, "not-the-secret")),
        )
        .await;
    assert!(
        res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    assert_eq!(error_of(res).await, (401, "invalid_client".into()));
    // client_secret_post works with the right secret.
    let res = app
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", RP_REDIRECT),
                ("client_id", &client.client_id),
                ("client_secret", client.secret.as_deref().unwrap()),
            ],
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_wrong_code_verifier_is_refused() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Public, &[RP_REDIRECT]).await;
    let extra = [
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let code = app.code_for(&client.client_id, &extra).await;
    let exchange = |verifier: String| {
        let form = [
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.clone()),
            ("redirect_uri", RP_REDIRECT.to_owned()),
            ("client_id", client.client_id.clone()),
            ("code_verifier", verifier),
        ];
        reqwest::Client::new()
            .post(app.url("/token"))
            .form(&form)
            .send()
    };
    let res = exchange("x".repeat(43)).await.unwrap();
    assert_eq!(error_of(res).await, (400, "invalid_grant".into()));
    let res = exchange(VERIFIER.to_owned()).await.unwrap();
    assert_eq!(
        res.status(),
        200,
        "the right verifier works (the code was not consumed)"
    );
}

#[tokio::test]
async fn a_public_client_cannot_skip_the_verifier() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Public, &[RP_REDIRECT]).await;
    let extra = [
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let code = app.code_for(&client.client_id, &extra).await;
    let res = app
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", RP_REDIRECT),
                ("client_id", &client.client_id),
            ],
            None,
        )
        .await;
    assert_eq!(error_of(res).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn a_mismatched_redirect_uri_and_unsupported_grants_are_refused() {
    let app = spawn_app().await;
    let client = app
        .register(
            ClientType::Confidential,
            &["https://rp.example.com/other", RP_REDIRECT],
        )
        .await;
    let code = app.code_for(&client.client_id, &[]).await;
    let secret = client.secret.as_deref().unwrap();
    let res = app
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "https://rp.example.com/other"),
            ],
            Some((&client.client_id, secret)),
        )
        .await;
    assert_eq!(error_of(res).await, (400, "invalid_grant".into()));
    let res = app
        .token(
            &[("grant_type", "password")],
            Some((&client.client_id, secret)),
        )
        .await;
    assert_eq!(error_of(res).await, (400, "unsupported_grant_type".into()));
    let res = app
        .token(&[("code", &code)], Some((&client.client_id, secret)))
        .await;
    assert_eq!(error_of(res).await, (400, "invalid_request".into()));
}

#[tokio::test]
async fn codes_are_bound_to_the_browser_session_that_signed_in() {
    // A second authorization from a signed-in browser gets a new, distinct
    // code without a sign-in, and its tokens name the same SSO session; another
    // browser's sign-in has its own session.
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let b = browser();
    let first = app
        .sign_in(
            &b,
            &app.authorize_url(&client.client_id, &[]),
            crate::helpers::PHONE,
        )
        .await;
    let res = b
        .get(app.authorize_url(&client.client_id, &[]))
        .send()
        .await
        .unwrap();
    let second = url::Url::parse(&crate::helpers::location(&res)).unwrap();
    assert_ne!(param(&first, "code"), param(&second, "code"));
    let other = app
        .sign_in(
            &browser(),
            &app.authorize_url(&client.client_id, &[]),
            crate::helpers::PHONE,
        )
        .await;
    let mut sids = Vec::new();
    for callback in [&first, &second, &other] {
        let code = param(callback, "code").expect("a code");
        let body: serde_json::Value = app.exchange(&client, &code).await.json().await.unwrap();
        let claims = crate::sign_in::decode_payload(body["id_token"].as_str().unwrap());
        sids.push(claims["sid"].as_str().expect("a sid").to_owned());
    }
    assert_eq!(sids[0], sids[1], "one browser, one session");
    assert_ne!(sids[0], sids[2], "another browser, another session");
}

#[tokio::test]
async fn offline_access_is_not_granted_to_a_client_without_the_refresh_grant() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let code = app
        .code_for(&client.client_id, &[("scope", "openid offline_access")])
        .await;
    let res = app.exchange(&client, &code).await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body.get("refresh_token").is_none());
    assert!(
        !body["scope"].as_str().unwrap().contains("offline_access"),
        "{body}"
    );
}
