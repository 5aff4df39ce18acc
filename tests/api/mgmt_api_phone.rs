//! Phone numbers set over the management API, in Frontegg's shape: with a
//! code sent and given back (`verify: true`), or vouched for (`verify:
//! false`); either way the user hears of it, and the number signs in.

use ferrid::store;
use serde_json::{Value, json};

use crate::helpers::{PHONE, nth_phone, spawn_app, wrong_code};
use crate::mgmt_api::{api_client, call, create_user, problem, subject_signing_in};

#[tokio::test]
async fn a_number_set_with_verify_signs_in_only_once_its_code_comes_back() {
    let app = spawn_app().await;
    let admin = api_client(&app, &["ferrid:users:write"]).await;
    let user = create_user(&app, &admin.token, json!({ "name": "Ada" })).await;
    let id = user["id"].as_str().unwrap();
    let path = format!("/api/v1/users/{id}/phone-numbers");
    let res = call(
        &app,
        "POST",
        &path,
        Some(&admin.token),
        Some(json!({ "phone_number": PHONE, "verify": true })),
    )
    .await;
    assert_eq!(res.status(), 202);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "code_sent");
    // Not usable yet.
    let shown: Value = call(
        &app,
        "GET",
        &format!("/api/v1/users/{id}"),
        Some(&admin.token),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(shown["phone_number"], Value::Null);
    let sent = app.sms.sent_to(PHONE);
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].body.contains("code to confirm this phone number"),
        "the verify message: {}",
        sent[0].body
    );
    let code = app.sms.last_code(PHONE);
    let verify = format!("{path}/verify");
    let res = call(
        &app,
        "POST",
        &verify,
        Some(&admin.token),
        Some(json!({ "code": wrong_code(&code) })),
    )
    .await;
    let body = problem(res, 422).await;
    assert_eq!(body["invalid_params"][0]["name"], "code");
    let res = call(
        &app,
        "POST",
        &verify,
        Some(&admin.token),
        Some(json!({ "code": code })),
    )
    .await;
    assert_eq!(res.status(), 200);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["phone_number"], PHONE);
    assert_eq!(saved["phone_verified"], true);
    // Used once.
    let res = call(
        &app,
        "POST",
        &verify,
        Some(&admin.token),
        Some(json!({ "code": code })),
    )
    .await;
    problem(res, 422).await;
    assert_eq!(subject_signing_in(&app, PHONE).await, id);
}

#[tokio::test]
async fn a_number_set_without_verify_signs_in_at_once_and_the_user_is_told() {
    let app = spawn_app().await;
    let admin = api_client(&app, &["ferrid:users:write"]).await;
    let user = create_user(
        &app,
        &admin.token,
        json!({ "name": "Ada", "email": "ada@example.com" }),
    )
    .await;
    let id = user["id"].as_str().unwrap();
    let path = format!("/api/v1/users/{id}/phone-numbers");
    let res = call(
        &app,
        "POST",
        &path,
        Some(&admin.token),
        Some(json!({ "phone_number": PHONE, "verify": false })),
    )
    .await;
    assert_eq!(res.status(), 200);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["phone_verified"], true);
    assert!(app.sms.sent_to(PHONE).is_empty(), "no code was sent");
    // The enrollment notice went to the user's address.
    let mail = store::outbox::list_recent(&app.db, None, 10).await.unwrap();
    assert!(
        mail.iter()
            .any(|m| m.recipient == "ada@example.com" && m.usage == "factor_added"),
        "{:?}",
        mail.iter()
            .map(|m| (&m.recipient, &m.usage))
            .collect::<Vec<_>>()
    );
    assert_eq!(subject_signing_in(&app, PHONE).await, id);

    // Removed: the notice again, and the number no longer signs this user in.
    let res = call(&app, "DELETE", &path, Some(&admin.token), None).await;
    assert_eq!(res.status(), 200);
    let removed: Value = res.json().await.unwrap();
    assert_eq!(removed["phone_number"], Value::Null);
    let mail = store::outbox::list_recent(&app.db, None, 10).await.unwrap();
    assert!(mail.iter().any(|m| m.usage == "factor_removed"));
    assert_ne!(subject_signing_in(&app, PHONE).await, id);
}

#[tokio::test]
async fn a_number_of_another_user_is_refused_while_numbers_are_unique() {
    let app = spawn_app().await;
    let admin = api_client(&app, &["ferrid:users:write"]).await;
    create_user(&app, &admin.token, json!({ "phone_number": PHONE })).await;
    let other = create_user(&app, &admin.token, json!({ "name": "Bob" })).await;
    let path = format!(
        "/api/v1/users/{}/phone-numbers",
        other["id"].as_str().unwrap()
    );
    for verify in [true, false] {
        let res = call(
            &app,
            "POST",
            &path,
            Some(&admin.token),
            Some(json!({ "phone_number": PHONE, "verify": verify })),
        )
        .await;
        problem(res, 409).await;
    }
    let res = call(
        &app,
        "POST",
        &path,
        Some(&admin.token),
        Some(json!({ "phone_number": "12", "verify": false })),
    )
    .await;
    let body = problem(res, 400).await;
    assert_eq!(body["invalid_params"][0]["name"], "phone_number");
    let res = call(
        &app,
        "POST",
        &path,
        Some(&admin.token),
        Some(json!({ "phone_number": nth_phone(1) })),
    )
    .await;
    problem(res, 400).await;
}

#[tokio::test]
async fn a_users_factors_and_sessions_are_seen_and_ended() {
    let app = spawn_app().await;
    let admin = api_client(&app, &["ferrid:users:write"]).await;
    let id = subject_signing_in(&app, PHONE).await;
    let factor: Value = call(
        &app,
        "GET",
        &format!("/api/v1/users/{id}/factors/sms"),
        Some(&admin.token),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(factor["enrolled"], true);
    assert!(!factor["masked"].as_str().unwrap().contains(&PHONE[4..]));
    let res = call(
        &app,
        "DELETE",
        &format!("/api/v1/users/{id}/factors/totp"),
        Some(&admin.token),
        None,
    )
    .await;
    problem(res, 404).await;

    let sessions = format!("/api/v1/users/{id}/sessions");
    let list: Value = call(&app, "GET", &sessions, Some(&admin.token), None)
        .await
        .json()
        .await
        .unwrap();
    let sid = list["sessions"][0]["sid"].as_str().unwrap().to_owned();
    let res = call(
        &app,
        "DELETE",
        &format!("{sessions}/{sid}"),
        Some(&admin.token),
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    let list: Value = call(&app, "GET", &sessions, Some(&admin.token), None)
        .await
        .json()
        .await
        .unwrap();
    assert!(list["sessions"].as_array().unwrap().is_empty());
    let res = call(&app, "DELETE", &sessions, Some(&admin.token), None).await;
    assert_eq!(res.status(), 204);
}
