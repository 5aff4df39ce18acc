//! The resend cooldown belongs to the recipient, whichever form or API asks,
//! and holds under concurrency: parallel requests send one code.

use ferrid::domain::ClientType;

use crate::helpers::{PHONE, RP_REDIRECT, browser, passwordless_client, spawn_app};

#[tokio::test]
async fn posting_the_phone_form_again_does_not_skip_the_cooldown() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let (b, csrf, res) = app.start_hosted(&client, PHONE).await;
    assert_eq!(res.status(), 303);
    // The same form again, at once.
    let res = app.submit_phone(&b, &csrf, PHONE).await;
    assert_eq!(res.status(), 429);
    let body = res.text().await.unwrap();
    assert!(body.contains("A new code can be requested in"), "{body}");
    // Another sign-in, and the API, for the same number.
    let (_, _, res) = app.start_hosted(&client, PHONE).await;
    assert_eq!(res.status(), 429);
    let api = passwordless_client(&app).await;
    assert_eq!(app.passwordless_start(&api, PHONE).await.status(), 429);
    assert_eq!(app.sms.sent_to(PHONE).len(), 1);
}

#[tokio::test]
async fn parallel_requests_for_one_number_send_one_code() {
    let app = spawn_app().await;
    let client = passwordless_client(&app).await;
    for round in 0..12u32 {
        let phone = format!("+4474001234{round:02}");
        let b = browser();
        let csrf = app
            .open_login(&b, &app.authorize_url(&client.client_id, &[]))
            .await;
        let other = browser();
        let other_csrf = app
            .open_login(&other, &app.authorize_url(&client.client_id, &[]))
            .await;
        let mut tasks = Vec::new();
        for i in 0..6 {
            let (app_url, phone) = (app.address.clone(), phone.clone());
            let (b, csrf) = if i % 2 == 0 {
                (b.clone(), csrf.clone())
            } else {
                (other.clone(), other_csrf.clone())
            };
            tasks.push(tokio::spawn(async move {
                b.post(format!("{app_url}/login/phone"))
                    .form(&[("csrf", csrf.as_str()), ("phone", phone.as_str())])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }));
        }
        for _ in 0..2 {
            let (app_url, phone, id, secret) = (
                app.address.clone(),
                phone.clone(),
                client.client_id.clone(),
                client.secret.clone(),
            );
            tasks.push(tokio::spawn(async move {
                reqwest::Client::new()
                    .post(format!("{app_url}/passwordless/start"))
                    .json(&serde_json::json!({
                        "client_id": id, "client_secret": secret, "connection": "sms",
                        "phone_number": phone, "send": "code",
                    }))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }));
        }
        // Spawned above, so they already run concurrently.
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.unwrap());
        }
        let sent = statuses.iter().filter(|s| matches!(s, 200 | 303)).count();
        assert_eq!(sent, 1, "round {round}: {statuses:?}");
        assert!(
            statuses.iter().all(|s| matches!(s, 200 | 303 | 429)),
            "{statuses:?}"
        );
        assert_eq!(app.sms.sent_to(&phone).len(), 1, "round {round}");
    }
}

#[tokio::test]
async fn the_sweep_forgets_recipients_a_day_after_their_last_code() {
    use ferrid::store::ConnectionTrait;
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let (_, _, res) = app.start_hosted(&client, PHONE).await;
    assert_eq!(res.status(), 303);
    let report = ferrid::admin::maintenance::sweep_expired(&app.db, app.now())
        .await
        .unwrap();
    assert_eq!(report.otp_recipients, 0, "within the day: kept");
    app.db
        .execute_unprepared("UPDATE otp_recipients SET last_sent_at = '2000-01-01 00:00:00+00:00'")
        .await
        .unwrap();
    let report = ferrid::admin::maintenance::sweep_expired(&app.db, app.now())
        .await
        .unwrap();
    assert_eq!(report.otp_recipients, 1);
}
