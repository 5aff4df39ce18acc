//! The management API: bearer tokens from the client credentials grant,
//! scopes checked per scope of routes, RFC 9457 problems, and users; the
//! helpers the other `mgmt_api_*` files share.

use ferrid::domain::{ClientType, GrantType};
use serde_json::{Value, json};

use crate::helpers::{PHONE, RP_REDIRECT, TestApp, browser, spawn_app};
use crate::sign_in::decode_payload;

/// A client of the management API allowed `scopes`, and a token of it
/// carrying them all.
pub struct ApiClient {
    pub client_id: String,
    pub token: String,
}

/// Registers a client with the client credentials grant allowed `scopes`
/// and gets a token with them.
pub async fn api_client(app: &TestApp, scopes: &[&str]) -> ApiClient {
    let registered = app
        .register_with(ClientType::Confidential, &[], |c| {
            c.grant_types = vec![GrantType::ClientCredentials];
            c.allowed_scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
            c.connections = vec![];
        })
        .await;
    let res = app
        .token(
            &[("grant_type", "client_credentials")],
            Some((&registered.client_id, registered.secret.as_deref().unwrap())),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    ApiClient {
        client_id: registered.client_id,
        token: body["access_token"].as_str().unwrap().to_owned(),
    }
}

/// Calls the API: `token` as bearer when given, `body` as JSON when given.
pub async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = reqwest::Client::new().request(method, app.url(path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

/// Asserts an RFC 9457 problem with `status`; returns its body.
pub async fn problem(res: reqwest::Response, status: u16) -> Value {
    assert_eq!(res.status(), status, "{:?}", res.url().path());
    assert_eq!(
        res.headers()["content-type"],
        "application/problem+json",
        "{}",
        res.url()
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(body["type"].is_string() && body["title"].is_string() && body["detail"].is_string());
    body
}

/// Creates a user over the API; returns its JSON.
pub async fn create_user(app: &TestApp, token: &str, body: Value) -> Value {
    let res = call(app, "POST", "/api/v1/users", Some(token), Some(body)).await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

/// Signs `phone` in on the hosted login for a new client; the `sub` of the
/// ID token.
pub async fn subject_signing_in(app: &TestApp, phone: &str) -> String {
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let tokens: Value = app.tokens_for(&client, phone).await.json().await.unwrap();
    decode_payload(tokens["id_token"].as_str().unwrap())["sub"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_token_of_the_client_credentials_grant_with_the_scope_lists_users() {
    let app = spawn_app().await;
    let admin = api_client(&app, &["ferrid:admin"]).await;
    let created = create_user(&app, &admin.token, json!({ "name": "Ada" })).await;
    let reader = api_client(&app, &["ferrid:users:read"]).await;
    let res = call(&app, "GET", "/api/v1/users", Some(&reader.token), None).await;
    assert_eq!(res.status(), 200);
    let list: Value = res.json().await.unwrap();
    assert_eq!(list["users"][0]["id"], created["id"]);
    assert_eq!(list["users"][0]["name"], "Ada");
    // Reading is not writing.
    let res = call(
        &app,
        "POST",
        "/api/v1/users",
        Some(&reader.token),
        Some(json!({})),
    )
    .await;
    let body = problem(res, 403).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("ferrid:users:write")
    );
}

#[tokio::test]
async fn tokens_that_are_not_a_clients_own_or_are_bad_get_401_with_a_challenge() {
    let app = spawn_app().await;
    let res = call(&app, "GET", "/api/v1/users", None, None).await;
    assert_eq!(res.headers()["www-authenticate"], "Bearer realm=\"ferrid\"");
    problem(res, 401).await;
    let res = call(&app, "GET", "/api/v1/users", Some("not-a-jwt"), None).await;
    let challenge = res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.contains("invalid_token"), "{challenge}");
    problem(res, 401).await;

    // A user's access token, even from a first-party app, is not a client's.
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let code = app.code_for(&client.client_id, &[]).await;
    let tokens: Value = app.exchange(&client, &code).await.json().await.unwrap();
    let user_token = tokens["access_token"].as_str().unwrap();
    problem(
        call(&app, "GET", "/api/v1/users", Some(user_token), None).await,
        401,
    )
    .await;

    // Expired.
    let admin = api_client(&app, &["ferrid:admin"]).await;
    app.advance(std::time::Duration::from_secs(24 * 3600));
    problem(
        call(&app, "GET", "/api/v1/users", Some(&admin.token), None).await,
        401,
    )
    .await;
}

#[tokio::test]
async fn a_deleted_clients_token_stops_working_at_once() {
    let app = spawn_app().await;
    let admin = api_client(&app, &["ferrid:admin"]).await;
    let other = api_client(&app, &["ferrid:users:read"]).await;
    let path = format!("/api/v1/clients/{}", other.client_id);
    let res = call(&app, "DELETE", &path, Some(&admin.token), None).await;
    assert_eq!(res.status(), 204);
    problem(
        call(&app, "GET", "/api/v1/users", Some(&other.token), None).await,
        401,
    )
    .await;
}

#[tokio::test]
async fn users_are_found_by_phone_email_or_search_a_page_at_a_time() {
    let app = spawn_app().await;
    let admin = api_client(&app, &["ferrid:users:write"]).await;
    for n in 0..5 {
        create_user(
            &app,
            &admin.token,
            json!({ "name": format!("User {n}"), "email": format!("u{n}@example.com") }),
        )
        .await;
    }
    let ada = create_user(
        &app,
        &admin.token,
        json!({ "name": "Ada Lovelace", "phone_number": PHONE, "email": "Ada@Example.com" }),
    )
    .await;
    assert_eq!(ada["phone_verified"], true);
    assert_eq!(ada["email_verified"], true);
    for query in [
        format!("phone={}", PHONE.replace('+', "%2B")),
        "email=ada@example.com".to_owned(),
        "q=lovelace".to_owned(),
    ] {
        let res = call(
            &app,
            "GET",
            &format!("/api/v1/users?{query}"),
            Some(&admin.token),
            None,
        )
        .await;
        let list: Value = res.json().await.unwrap();
        assert_eq!(list["users"].as_array().unwrap().len(), 1, "{query}");
        assert_eq!(list["users"][0]["id"], ada["id"]);
    }
    // Pages of two, each user once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/users?limit=2&cursor={c}"),
            None => "/api/v1/users?limit=2".to_owned(),
        };
        let page: Value = call(&app, "GET", &path, Some(&admin.token), None)
            .await
            .json()
            .await
            .unwrap();
        for u in page["users"].as_array().unwrap() {
            seen.push(u["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 6);
    let res = call(
        &app,
        "GET",
        "/api/v1/users?limit=many",
        Some(&admin.token),
        None,
    )
    .await;
    let body = problem(res, 400).await;
    assert_eq!(body["invalid_params"][0]["name"], "query");
    let res = call(
        &app,
        "GET",
        "/api/v1/users?cursor=nope",
        Some(&admin.token),
        None,
    )
    .await;
    let body = problem(res, 400).await;
    assert_eq!(body["invalid_params"][0]["name"], "cursor");
    // A number that is another user's, while numbers are unique.
    let res = call(
        &app,
        "POST",
        "/api/v1/users",
        Some(&admin.token),
        Some(json!({ "phone_number": PHONE })),
    )
    .await;
    problem(res, 409).await;
}

#[tokio::test]
async fn a_blocked_user_cannot_sign_in_and_their_sessions_end() {
    let app = spawn_app().await;
    let admin = api_client(&app, &["ferrid:users:write"]).await;
    let b = browser();
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    app.sign_in(&b, &app.authorize_url(&client.client_id, &[]), PHONE)
        .await;
    let list: Value = call(
        &app,
        "GET",
        &format!("/api/v1/users?phone={}", PHONE.replace('+', "%2B")),
        Some(&admin.token),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let id = list["users"][0]["id"].as_str().unwrap().to_owned();
    let res = call(
        &app,
        "PATCH",
        &format!("/api/v1/users/{id}"),
        Some(&admin.token),
        Some(json!({ "blocked": true, "name": "Blocked" })),
    )
    .await;
    assert_eq!(res.status(), 200);
    let user: Value = res.json().await.unwrap();
    assert_eq!(user["blocked"], true);
    assert_eq!(user["name"], "Blocked");
    // The SSO session is gone: the next authorization asks to sign in again.
    let res = b
        .get(app.authorize_url(&client.client_id, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(crate::helpers::location(&res), "/login");
    // And signing in again is refused.
    let csrf = app
        .open_login(&b, &app.authorize_url(&client.client_id, &[]))
        .await;
    app.submit_phone(&b, &csrf, PHONE).await;
    let code = app.sms.last_code(PHONE);
    let done = app.submit_code(&b, &csrf, &code).await;
    assert_ne!(
        done.status(),
        303,
        "a blocked user is not sent back signed in"
    );
    // The audit log names the client that blocked them.
    let auditor = api_client(&app, &["ferrid:audit:read"]).await;
    let events: Value = call(
        &app,
        "GET",
        &format!("/api/v1/audit-events?kind=admin.user.blocked&user={id}"),
        Some(&auditor.token),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(events["events"][0]["client_id"], admin.client_id);
    assert_eq!(
        events["events"][0]["actor"],
        format!("client:{}", admin.client_id)
    );
}

#[tokio::test]
async fn a_deleted_user_is_gone() {
    let app = spawn_app().await;
    let admin = api_client(&app, &["ferrid:admin"]).await;
    let user = create_user(&app, &admin.token, json!({ "phone_number": PHONE })).await;
    let path = format!("/api/v1/users/{}", user["id"].as_str().unwrap());
    assert_eq!(
        call(&app, "DELETE", &path, Some(&admin.token), None)
            .await
            .status(),
        204
    );
    problem(
        call(&app, "GET", &path, Some(&admin.token), None).await,
        404,
    )
    .await;
    problem(
        call(&app, "DELETE", &path, Some(&admin.token), None).await,
        404,
    )
    .await;
    // The number is free again: signing in with it makes a new account.
    assert_ne!(
        subject_signing_in(&app, PHONE).await,
        user["id"].as_str().unwrap()
    );
}
