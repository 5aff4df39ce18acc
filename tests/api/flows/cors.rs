//! CORS.

use super::*;

const SPA: &str = "https://spa.example.com";

async fn preflight(app: &TestApp, path: &str, origin: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, app.url(path))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap()
}

fn cors_headers(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .keys()
        .map(|k| k.as_str().to_owned())
        .filter(|k| k.starts_with("access-control-"))
        .collect()
}

#[tokio::test]
async fn cors_preflights_are_answered_for_registered_origins_only() {
    let app = spawn_app().await;
    app.register_with(ClientType::Public, &[RP_REDIRECT], |c| {
        c.allowed_origins = vec![Origin::parse(SPA).unwrap()];
    })
    .await;
    for path in [
        "/token",
        "/userinfo",
        "/revoke",
        "/jwks.json",
        "/.well-known/openid-configuration",
    ] {
        let res = preflight(&app, path, SPA).await;
        assert_eq!(res.status(), 204, "{path}");
        let headers = res.headers();
        assert_eq!(headers["access-control-allow-origin"], SPA, "{path}");
        assert!(
            headers.contains_key("access-control-allow-methods"),
            "{path}"
        );
        let allowed = headers["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(
            allowed.contains("authorization") && allowed.contains("content-type"),
            "{path}: {allowed}"
        );

        let res = preflight(&app, path, "https://evil.example.com").await;
        assert!(
            cors_headers(&res).is_empty(),
            "{path}: {:?}",
            cors_headers(&res)
        );
    }

    let get = |origin: &'static str| {
        reqwest::Client::new()
            .get(app.url("/jwks.json"))
            .header("Origin", origin)
            .send()
    };
    let res = get(SPA).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], SPA);
    let res = get("https://evil.example.com").await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(cors_headers(&res).is_empty());
}
