//! Discovery, userinfo and the dev-only routes.

use ferrid::domain::ClientType;

use crate::helpers::{RP_REDIRECT, spawn_app, spawn_app_with};

#[tokio::test]
async fn discovery_lists_the_endpoints_and_capabilities() {
    let app = spawn_app().await;
    let res = app.get("/.well-known/openid-configuration").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let d: serde_json::Value = res.json().await.unwrap();
    assert_eq!(d["issuer"], app.address.as_str());
    assert_eq!(d["authorization_endpoint"], app.url("/authorize").as_str());
    assert_eq!(d["token_endpoint"], app.url("/token").as_str());
    assert_eq!(d["userinfo_endpoint"], app.url("/userinfo").as_str());
    assert_eq!(d["jwks_uri"], app.url("/jwks.json").as_str());
    assert_eq!(d["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(d["subject_types_supported"], serde_json::json!(["public"]));
    assert_eq!(
        d["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
    assert_eq!(
        d["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
    for field in [
        "scopes_supported",
        "response_modes_supported",
        "grant_types_supported",
        "token_endpoint_auth_methods_supported",
        "claims_supported",
        "ui_locales_supported",
    ] {
        assert!(d[field].is_array(), "{field} missing");
    }
    assert!(
        d["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&"openid".into())
    );
    let methods = d["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap();
    for m in ["client_secret_basic", "client_secret_post", "none"] {
        assert!(methods.contains(&m.into()), "{m}");
    }
}

#[tokio::test]
async fn userinfo_answers_get_post_with_header_and_post_with_a_form_body() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let code = app.code_for(&client.client_id, &[]).await;
    let body: serde_json::Value = app.exchange(&client, &code).await.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap();
    let http = reqwest::Client::new();
    let responses = [
        http.get(app.url("/userinfo"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
        http.post(app.url("/userinfo"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
        http.post(app.url("/userinfo"))
            .form(&[("access_token", token)])
            .send()
            .await
            .unwrap(),
    ];
    for res in responses {
        assert_eq!(res.status(), 200);
        let claims: serde_json::Value = res.json().await.unwrap();
        assert_eq!(claims["phone_number"], crate::helpers::PHONE);
        assert_eq!(claims["phone_number_verified"], true);
        assert!(claims["sub"].is_string());
    }
}

#[tokio::test]
async fn userinfo_refuses_a_bad_token_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let res = http
        .get(app.url("/userinfo"))
        .bearer_auth("not.a.token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let challenge = res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.starts_with("Bearer") && challenge.contains("error=\"invalid_token\""),
        "{challenge}"
    );
    let res = http.get(app.url("/userinfo")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(
        !res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("error=")
    );

    // An ID token is not an access token.
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let code = app.code_for(&client.client_id, &[]).await;
    let body: serde_json::Value = app.exchange(&client, &code).await.json().await.unwrap();
    let res = http
        .get(app.url("/userinfo"))
        .bearer_auth(body["id_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn userinfo_refuses_an_expired_access_token() {
    let app = spawn_app_with(|s| {
        s.tokens.access_token_ttl = ferrid::config::Span(std::time::Duration::from_secs(300))
    })
    .await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let code = app.code_for(&client.client_id, &[]).await;
    let body: serde_json::Value = app.exchange(&client, &code).await.json().await.unwrap();
    let access_token = body["access_token"].as_str().unwrap();
    app.advance(std::time::Duration::from_secs(298));
    assert_eq!(
        app.userinfo_status(access_token).await,
        200,
        "not yet expired"
    );
    app.advance(std::time::Duration::from_secs(2));
    let res = reqwest::Client::new()
        .get(app.url("/userinfo"))
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn the_dev_outbox_lists_messages_newest_first_as_html_and_json() {
    let app = crate::helpers::spawn_app_with_db_outbox().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let b = crate::helpers::browser();
    let csrf = app
        .open_login(&b, &app.authorize_url(&client.client_id, &[]))
        .await;
    assert_eq!(
        app.submit_phone(&b, &csrf, crate::helpers::PHONE)
            .await
            .status(),
        303
    );
    assert!(app.sms.sent().is_empty(), "kept in the database instead");
    let html = app.get("/dev/outbox").await.text().await.unwrap();
    // A first sign-in creates the account: the register message.
    assert!(
        html.contains("Welcome to Test Shop! Your verification code is"),
        "{html}"
    );
    let json: serde_json::Value = app
        .client
        .get(app.url("/dev/outbox"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let messages = json["messages"].as_array().unwrap();
    assert_eq!(messages[0]["to"], crate::helpers::PHONE);
    assert!(
        messages[0]["body"]
            .as_str()
            .unwrap()
            .starts_with("Welcome to Test Shop! Your verification code is: ")
    );
}

#[tokio::test]
async fn dev_routes_do_not_exist_outside_dev_mode() {
    let app = spawn_app_with(|s| s.dev = false).await;
    assert_eq!(app.get("/dev/outbox").await.status(), 404);
    assert_eq!(app.get("/demo").await.status(), 404);
}

#[tokio::test]
async fn the_demo_application_signs_in_through_ferrid() {
    let app = spawn_app().await;
    let b = crate::helpers::browser();
    let index = b
        .get(app.url("/demo"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(index.contains("/demo/login"));
    let start = b.get(app.url("/demo/login")).send().await.unwrap();
    assert_eq!(start.status(), 303);
    let authorize = crate::helpers::location(&start);
    assert!(
        authorize.contains("code_challenge_method=S256"),
        "{authorize}"
    );
    let callback = app.sign_in(&b, &authorize, crate::helpers::PHONE).await;
    assert!(callback.path().ends_with("/demo/callback"));
    let result = b.get(callback.as_str()).send().await.unwrap();
    assert_eq!(result.status(), 200);
    let page = result.text().await.unwrap();
    assert!(page.contains("Signed in"), "{page}");
    assert!(page.contains(crate::helpers::PHONE));
}
