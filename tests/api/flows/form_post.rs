//! response_mode=form_post.

use super::*;

fn assert_form_post(html: &str) -> Vec<(String, String)> {
    assert!(
        html.contains(&format!("<form method=\"post\" action=\"{RP_REDIRECT}\"")),
        "{html}"
    );
    assert!(html.contains("type=\"submit\""), "a visible button: {html}");
    assert!(html.contains("/static/form_post.js"), "{html}");
    hidden_inputs(html)
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn form_post_answers_with_a_form_the_browser_posts_to_the_client() {
    let app = spawn_app().await;
    let registered = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let session = signed_in(&app, &registered, &[]).await;
    let res = visit(
        &session.browser,
        &request_url(
            &app,
            &registered.client_id,
            &[("response_mode", "form_post")],
        ),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("location").is_none());
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let fields = assert_form_post(&res.text().await.unwrap());
    assert_eq!(field(&fields, "state"), Some("st4te"));
    assert_eq!(field(&fields, "iss"), Some(app.address.as_str()));
    let code = field(&fields, "code").unwrap_or_else(|| panic!("a code: {fields:?}"));
    assert_eq!(app.exchange(&registered, code).await.status(), 200);
    let script = app.get("/static/form_post.js").await;
    assert_eq!(script.status(), 200);

    // Errors take the same road.
    let res = visit(
        &browser(),
        &request_url(
            &app,
            &registered.client_id,
            &[("response_mode", "form_post"), ("prompt", "none")],
        ),
    )
    .await;
    assert_eq!(res.status(), 200);
    let fields = assert_form_post(&res.text().await.unwrap());
    assert_eq!(field(&fields, "error"), Some("login_required"));
    assert!(field(&fields, "error_description").is_some());
    assert_eq!(field(&fields, "state"), Some("st4te"));
    assert_eq!(field(&fields, "iss"), Some(app.address.as_str()));
    assert!(field(&fields, "code").is_none());
}
