use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn healthz_answers_200() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["status"],
        "ok"
    );
}

#[tokio::test]
async fn readyz_answers_200_while_the_database_answers() {
    let app = spawn_app().await;
    assert_eq!(app.get("/readyz").await.status(), 200);
}

#[tokio::test]
async fn readyz_answers_503_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.db.clone().close().await.unwrap();
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 503);
    // Liveness does not depend on the database.
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn home_page_says_what_ferrid_is() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let body = res.text().await.unwrap();
    assert!(body.contains("OpenID Connect identity provider"));
    assert!(body.contains("href=\"/healthz\""));
    assert!(body.contains("name=\"viewport\""));
}

#[tokio::test]
async fn unknown_paths_get_the_styled_404_page_with_a_request_id() {
    let app = spawn_app().await;
    let res = app.get("/no/such/page").await;
    assert_eq!(res.status(), 404);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body = res.text().await.unwrap();
    assert!(body.contains("Page not found"));
    assert!(body.contains("/static/ferrid.css"));
    assert!(body.contains(&request_id));
}

#[tokio::test]
async fn static_files_are_served_with_cache_headers() {
    let app = spawn_app().await;
    let res = app.get("/static/ferrid.css").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let cache = res.headers()["cache-control"].to_str().unwrap();
    assert!(cache.contains("max-age=86400"), "{cache}");
    assert_eq!(app.get("/static/nope.css").await.status(), 404);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/", "/healthz", "/missing"] {
        let res = app.get(path).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert!(h.contains_key("x-request-id"), "{path}");
        // Dev mode runs on plain http: no HSTS.
        assert!(!h.contains_key("strict-transport-security"), "{path}");
    }
}

#[tokio::test]
async fn hsts_is_sent_outside_dev_mode() {
    let app = spawn_app_with(|s| s.dev = false).await;
    let res = app.get("/healthz").await;
    let hsts = res.headers()["strict-transport-security"].to_str().unwrap();
    assert!(hsts.contains("max-age=31536000"), "{hsts}");
}

#[tokio::test]
async fn home_page_in_dev_mode_links_the_demo_and_the_outbox() {
    let app = spawn_app().await;
    let body = app.get("/").await.text().await.unwrap();
    assert!(body.contains("href=\"/demo\""), "{body}");
    assert!(body.contains("href=\"/dev/outbox\""), "{body}");
}

#[tokio::test]
async fn home_page_outside_dev_mode_links_neither_the_demo_nor_the_outbox() {
    let app = spawn_app_with(|s| s.dev = false).await;
    let body = app.get("/").await.text().await.unwrap();
    assert!(body.contains("href=\"/healthz\""), "{body}");
    assert!(!body.contains("/demo"), "{body}");
    assert!(!body.contains("/dev/outbox"), "{body}");
}
