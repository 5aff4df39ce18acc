//! The Basic OP plan's modules in the plan's order, from oidcc-max-age-10000
//! to oidcc-redirect-uri-query-mismatch.

use super::*;

#[tokio::test]
async fn oidcc_max_age_10000() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let first = signed_in(&app, &client, &[]).await;
    let res = visit(
        &first.browser,
        &request_url(&app, &client.client_id, &[("max_age", "10000")]),
    )
    .await;
    assert_eq!(res.status(), 302, "no new authentication");
    let code = param(&back_to_rp(&res), "code").unwrap();
    let second = exchange_ok(&app, &client, &code).await;
    let second = decode_payload(second["id_token"].as_str().unwrap());
    assert_eq!(second["auth_time"], first.id_claims()["auth_time"]);
    assert_eq!(second["sub"], first.id_claims()["sub"]);
}

#[tokio::test]
async fn oidcc_ensure_request_with_unknown_parameter_succeeds() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let session = signed_in(&app, &client, &[("extra", "foobar"), ("x-unknown", "1")]).await;
    assert_eq!(session.id_claims()["aud"], client.client_id.as_str());
}

#[tokio::test]
async fn oidcc_id_token_hint() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let first = signed_in(&app, &client, &[]).await;
    let back = silent(
        &app,
        &first.browser,
        &client.client_id,
        &[("id_token_hint", first.id_token())],
    )
    .await;
    let second = exchange_ok(&app, &client, &param(&back, "code").expect("a code")).await;
    assert_eq!(
        sub_of(second["id_token"].as_str().unwrap()),
        sub_of(first.id_token())
    );

    // A hint naming someone else than the signed-in user cannot pass silently.
    let other = signed_in_as(&app, &client, &[], OTHER_PHONE).await;
    let back = silent(
        &app,
        &first.browser,
        &client.client_id,
        &[("id_token_hint", other.id_token())],
    )
    .await;
    assert_redirected_error(&back, &app, "login_required");
}

#[tokio::test]
async fn oidcc_login_hint() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let b = browser();
    let url = request_url(&app, &client.client_id, &[("login_hint", PHONE)]);
    assert_eq!(visit(&b, &url).await.status(), 303);
    let page = visit(&b, &app.url("/login")).await.text().await.unwrap();
    assert!(page.contains(&format!("value=\"{PHONE}\"")), "{page}");
    let back = sign_in_to(&app, &b, &url, PHONE).await;
    assert!(param(&url::Url::parse(&back).unwrap(), "code").is_some());
}

#[tokio::test]
async fn oidcc_ui_locales() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let session = signed_in(&app, &client, &[("ui_locales", "se")]).await;
    assert_eq!(session.id_claims()["aud"], client.client_id.as_str());
}

#[tokio::test]
async fn oidcc_claims_locales() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let session = signed_in(
        &app,
        &client,
        &[("scope", "openid profile"), ("claims_locales", "se")],
    )
    .await;
    let (status, _) = userinfo(&app, session.access_token()).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn oidcc_ensure_request_with_acr_values_succeeds() {
    let app = spawn_app().await;
    let supported = discovery(&app).await["acr_values_supported"].clone();
    assert!(
        supported
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v == "urn:ferrid:acr:sms")),
        "acr_values_supported: {supported}"
    );
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let session = signed_in(&app, &client, &[("acr_values", "1 2")]).await;
    assert_eq!(session.id_claims()["acr"], "urn:ferrid:acr:sms");
}

#[tokio::test]
async fn oidcc_codereuse() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let code = app.code_for(&client.client_id, &[]).await;
    let first = exchange_ok(&app, &client, &code).await;
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&app, access).await.0, 200);
    assert_eq!(
        oauth_error(app.exchange(&client, &code).await).await,
        (400, "invalid_grant".into())
    );
    assert_eq!(
        userinfo(&app, access).await.0,
        401,
        "RFC 6749 4.1.2: tokens from the reused code are revoked"
    );
}

#[tokio::test]
async fn oidcc_codereuse_30seconds() {
    // The suite waits 30 s before reusing the code (within its 60 s
    // lifetime): ferrid's clock is moved by as much.
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let code = app.code_for(&client.client_id, &[]).await;
    let first = exchange_ok(&app, &client, &code).await;
    app.advance(Duration::from_secs(30));
    assert_eq!(
        oauth_error(app.exchange(&client, &code).await).await,
        (400, "invalid_grant".into())
    );
    assert_eq!(
        userinfo(&app, first["access_token"].as_str().unwrap())
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn oidcc_ensure_registered_redirect_uri() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let url = request_url(
        &app,
        &client.client_id,
        &[("redirect_uri", "https://attacker.example.net/callback")],
    );
    expect_error_page(&app, &url).await;
}

#[tokio::test]
async fn oidcc_server_client_secret_post() {
    let app = spawn_app().await;
    let registered = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let (http, metadata) = rp_metadata(&app).await;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(registered.client_id.clone()),
        registered.secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(RP_REDIRECT.into()).unwrap())
    .set_auth_type(AuthType::RequestBody);
    let code = app
        .code_for(&registered.client_id, &[("nonce", "n0nce")])
        .await;
    let tokens = client
        .exchange_code(openidconnect::AuthorizationCode::new(code))
        .unwrap()
        .request_async(&http)
        .await
        .expect("client_secret_post exchange");
    use openidconnect::TokenResponse;
    let claims = tokens
        .id_token()
        .unwrap()
        .claims(&client.id_token_verifier(), &Nonce::new("n0nce".into()))
        .expect("a valid ID token");
    assert_eq!(claims.audiences()[0].as_str(), registered.client_id);
}

#[tokio::test]
async fn oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let object = serde_json::json!({
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": RP_REDIRECT,
        "scope": "openid",
        "state": "st4te",
        "nonce": "n0nce",
    });
    let request = format!(
        "{}.{}.",
        b64(br#"{"alg":"none"}"#),
        b64(object.to_string().as_bytes())
    );
    let res = visit(
        &app.client,
        &request_url(&app, &client.client_id, &[("request", &request)]),
    )
    .await;
    assert_redirected_error(&back_to_rp(&res), &app, "request_not_supported");
    let supported = discovery(&app).await;
    assert_ne!(supported["request_parameter_supported"], true);
}

#[tokio::test]
async fn oidcc_claims_essential() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    // The module's request: `name` as an essential userinfo claim.
    let session = signed_in(
        &app,
        &client,
        &[("claims", r#"{"userinfo":{"name":{"essential":true}}}"#)],
    )
    .await;
    let (status, _) = userinfo(&app, session.access_token()).await;
    assert_eq!(status, 200);
    assert!(session.id_claims().get("name").is_none());

    // And the phone asked for in the ID token itself (OIDC Core 5.5).
    let session = signed_in(
        &app,
        &client,
        &[(
            "claims",
            r#"{"id_token":{"phone_number":{"essential":true}}}"#,
        )],
    )
    .await;
    let claims = session.id_claims();
    assert_eq!(claims["phone_number"], PHONE, "{claims}");
    assert_eq!(claims["phone_number_verified"], true);
}

#[tokio::test]
async fn oidcc_ensure_request_object_with_redirect_uri() {
    // ferrid does not support request objects: the suite accepts
    // request_not_supported, sent to the (valid) redirect_uri of the query.
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let object = serde_json::json!({
        "client_id": client.client_id,
        "redirect_uri": RP_REDIRECT,
        "response_type": "code",
        "scope": "openid",
        "state": "st4te",
    });
    let request = format!(
        "{}.{}.",
        b64(br#"{"alg":"none"}"#),
        b64(object.to_string().as_bytes())
    );
    let res = visit(
        &app.client,
        &request_url(&app, &client.client_id, &[("request", &request)]),
    )
    .await;
    let back = back_to_rp(&res);
    assert_redirected_error(&back, &app, "request_not_supported");
}

#[tokio::test]
async fn oidcc_refresh_token() {
    let app = spawn_app().await;
    let with_refresh = |c: &mut ferrid::admin::clients::CreateClient| {
        c.grant_types = vec![GrantType::AuthorizationCode, GrantType::RefreshToken];
    };
    let one = app
        .register_with(ClientType::Confidential, &[RP_REDIRECT], with_refresh)
        .await;
    let two = app
        .register_with(ClientType::Confidential, &[RP_REDIRECT], with_refresh)
        .await;
    assert!(
        discovery(&app).await["grant_types_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == "refresh_token")
    );

    // As the suite does: offline_access comes with prompt=consent (OIDC Core 11).
    let params = [
        ("scope", "openid phone offline_access"),
        ("prompt", "consent"),
    ];
    let b = browser();
    let to = sign_in_to(&app, &b, &request_url(&app, &one.client_id, &params), PHONE).await;
    assert_eq!(to, "/consent");
    let back = back_to_rp(&decide_consent(&app, &b, "allow").await);
    let first = exchange_ok(&app, &one, &param(&back, "code").unwrap()).await;
    let refresh_token = first["refresh_token"].as_str().expect("a refresh token");
    assert!(
        refresh_token.bytes().all(|c| (0x20..=0x7e).contains(&c)),
        "RFC 6749 A.17"
    );

    let res = refresh(&app, &one, refresh_token).await;
    assert_eq!(res.status(), 200);
    let second: Value = res.json().await.unwrap();
    let (before, after) = (
        decode_payload(first["id_token"].as_str().unwrap()),
        decode_payload(second["id_token"].as_str().expect("a new ID token")),
    );
    for claim in ["iss", "sub", "aud", "auth_time"] {
        assert_eq!(before[claim], after[claim], "{claim} is kept");
    }
    assert!(after["iat"].as_i64() >= before["iat"].as_i64());
    let (status, _) = userinfo(&app, second["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "the refreshed access token works");

    // Client two's refresh token is bound to client two.
    let to = sign_in_to_existing(&b, &request_url(&app, &two.client_id, &params)).await;
    assert_eq!(to, "/consent");
    let back = back_to_rp(&decide_consent(&app, &b, "allow").await);
    let theirs = exchange_ok(&app, &two, &param(&back, "code").unwrap()).await;
    let theirs = theirs["refresh_token"].as_str().expect("a refresh token");
    assert_eq!(
        oauth_error(refresh(&app, &one, theirs).await).await,
        (400, "invalid_grant".into())
    );
}

/// `/authorize` from a browser that already has a session: where it goes.
async fn sign_in_to_existing(browser: &reqwest::Client, url: &str) -> String {
    let res = visit(browser, url).await;
    assert!(res.status().is_redirection(), "{}", res.status());
    location(&res)
}

#[tokio::test]
async fn oidcc_ensure_request_with_valid_pkce_succeeds() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let code = app
        .code_for(
            &client.client_id,
            &[
                ("code_challenge", challenge),
                ("code_challenge_method", "S256"),
            ],
        )
        .await;
    let res = app
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", RP_REDIRECT),
                ("code_verifier", verifier),
            ],
            Some((&client.client_id, client.secret.as_deref().unwrap())),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(body["id_token"].is_string());
}

#[tokio::test]
async fn oidcc_ensure_post_request_succeeds() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let b = browser();
    let res = b
        .post(app.url("/authorize"))
        .form(&[
            ("response_type", "code"),
            ("client_id", client.client_id.as_str()),
            ("redirect_uri", RP_REDIRECT),
            ("scope", "openid phone"),
            ("state", "p0st"),
            ("nonce", "n0nce"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login");
    let csrf = csrf_of(&visit(&b, &app.url("/login")).await.text().await.unwrap());
    assert_eq!(app.submit_phone(&b, &csrf, PHONE).await.status(), 303);
    let code = app.sms.last_code(PHONE);
    let done = app.submit_code(&b, &csrf, &code).await;
    let back = back_to_rp(&done);
    assert_eq!(param(&back, "state").as_deref(), Some("p0st"));
    let tokens = exchange_ok(&app, &client, &param(&back, "code").unwrap()).await;
    assert_eq!(
        decode_payload(tokens["id_token"].as_str().unwrap())["nonce"],
        "n0nce"
    );
}

#[tokio::test]
async fn oidcc_server_rotate_keys() {
    let app = spawn_app().await;
    let kids = |set: &Value| -> Vec<String> {
        set["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    let before: Value = app.get("/jwks.json").await.json().await.unwrap();
    let old = kids(&before);
    let (new_kid, _) = ferrid::oidc::keys::rotate(
        &app.db,
        &app.state.master_key,
        ferrid::oidc::keys::Activation::Now,
        Duration::from_secs(3600),
        app.now(),
    )
    .await
    .unwrap();
    ferrid::oidc::keys::sync_key_ring(&app.db, &app.state.keys, &app.state.master_key, app.now())
        .await
        .unwrap();
    let after: Value = app.get("/jwks.json").await.json().await.unwrap();
    let now = kids(&after);
    assert!(now.contains(&new_kid), "the new key is published");
    assert!(!old.contains(&new_kid));
    for kid in &old {
        assert!(now.contains(kid), "the old key stays published");
    }
    let distinct: std::collections::HashSet<_> = now.iter().collect();
    assert_eq!(distinct.len(), now.len(), "distinct kids");
    for key in after["keys"].as_array().unwrap() {
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(key.get(private).is_none());
        }
    }
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let session = signed_in(&app, &client, &[]).await;
    assert_eq!(decode_header(session.id_token())["kid"], new_kid.as_str());
}

#[tokio::test]
async fn oidcc_redirect_uri_query_added() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let added = format!("{RP_REDIRECT}?foo=bar");
    let url = request_url(&app, &client.client_id, &[("redirect_uri", &added)]);
    expect_error_page(&app, &url).await;
}

#[tokio::test]
async fn oidcc_redirect_uri_query_mismatch() {
    let app = spawn_app().await;
    let registered = format!("{RP_REDIRECT}?foo=bar");
    let client = app
        .register(ClientType::Confidential, &[registered.as_str()])
        .await;
    let mismatched = format!("{RP_REDIRECT}?foo=baz");
    let url = request_url(&app, &client.client_id, &[("redirect_uri", &mismatched)]);
    expect_error_page(&app, &url).await;
}
