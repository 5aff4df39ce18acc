//! The failure budget per recipient: wrong codes count across challenges
//! (NIST SP 800-63B §5.2.2), for real numbers and test numbers alike.

use std::time::Duration;

use ferrid::admin::sms_connection::{ConnectionChange, TestNumbers, set};
use ferrid::config::{RawSettings, Span};
use ferrid::domain::ClientType;
use ferrid::sms::TestNumber;

use crate::helpers::{
    PHONE, RP_REDIRECT, TestApp, location, passwordless_client, spawn_app_with, wrong_code,
};

/// New codes at once (no cooldown) and enough sends per hour that only the
/// failure budget can stop them.
fn many_sends(s: &mut RawSettings) {
    s.otp.resend_cooldown = Span(Duration::ZERO);
    s.otp.max_sends_per_phone_per_hour = 10;
}

/// Posts the phone form, then ten wrong codes (the challenge's attempts).
async fn ten_wrong_codes(
    app: &TestApp,
    client: &crate::helpers::TestClient,
    phone: &str,
    right: Option<&str>,
) {
    let (b, csrf, res) = app.start_hosted(client, phone).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let code = match right {
        Some(code) => code.to_owned(),
        None => app.sms.last_code(phone),
    };
    let wrong = wrong_code(&code);
    for _ in 0..10 {
        let res = app.submit_code(&b, &csrf, &wrong).await;
        assert_eq!(res.status(), 400);
    }
}

async fn budget_events(app: &TestApp) -> Vec<ferrid::store::audit_events::AuditEvent> {
    ferrid::store::audit_events::list_recent(&app.db, Some("otp.failure_budget_spent"), 10)
        .await
        .unwrap()
}

#[tokio::test]
async fn twenty_wrong_codes_across_challenges_stop_new_codes_for_the_number() {
    let app = spawn_app_with(many_sends).await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    ten_wrong_codes(&app, &client, PHONE, None).await;
    ten_wrong_codes(&app, &client, PHONE, None).await;
    assert_eq!(app.sms.sent_to(PHONE).len(), 2);

    // The 21st guess never comes: no new code, with the answer any send limit gives.
    let (_, _, res) = app.start_hosted(&client, PHONE).await;
    assert_eq!(res.status(), 429);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Too many codes were sent to this number"),
        "{body}"
    );
    assert_eq!(app.sms.sent_to(PHONE).len(), 2, "nothing more was sent");

    // The API answers as it does to any limit.
    let api = passwordless_client(&app).await;
    let res = app.passwordless_start(&api, PHONE).await;
    assert_eq!(res.status(), 429);
    let json: serde_json::Value = res.json().await.unwrap();
    assert_eq!(json["error"], "too_many_requests");
    assert_eq!(app.sms.sent_to(PHONE).len(), 2);

    let events = budget_events(&app).await;
    assert_eq!(events.len(), 2, "each refusal is audited");
    let subject = events[0].subject.clone().unwrap();
    assert_ne!(subject, PHONE, "the number is masked");
    assert_eq!(events[0].ip.as_deref(), Some("127.0.0.1"));

    // Another number is not affected.
    let (_, _, res) = app.start_hosted(&client, "+447400123457").await;
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn a_spent_budget_also_stops_a_code_still_open_for_another_client() {
    let app = spawn_app_with(many_sends).await;
    let api = passwordless_client(&app).await;
    assert_eq!(app.passwordless_start(&api, PHONE).await.status(), 200);
    let open_code = app.sms.last_code(PHONE);
    let hosted = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    ten_wrong_codes(&app, &hosted, PHONE, None).await;
    ten_wrong_codes(&app, &hosted, PHONE, None).await;
    // The right code of the challenge opened before: still refused, the cap
    // is on the recipient's wrong codes, not on each challenge's.
    let res = app.otp_grant(&api, PHONE, &open_code).await;
    assert_eq!(res.status(), 400, "{}", res.text().await.unwrap());
}

#[tokio::test]
async fn a_test_numbers_fixed_code_cannot_be_brute_forced() {
    const TEST_NUMBER: &str = "+15555550100";
    const FIXED: &str = "424242";
    let app = spawn_app_with(many_sends).await;
    set(
        &app.db,
        &app.state.master_key,
        ConnectionChange {
            test_numbers: Some(vec![TestNumber {
                phone: TEST_NUMBER.into(),
                code: FIXED.into(),
            }]),
            ..Default::default()
        },
        TestNumbers::Allowed,
    )
    .await
    .unwrap();
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;

    // Each challenge still dies after its attempts: the fixed code no longer works there.
    let (b, csrf, res) = app.start_hosted(&client, TEST_NUMBER).await;
    assert_eq!(res.status(), 303);
    for _ in 0..10 {
        assert_eq!(app.submit_code(&b, &csrf, "000000").await.status(), 400);
    }
    let res = app.submit_code(&b, &csrf, FIXED).await;
    assert_eq!(
        res.status(),
        400,
        "the challenge is dead after 10 wrong codes"
    );

    ten_wrong_codes(&app, &client, TEST_NUMBER, Some(FIXED)).await;
    // Twenty wrong codes: no new challenge, so the fixed code cannot be tried.
    let (b, csrf, res) = app.start_hosted(&client, TEST_NUMBER).await;
    assert_eq!(res.status(), 429);
    let res = app.submit_code(&b, &csrf, FIXED).await;
    assert!(
        !location(&res).starts_with(RP_REDIRECT),
        "no sign-in after the budget is spent"
    );
    assert_eq!(budget_events(&app).await.len(), 1);
}

#[tokio::test]
async fn with_redis_the_budget_is_shared_by_every_instance() {
    let prefix = format!("ferrid-test-{}:", uuid::Uuid::new_v4().simple());
    let configure = |p: String| {
        move |s: &mut RawSettings| {
            many_sends(s);
            s.redis_url = Some("redis://127.0.0.1:6379".to_owned().into());
            s.redis_prefix = p;
        }
    };
    let one = spawn_app_with(configure(prefix.clone())).await;
    let two = spawn_app_with(configure(prefix)).await;
    let client_one = one.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let client_two = two.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    ten_wrong_codes(&one, &client_one, PHONE, None).await;
    ten_wrong_codes(&two, &client_two, PHONE, None).await;
    let (_, _, res) = one.start_hosted(&client_one, PHONE).await;
    assert_eq!(res.status(), 429, "the other instance's failures count");
    let (_, _, res) = two.start_hosted(&client_two, PHONE).await;
    assert_eq!(res.status(), 429);
}
