//! Passwordless (Auth0's shapes).

use super::*;

const OTP_GRANT: &str = "http://auth0.com/oauth/grant-type/passwordless/otp";

async fn passwordless_client(app: &TestApp) -> TestClient {
    app.register_with(
        ClientType::Confidential,
        &[RP_REDIRECT],
        with_grants(vec![
            GrantType::AuthorizationCode,
            GrantType::PasswordlessOtp,
            GrantType::RefreshToken,
        ]),
    )
    .await
}

async fn start(
    app: &TestApp,
    client: &TestClient,
    connection: &str,
    phone: &str,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/passwordless/start"))
        .json(&serde_json::json!({
            "client_id": client.client_id,
            "client_secret": client.secret,
            "connection": connection,
            "phone_number": phone,
            "send": "code",
        }))
        .send()
        .await
        .unwrap()
}

async fn otp_grant(
    app: &TestApp,
    path: &str,
    client: &TestClient,
    phone: &str,
    otp: &str,
    scope: &str,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url(path))
        .form(&[
            ("grant_type", OTP_GRANT),
            ("client_id", &client.client_id),
            ("client_secret", client.secret.as_deref().unwrap()),
            ("username", phone),
            ("otp", otp),
            ("realm", "sms"),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn passwordless_start_and_the_otp_grant_give_tokens_like_the_code_flow() {
    let app = spawn_app().await;
    let registered = passwordless_client(&app).await;
    let (http, client) = rp(&app, &registered).await;

    let res = start(&app, &registered, "sms", PHONE).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let masked = body["phone_number"].as_str().expect("the masked number");
    assert_ne!(masked, PHONE);
    assert!(
        masked.ends_with("56") && !masked.contains("7400123"),
        "{masked}"
    );

    let otp = app.sms.last_code(PHONE);
    let res = otp_grant(
        &app,
        "/token",
        &registered,
        PHONE,
        &otp,
        "openid phone offline_access",
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let tokens: CoreTokenResponse = res.json().await.unwrap();
    let claims = verified_without_nonce(&client, &tokens);
    assert_eq!(claims.audiences()[0].as_str(), registered.client_id);
    assert!(claims.auth_time().is_some());
    let (status, info) = userinfo(&app, tokens.access_token().secret()).await;
    assert_eq!(status, 200);
    assert_eq!(info["sub"], claims.subject().as_str());
    assert_eq!(info["phone_number"], PHONE);
    let refresh_token = tokens.refresh_token().expect("a refresh token");
    let refreshed = client
        .exchange_refresh_token(refresh_token)
        .unwrap()
        .request_async(&http)
        .await
        .expect("the refresh token works");
    assert_eq!(
        verified_without_nonce(&client, &refreshed).subject(),
        claims.subject()
    );

    // The code works once; Auth0's /oauth/token path works too.
    let res = otp_grant(&app, "/token", &registered, PHONE, &otp, "openid").await;
    assert_eq!(oauth_error(res).await, (400, "invalid_grant".into()));
    assert_eq!(
        start(&app, &registered, "sms", OTHER_PHONE).await.status(),
        200
    );
    let otp = app.sms.last_code(OTHER_PHONE);
    let res = otp_grant(
        &app,
        "/oauth/token",
        &registered,
        OTHER_PHONE,
        &otp,
        "openid",
    )
    .await;
    assert_eq!(res.status(), 200);
    let tokens: CoreTokenResponse = res.json().await.unwrap();
    assert_ne!(
        verified_without_nonce(&client, &tokens).subject(),
        claims.subject()
    );
    assert!(tokens.refresh_token().is_none(), "no offline_access asked");
}

#[tokio::test]
async fn passwordless_wrong_codes_count_and_the_tenth_kills_the_code() {
    let app = spawn_app().await;
    let registered = passwordless_client(&app).await;
    assert_eq!(start(&app, &registered, "sms", PHONE).await.status(), 200);
    let otp = app.sms.last_code(PHONE);
    let wrong = format!(
        "{}{}",
        if otp.starts_with('1') { '2' } else { '1' },
        &otp[1..]
    );
    for _ in 0..10 {
        let res = otp_grant(&app, "/token", &registered, PHONE, &wrong, "openid").await;
        assert_eq!(oauth_error(res).await, (400, "invalid_grant".into()));
    }
    let res = otp_grant(&app, "/token", &registered, PHONE, &otp, "openid").await;
    assert_eq!(
        oauth_error(res).await,
        (400, "invalid_grant".into()),
        "after 10 wrong codes the right one is refused too"
    );
}

#[tokio::test]
async fn passwordless_needs_the_grant_and_the_sms_connection() {
    let app = spawn_app().await;
    let plain = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let res = start(&app, &plain, "sms", PHONE).await;
    assert_eq!(oauth_error(res).await, (400, "unauthorized_client".into()));
    let res = otp_grant(&app, "/token", &plain, PHONE, "123456", "openid").await;
    assert_eq!(oauth_error(res).await, (400, "unauthorized_client".into()));
    assert_eq!(app.sms.sent_to(PHONE).len(), 0, "nothing was sent");

    let registered = passwordless_client(&app).await;
    let res = start(&app, &registered, "email", PHONE).await;
    assert_eq!(oauth_error(res).await, (400, "invalid_request".into()));
}

#[tokio::test]
async fn the_otp_grant_refuses_a_user_who_must_prove_a_second_factor() {
    let app = spawn_app().await;
    let registered = passwordless_client(&app).await;
    crate::mfa::require(
        &app,
        ferrid::domain::MfaMode::Required,
        &[ferrid::domain::Factor::Totp],
    )
    .await;
    let res = start(&app, &registered, "sms", PHONE).await;
    assert_eq!(res.status(), 200);
    let otp = app.sms.last_code(PHONE);
    let res = otp_grant(&app, "/token", &registered, PHONE, &otp, "openid").await;
    assert_eq!(
        oauth_error(res).await,
        (403, "mfa_required".into()),
        "one factor must not give tokens when two are required"
    );
}
