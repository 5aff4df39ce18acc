//! The Basic OP plan's modules in the plan's order, from oidcc-server to
//! oidcc-max-age-1.

use super::*;

#[tokio::test]
async fn oidcc_server() {
    let app = spawn_app().await;
    let registered = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let (http, metadata) = rp_metadata(&app).await;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(registered.client_id.clone()),
        registered.secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(RP_REDIRECT.into()).unwrap());
    let nonce = "n-0S6_WzA2Mj";
    let session = signed_in(&app, &registered, &[("nonce", nonce)]).await;

    let id_token: CoreIdToken = session.id_token().parse().unwrap();
    let claims = id_token
        .claims(&client.id_token_verifier(), &Nonce::new(nonce.into()))
        .expect("signature, iss, aud, exp and nonce verify");
    assert!(claims.auth_time().is_some());
    assert!(claims.issue_time() <= chrono::Utc::now());
    let raw = session.id_claims();
    assert_eq!(raw["iss"], app.address.as_str());
    assert_eq!(raw["aud"], registered.client_id.as_str());
    assert!(raw.get("at_hash").is_some());
    assert_eq!(decode_header(session.id_token())["alg"], "RS256");

    let info: openidconnect::core::CoreUserInfoClaims = client
        .user_info(
            openidconnect::AccessToken::new(session.access_token().into()),
            None,
        )
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(info.subject(), claims.subject());
}

#[tokio::test]
async fn oidcc_response_type_missing() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let res = visit(
        &app.client,
        &request_url(&app, &client.client_id, &[("response_type", "")]),
    )
    .await;
    assert_redirected_error(&back_to_rp(&res), &app, "invalid_request");
}

#[tokio::test]
async fn oidcc_userinfo_get() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let session = signed_in(&app, &client, &[]).await;
    let (status, info) = userinfo(&app, session.access_token()).await;
    assert_eq!(status, 200);
    assert_eq!(info["sub"], session.id_claims()["sub"]);
    assert_eq!(info["phone_number"], PHONE);
}

#[tokio::test]
async fn oidcc_userinfo_post_header() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let session = signed_in(&app, &client, &[]).await;
    let res = reqwest::Client::new()
        .post(app.url("/userinfo"))
        .bearer_auth(session.access_token())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let info: Value = res.json().await.unwrap();
    assert_eq!(info["sub"], session.id_claims()["sub"]);
}

#[tokio::test]
async fn oidcc_userinfo_post_body() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let session = signed_in(&app, &client, &[]).await;
    let res = reqwest::Client::new()
        .post(app.url("/userinfo"))
        .form(&[("access_token", session.access_token())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let info: Value = res.json().await.unwrap();
    assert_eq!(info["sub"], session.id_claims()["sub"]);
}

#[tokio::test]
async fn oidcc_ensure_request_without_nonce_succeeds_for_code_flow() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let session = signed_in(&app, &client, &[("scope", "openid")]).await;
    let claims = session.id_claims();
    assert!(claims.get("nonce").is_none(), "{claims}");
    assert_eq!(claims["aud"], client.client_id.as_str());
}

#[tokio::test]
async fn oidcc_scope_profile() {
    let app = spawn_app().await;
    let (session, info) = userinfo_for_scope(&app, "openid profile").await;
    assert!(
        info["updated_at"].is_i64(),
        "updated_at is a number: {info}"
    );
    assert!(info.get("name").is_none(), "a new SMS user has no name");
    assert!(
        session.id_claims().get("updated_at").is_none(),
        "OIDC Core 5.4: scope claims go to /userinfo in the code flow"
    );

    app.db
        .execute_unprepared("UPDATE users SET name = 'Ada Lovelace', locale = 'en-GB'")
        .await
        .unwrap();
    let (_, info) = userinfo(&app, session.access_token()).await;
    assert_eq!(info["name"], "Ada Lovelace");
    assert_eq!(info["locale"], "en-GB");
    assert!(info.get("phone_number").is_none(), "no phone scope");
}

#[tokio::test]
async fn oidcc_scope_email() {
    let app = spawn_app().await;
    let (session, info) = userinfo_for_scope(&app, "openid email").await;
    assert!(info.get("email").is_none(), "a new SMS user has no email");
    app.db
        .execute_unprepared(
            "UPDATE users SET email = 'ada@example.com', email_verified_at = CURRENT_TIMESTAMP",
        )
        .await
        .unwrap();
    let (_, info) = userinfo(&app, session.access_token()).await;
    assert_eq!(info["email"], "ada@example.com");
    assert_eq!(info["email_verified"], true);
    assert!(session.id_claims().get("email").is_none());
}

#[tokio::test]
async fn oidcc_scope_address() {
    // ferrid keeps no addresses: the scope is ignored, not an error.
    let app = spawn_app().await;
    let supported = discovery(&app).await["scopes_supported"].clone();
    assert!(
        !supported.as_array().unwrap().iter().any(|s| s == "address"),
        "{supported}"
    );
    let (session, info) = userinfo_for_scope(&app, "openid address").await;
    assert!(info.get("address").is_none());
    assert!(session.id_claims().get("address").is_none());
    if let Some(scope) = session.tokens["scope"].as_str() {
        assert!(!scope.split(' ').any(|s| s == "address"), "{scope}");
    }
}

#[tokio::test]
async fn oidcc_scope_phone() {
    let app = spawn_app().await;
    let (session, info) = userinfo_for_scope(&app, "openid phone").await;
    assert_eq!(info["phone_number"], PHONE);
    assert_eq!(info["phone_number_verified"], true);
    let claims = session.id_claims();
    assert!(
        claims.get("phone_number").is_none(),
        "OIDC Core 5.4: without the claims parameter the phone goes to /userinfo only: {claims}"
    );
}

#[tokio::test]
async fn oidcc_scope_all() {
    let app = spawn_app().await;
    let (_, info) = userinfo_for_scope(&app, "openid profile email address phone").await;
    assert_eq!(info["phone_number"], PHONE);
    assert_eq!(info["phone_number_verified"], true);
    assert!(info["updated_at"].is_i64(), "{info}");
    assert!(info.get("address").is_none());
}

#[tokio::test]
async fn oidcc_alternate_happy_flow() {
    // Reversed scope order and the parameters in another order.
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("nonce", "n0nce")
        .append_pair("state", "st4te")
        .append_pair("scope", "phone email openid")
        .append_pair("redirect_uri", RP_REDIRECT)
        .append_pair("client_id", &client.client_id)
        .append_pair("response_type", "code");
    let b = browser();
    let back = url::Url::parse(&sign_in_to(&app, &b, url.as_str(), PHONE).await).unwrap();
    assert_eq!(param(&back, "state").as_deref(), Some("st4te"));
    let tokens = exchange_ok(&app, &client, &param(&back, "code").unwrap()).await;
    let claims = decode_payload(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["nonce"], "n0nce");
    let (status, info) = userinfo(&app, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(info["phone_number"], PHONE);
}

async fn display_succeeds(display: &str) {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let session = signed_in(&app, &client, &[("display", display)]).await;
    assert_eq!(session.id_claims()["aud"], client.client_id.as_str());
}

#[tokio::test]
async fn oidcc_display_page() {
    display_succeeds("page").await;
}

#[tokio::test]
async fn oidcc_display_popup() {
    display_succeeds("popup").await;
}

#[tokio::test]
async fn oidcc_prompt_login() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let first = signed_in(&app, &client, &[]).await;
    // auth_time has a one-second resolution.
    app.advance(Duration::from_millis(1100));
    let url = request_url(&app, &client.client_id, &[("prompt", "login")]);
    let back = sign_in_to(&app, &first.browser, &url, PHONE).await;
    let code = param(&url::Url::parse(&back).unwrap(), "code").unwrap();
    let second = exchange_ok(&app, &client, &code).await;
    let second = decode_payload(second["id_token"].as_str().unwrap());
    let first = first.id_claims();
    assert_eq!(second["sub"], first["sub"]);
    assert!(
        second["auth_time"].as_i64().unwrap() > first["auth_time"].as_i64().unwrap(),
        "a new authentication: {first} then {second}"
    );
}

#[tokio::test]
async fn oidcc_prompt_none_not_logged_in() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let back = silent(&app, &browser(), &client.client_id, &[]).await;
    assert_redirected_error(&back, &app, "login_required");
}

#[tokio::test]
async fn oidcc_prompt_none_logged_in() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let first = signed_in(&app, &client, &[]).await;
    let back = silent(&app, &first.browser, &client.client_id, &[]).await;
    assert_eq!(param(&back, "state").as_deref(), Some("st4te"));
    let second = exchange_ok(&app, &client, &param(&back, "code").unwrap()).await;
    let second = decode_payload(second["id_token"].as_str().unwrap());
    assert_eq!(second["sub"], first.id_claims()["sub"]);
    assert_eq!(second["auth_time"], first.id_claims()["auth_time"]);
}

#[tokio::test]
async fn oidcc_max_age_1() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let first = signed_in(&app, &client, &[]).await;
    // Two seconds: older than max_age=1 even with whole-second auth_time.
    app.advance(Duration::from_secs(2));
    let url = request_url(&app, &client.client_id, &[("max_age", "1")]);
    let back = sign_in_to(&app, &first.browser, &url, PHONE).await;
    let code = param(&url::Url::parse(&back).unwrap(), "code").unwrap();
    let second = exchange_ok(&app, &client, &code).await;
    let second = decode_payload(second["id_token"].as_str().unwrap());
    let first = first.id_claims();
    assert_eq!(second["sub"], first["sub"]);
    let (before, after) = (
        first["auth_time"].as_i64().unwrap(),
        second["auth_time"].as_i64().unwrap(),
    );
    assert!(after > before, "re-authenticated: {before} then {after}");
}
