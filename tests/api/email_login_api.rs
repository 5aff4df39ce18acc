//! The passwordless API with a code by email: `POST /passwordless/start`
//! with `connection: "email"` and the OTP grant with `realm=email`.

use ferrid::domain::{ClientType, Connection, GrantType};
use serde_json::Value;

use crate::email_login::ADA;
use crate::helpers::{RP_REDIRECT, TestApp, TestClient, many_sign_ins, spawn_app_with};

/// A confidential client allowed the passwordless API on these connections.
async fn api_client(app: &TestApp, connections: &[Connection]) -> TestClient {
    let names: Vec<String> = connections.iter().map(|c| c.as_str().to_owned()).collect();
    app.register_with(ClientType::Confidential, &[RP_REDIRECT], |c| {
        c.grant_types = vec![GrantType::AuthorizationCode, GrantType::PasswordlessOtp];
        c.connections = names;
    })
    .await
}

async fn start_email(app: &TestApp, client: &TestClient, email: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/passwordless/start"))
        .json(&serde_json::json!({
            "client_id": client.client_id,
            "client_secret": client.secret,
            "connection": "email",
            "email": email,
            "send": "code",
        }))
        .send()
        .await
        .unwrap()
}

async fn otp_grant_email(
    app: &TestApp,
    client: &TestClient,
    email: &str,
    otp: &str,
) -> reqwest::Response {
    app.token(
        &[
            ("grant_type", ferrid::domain::PASSWORDLESS_OTP_GRANT),
            ("username", email),
            ("otp", otp),
            ("realm", "email"),
            ("scope", "openid email"),
        ],
        Some((&client.client_id, client.secret.as_deref().unwrap())),
    )
    .await
}

async fn error_of(res: reqwest::Response) -> (u16, String, String) {
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    (
        status,
        body["error"].as_str().unwrap_or_default().to_owned(),
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

fn payload(jwt: &str) -> Value {
    use base64::Engine;
    let part = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn passwordless_start_by_email_and_the_otp_grant_with_realm_email_give_tokens() {
    let app = spawn_app_with(many_sign_ins).await;
    app.set_first_factors(&[Connection::Sms, Connection::Email], true)
        .await;
    let client = api_client(&app, &[Connection::Email]).await;

    let res = start_email(&app, &client, ADA).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["email"], "a•••@example.com");
    assert!(body.get("phone_number").is_none(), "{body}");
    let mail = app.mail_for(ADA).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].usage, "sign_up");
    let code = app.mailed_code(ADA).await;

    let wrong = otp_grant_email(&app, &client, ADA, &crate::helpers::wrong_code(&code)).await;
    let (status, error, description) = error_of(wrong).await;
    assert_eq!((status, error.as_str()), (400, "invalid_grant"));
    assert_eq!(description, "Wrong email or verification code");

    let res = otp_grant_email(&app, &client, "ada@EXAMPLE.com", &code).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let tokens: Value = res.json().await.unwrap();
    let id_token = payload(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["amr"], serde_json::json!(["email"]));
    assert_eq!(id_token["acr"], "urn:ferrid:acr:email");

    let res = otp_grant_email(&app, &client, ADA, &code).await;
    assert_eq!(
        error_of(res).await.1,
        "invalid_grant",
        "a code is single use"
    );
}

#[tokio::test]
async fn passwordless_email_is_refused_without_the_policy_or_the_client_connection() {
    let app = spawn_app_with(many_sign_ins).await;
    let client = api_client(&app, &[Connection::Sms, Connection::Email]).await;
    // The seeded policy offers SMS only.
    let (status, error, description) = error_of(start_email(&app, &client, ADA).await).await;
    assert_eq!((status, error.as_str()), (400, "invalid_request"));
    assert_eq!(description, "Sign-in by email is not available");
    let res = otp_grant_email(&app, &client, ADA, "123456").await;
    assert_eq!(error_of(res).await.1, "invalid_request");

    app.set_first_factors(&[Connection::Sms, Connection::Email], true)
        .await;
    let sms_only = api_client(&app, &[Connection::Sms]).await;
    let (status, error, description) = error_of(start_email(&app, &sms_only, ADA).await).await;
    assert_eq!((status, error.as_str()), (400, "unauthorized_client"));
    assert_eq!(
        description,
        "The email connection is not enabled for this client"
    );
    let res = otp_grant_email(&app, &sms_only, ADA, "123456").await;
    assert_eq!(error_of(res).await.1, "unauthorized_client");

    let (status, error, description) =
        error_of(start_email(&app, &client, "not an address").await).await;
    assert_eq!((status, error.as_str()), (400, "invalid_request"));
    assert_eq!(description, "The email is not a valid email address");

    assert!(app.mail_for(ADA).await.is_empty(), "nothing was sent");
}
