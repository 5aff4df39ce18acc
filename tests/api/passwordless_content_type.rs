//! `/passwordless/start` takes only JSON: a body a web page can post
//! cross-origin without a CORS preflight (text/plain, a form) sends nothing.

use crate::helpers::{PHONE, passwordless_client, spawn_app};

#[tokio::test]
async fn a_text_plain_or_form_body_is_refused_and_nothing_is_sent() {
    let app = spawn_app().await;
    let client = passwordless_client(&app).await;
    let json = serde_json::json!({
        "client_id": client.client_id,
        "client_secret": client.secret,
        "connection": "sms",
        "phone_number": PHONE,
        "send": "code",
    })
    .to_string();
    for content_type in [
        Some("text/plain"),
        Some("text/plain;charset=UTF-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let mut req = reqwest::Client::new()
            .post(app.url("/passwordless/start"))
            .body(json.clone());
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 415, "{content_type:?}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{content_type:?}");
    }
    assert_eq!(app.sms.sent_to(PHONE).len(), 0, "nothing was sent");

    let res = reqwest::Client::new()
        .post(app.url("/passwordless/start"))
        .header("content-type", "application/json; charset=utf-8")
        .body(json)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.sms.sent_to(PHONE).len(), 1);
}
