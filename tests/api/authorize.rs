//! The authorization endpoint: OIDC Core §3.1.2.6 error handling.

use ferrid::domain::ClientType;

use crate::helpers::{PHONE, RP_REDIRECT, browser, location, param, spawn_app};

fn redirected_error(res: &reqwest::Response) -> url::Url {
    assert_eq!(res.status(), 302, "expected a redirect back to the client");
    let url = url::Url::parse(&location(res)).unwrap();
    assert!(url.as_str().starts_with(RP_REDIRECT), "{url}");
    url
}

#[tokio::test]
async fn an_unregistered_redirect_uri_gets_an_error_page_and_no_redirect() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let url = app
        .authorize_url(&client.client_id, &[])
        .replace("rp.example.com", "evil.example.com");
    let res = app.client.get(url).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
    let body = res.text().await.unwrap();
    assert!(body.contains("not registered"), "{body}");
}

#[tokio::test]
async fn an_unknown_client_gets_an_error_page() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.authorize_url("nobody", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
}

#[tokio::test]
async fn a_redirect_uri_with_a_query_must_match_exactly() {
    let app = spawn_app().await;
    let registered = "https://rp.example.com/callback?tenant=a";
    let client = app.register(ClientType::Confidential, &[registered]).await;
    for variant in [
        "https://rp.example.com/callback?tenant=a&extra=1",
        "https://rp.example.com/callback?tenant=b",
        "https://rp.example.com/callback",
    ] {
        let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &client.client_id)
            .append_pair("redirect_uri", variant)
            .append_pair("scope", "openid");
        let res = app.client.get(url.as_str()).send().await.unwrap();
        assert_eq!(res.status(), 400, "{variant} accepted");
        assert!(res.headers().get("location").is_none());
    }
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client.client_id)
        .append_pair("redirect_uri", registered)
        .append_pair("scope", "openid");
    let res = browser().get(url.as_str()).send().await.unwrap();
    assert_eq!(res.status(), 303, "the exact URI is accepted");
}

#[tokio::test]
async fn a_missing_openid_scope_is_redirected_as_invalid_scope_with_state_and_iss() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let url = app
        .authorize_url(&client.client_id, &[])
        .replace("scope=openid+phone", "scope=phone");
    let res = app.client.get(url).send().await.unwrap();
    let back = redirected_error(&res);
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_scope"));
    assert_eq!(param(&back, "state").as_deref(), Some("st4te"));
    assert_eq!(param(&back, "iss").as_deref(), Some(app.address.as_str()));
    let description = param(&back, "error_description").unwrap();
    assert!(
        description
            .bytes()
            .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    );
}

#[tokio::test]
async fn an_unsupported_response_type_is_redirected() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let url = app
        .authorize_url(&client.client_id, &[])
        .replace("response_type=code", "response_type=token");
    let back = redirected_error(&app.client.get(url).send().await.unwrap());
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("unsupported_response_type")
    );

    let url = app
        .authorize_url(&client.client_id, &[])
        .replace("response_type=code&", "");
    let back = redirected_error(&app.client.get(url).send().await.unwrap());
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));
}

#[tokio::test]
async fn a_public_client_without_pkce_is_refused() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Public, &[RP_REDIRECT]).await;
    let back = redirected_error(
        &app.client
            .get(app.authorize_url(&client.client_id, &[]))
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));
    // plain is not accepted either.
    let url = app.authorize_url(
        &client.client_id,
        &[
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "plain"),
        ],
    );
    let back = redirected_error(&app.client.get(url).send().await.unwrap());
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));
}

#[tokio::test]
async fn prompt_none_without_a_session_is_login_required() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let res = app
        .client
        .get(app.authorize_url(&client.client_id, &[("prompt", "none")]))
        .send()
        .await
        .unwrap();
    let back = redirected_error(&res);
    assert_eq!(param(&back, "error").as_deref(), Some("login_required"));
    assert_eq!(param(&back, "state").as_deref(), Some("st4te"));
}

#[tokio::test]
async fn request_objects_are_refused_as_not_supported() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let res = app
        .client
        .get(app.authorize_url(
            &client.client_id,
            &[("request", "eyJhbGciOiJub25lIn0.e30.")],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        param(&redirected_error(&res), "error").as_deref(),
        Some("request_not_supported")
    );
}

#[tokio::test]
async fn duplicate_parameters_are_invalid_request() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let url = format!("{}&scope=openid", app.authorize_url(&client.client_id, &[]));
    let res = app.client.get(url).send().await.unwrap();
    assert_eq!(
        param(&redirected_error(&res), "error").as_deref(),
        Some("invalid_request")
    );
}

#[tokio::test]
async fn unknown_parameters_an_email_login_hint_and_an_unsupported_ui_locale_are_ignored() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let url = app.authorize_url(
        &client.client_id,
        &[
            ("login_hint", "someone@example.com"),
            ("ui_locales", "se"),
            ("extra", "1"),
        ],
    );
    let b = browser();
    let res = b.get(url).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let page = b
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("value=\"\""), "the email is not pre-filled");
}

#[tokio::test]
async fn a_phone_login_hint_prefills_the_phone_field() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let b = browser();
    b.get(app.authorize_url(&client.client_id, &[("login_hint", "+44 7400 123456")]))
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
    assert!(page.contains(&format!("value=\"{PHONE}\"")), "{page}");
}

#[tokio::test]
async fn only_scope_openid_without_nonce_or_pkce_succeeds_for_a_confidential_client() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client.client_id)
        .append_pair("redirect_uri", RP_REDIRECT)
        .append_pair("scope", "openid");
    let callback = app.sign_in(&browser(), url.as_str(), PHONE).await;
    let code = param(&callback, "code").unwrap();
    let res = app.exchange(&client, &code).await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    let claims = crate::sign_in::decode_payload(body["id_token"].as_str().unwrap());
    assert!(claims.get("nonce").is_none());
    assert!(
        claims.get("phone_number").is_none(),
        "no phone scope, no phone claim"
    );
}

#[tokio::test]
async fn post_authorize_works_as_get_does() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let b = browser();
    let res = b
        .post(app.url("/authorize"))
        .form(&[
            ("response_type", "code"),
            ("client_id", client.client_id.as_str()),
            ("redirect_uri", RP_REDIRECT),
            ("scope", "openid"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login");
}

#[tokio::test]
async fn a_client_without_the_sms_connection_cannot_sign_users_in() {
    let app = spawn_app().await;
    let client = app
        .register_with(ClientType::Confidential, &[RP_REDIRECT], |c| {
            c.connections = vec![]
        })
        .await;
    let res = app
        .client
        .get(app.authorize_url(&client.client_id, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        param(&redirected_error(&res), "error").as_deref(),
        Some("unauthorized_client")
    );

    let res = reqwest::Client::new()
        .post(app.url("/passwordless/start"))
        .json(&serde_json::json!({
            "client_id": client.client_id, "client_secret": client.secret,
            "connection": "sms", "phone_number": PHONE, "send": "code"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized_client");
}
