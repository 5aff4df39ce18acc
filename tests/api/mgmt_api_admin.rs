//! The management API's applications, sign-in policy and audit log, and a
//! client made with the CLI calling it.

use serde_json::{Value, json};

use crate::helpers::spawn_app;
use crate::mgmt_api::{api_client, call, create_user, problem};

#[tokio::test]
async fn clients_are_registered_changed_and_their_secrets_rotated() {
    let app = spawn_app().await;
    let admin = api_client(&app, &["ferrid:clients:write"]).await;
    let res = call(
        &app,
        "POST",
        "/api/v1/clients",
        Some(&admin.token),
        Some(json!({
            "name": "Reports",
            "grant_types": ["client_credentials"],
            "allowed_scopes": ["ferrid:clients:write"],
        })),
    )
    .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let id = created["client_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    let got: Value = call(
        &app,
        "GET",
        &format!("/api/v1/clients/{id}"),
        Some(&admin.token),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(got["name"], "Reports");
    assert!(got.get("client_secret").is_none());
    // A client cannot hand out more of the API than it holds.
    let res = call(
        &app,
        "POST",
        "/api/v1/clients",
        Some(&admin.token),
        Some(json!({ "name": "Sneaky", "grant_types": ["client_credentials"], "allowed_scopes": ["ferrid:admin"] })),
    )
    .await;
    problem(res, 403).await;
    // Nor take over a client that may get more, by rotating its secret.
    let admin_client = api_client(&app, &["ferrid:admin"]).await;
    let res = call(
        &app,
        "POST",
        &format!("/api/v1/clients/{}/secret", admin_client.client_id),
        Some(&admin.token),
        None,
    )
    .await;
    problem(res, 403).await;
    // Every bad field is named.
    let res = call(
        &app,
        "POST",
        "/api/v1/clients",
        Some(&admin.token),
        Some(json!({ "name": "", "type": "secretive", "redirect_uris": ["nope"] })),
    )
    .await;
    let body = problem(res, 400).await;
    let names: Vec<&str> = body["invalid_params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["name", "type", "redirect_uris"]);
    // Rotation: the old secret stops, the new one works.
    let res = call(
        &app,
        "POST",
        &format!("/api/v1/clients/{id}/secret"),
        Some(&admin.token),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    let rotated: Value = res.json().await.unwrap();
    let new_secret = rotated["client_secret"].as_str().unwrap();
    let grant = [("grant_type", "client_credentials")];
    assert_eq!(app.token(&grant, Some((&id, &secret))).await.status(), 401);
    assert_eq!(
        app.token(&grant, Some((&id, new_secret))).await.status(),
        200
    );
}

#[tokio::test]
async fn the_policy_is_changed_only_as_a_whole_that_can_be_served() {
    let app = spawn_app().await;
    let admin = api_client(&app, &["ferrid:config:write"]).await;
    let policy: Value = call(&app, "GET", "/api/v1/policy", Some(&admin.token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(policy["first_factors"], json!(["sms"]));
    let res = call(
        &app,
        "PATCH",
        "/api/v1/policy",
        Some(&admin.token),
        Some(json!({ "mfa": "required", "second_factors": [] })),
    )
    .await;
    let body = problem(res, 422).await;
    assert!(!body["invalid_params"].as_array().unwrap().is_empty());
    let res = call(
        &app,
        "PATCH",
        "/api/v1/policy",
        Some(&admin.token),
        Some(json!({ "mfa": "sometimes" })),
    )
    .await;
    let body = problem(res, 400).await;
    assert_eq!(body["invalid_params"][0]["name"], "mfa");
    let res = call(
        &app,
        "PATCH",
        "/api/v1/policy",
        Some(&admin.token),
        Some(json!({ "first_factors": ["sms", "email"] })),
    )
    .await;
    assert_eq!(res.status(), 200);
    let after: Value = res.json().await.unwrap();
    assert_eq!(after["first_factors"], json!(["sms", "email"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_made_with_the_cli_and_the_admin_scope_calls_the_api() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let key = app.state.master_key.to_base64();
    let env = [
        (
            "FERRID_DATABASE_URL",
            app.state.settings.database_url.as_str(),
        ),
        ("FERRID_MASTER_KEY", key.as_str()),
    ];
    let out = crate::helpers::run_ferrid(
        dir.path(),
        &env,
        &[
            "client",
            "create",
            "--name",
            "Operations",
            "--grant",
            "client_credentials",
            "--scope",
            "ferrid:admin",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = created["client_id"].as_str().unwrap();
    let secret = created["client_secret"].as_str().unwrap();
    let res = app
        .token(
            &[
                ("grant_type", "client_credentials"),
                ("scope", "ferrid:admin"),
            ],
            Some((id, secret)),
        )
        .await;
    assert_eq!(res.status(), 200);
    let token: Value = res.json().await.unwrap();
    let res = call(
        &app,
        "GET",
        "/api/v1/users",
        token["access_token"].as_str(),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn the_audit_log_is_read_newest_first_a_page_at_a_time() {
    let app = spawn_app().await;
    let admin = api_client(&app, &["ferrid:users:write"]).await;
    let auditor = api_client(&app, &["ferrid:audit:read"]).await;
    for n in 0..3 {
        create_user(&app, &admin.token, json!({ "name": format!("U{n}") })).await;
        app.advance(std::time::Duration::from_secs(1));
    }
    let mut kinds = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/audit-events?kind=admin.user.created&limit=2&cursor={c}"),
            None => "/api/v1/audit-events?kind=admin.user.created&limit=2".to_owned(),
        };
        let page: Value = call(&app, "GET", &path, Some(&auditor.token), None)
            .await
            .json()
            .await
            .unwrap();
        for e in page["events"].as_array().unwrap() {
            assert_eq!(e["client_id"], admin.client_id);
            kinds.push(e["at"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(kinds.len(), 3);
    let mut newest_first = kinds.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(kinds, newest_first);
    // Only what happened since a time.
    let since = (app.now() - chrono::Duration::milliseconds(1500)).to_rfc3339();
    let page: Value = call(
        &app,
        "GET",
        &format!(
            "/api/v1/audit-events?kind=admin.user.created&since={}",
            since.replace('+', "%2B")
        ),
        Some(&auditor.token),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(page["events"].as_array().unwrap().len(), 1, "{page}");
}
