//! RP-Initiated Logout 1.0 with an `id_token_hint` but without the
//! browser's session cookie asks the user before signing anyone out; a
//! browser logout keeps other clients' `offline_access` refresh tokens
//! (OIDC Core §11) and revokes the logging-out client's.

use ferrid::admin::clients::CreateClient;
use ferrid::domain::{ClientType, GrantType};

use crate::conformance::{
    SignedIn, exchange_ok, hidden_inputs, oauth_error, refresh, register_with_logout, signed_in,
    silent,
};
use crate::helpers::{TestApp, TestClient, browser, param};

async fn end_session_from(
    app: &TestApp,
    b: &reqwest::Client,
    params: &[(&str, &str)],
) -> reqwest::Response {
    let mut url = url::Url::parse(&app.url("/end_session")).unwrap();
    url.query_pairs_mut().extend_pairs(params);
    b.get(url.as_str()).send().await.unwrap()
}

async fn assert_session_live(app: &TestApp, client: &TestClient, session: &SignedIn) {
    let back = silent(app, &session.browser, &client.client_id, &[]).await;
    assert!(param(&back, "code").is_some(), "still signed in: {back}");
}

async fn refresh_status(app: &TestApp, client: &TestClient, token: &str) -> u16 {
    let res = refresh(app, client, token).await;
    let status = res.status().as_u16();
    if status != 200 {
        assert_eq!(oauth_error(res).await, (400, "invalid_grant".into()));
    }
    status
}

#[tokio::test]
async fn a_hint_without_the_session_cookie_signs_out_only_once_confirmed() {
    let app = crate::helpers::spawn_app().await;
    let client = register_with_logout(&app, &[]).await;
    let session = signed_in(&app, &client, &[("scope", "openid phone offline_access")]).await;
    let refresh_token = session.tokens["refresh_token"].as_str().unwrap().to_owned();

    // Another browser (no cookie) holding only the ID token, even an old one.
    let elsewhere = browser();
    let page = end_session_from(&app, &elsewhere, &[("id_token_hint", session.id_token())]).await;
    assert_eq!(page.status(), 200, "a confirmation page");
    let html = page.text().await.unwrap();
    assert!(html.contains("action=\"/end_session/confirm\""), "{html}");
    assert_session_live(&app, &client, &session).await;
    let res = refresh(&app, &client, &refresh_token).await;
    assert_eq!(res.status(), 200, "nothing revoked before confirmation");
    let refresh_token = res.json::<serde_json::Value>().await.unwrap()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();

    // Confirmed: the hinted session ends, with the client's tokens.
    let done = elsewhere
        .post(app.url("/end_session/confirm"))
        .form(&hidden_inputs(&html))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    let back = silent(&app, &session.browser, &client.client_id, &[]).await;
    assert_eq!(param(&back, "error").as_deref(), Some("login_required"));
    assert_eq!(refresh_status(&app, &client, &refresh_token).await, 400);
}

#[tokio::test]
async fn a_browser_logout_keeps_other_clients_offline_tokens() {
    let app = crate::helpers::spawn_app().await;
    let leaving = register_with_logout(&app, &[]).await;
    let staying = register_with_logout(&app, &[]).await;
    // A first-party app with refresh tokens tied to the browser session.
    let online = app
        .register_with(
            ClientType::Confidential,
            &[crate::helpers::RP_REDIRECT],
            |c: &mut CreateClient| {
                c.grant_types = vec![GrantType::AuthorizationCode, GrantType::RefreshToken];
                c.refresh_without_offline_access = true;
            },
        )
        .await;
    let session = signed_in(&app, &leaving, &[("scope", "openid phone offline_access")]).await;
    // The same browser session signs in to the other two silently.
    let back = silent(
        &app,
        &session.browser,
        &staying.client_id,
        &[("scope", "openid phone offline_access")],
    )
    .await;
    let staying_tokens = exchange_ok(&app, &staying, &param(&back, "code").unwrap()).await;
    let back = silent(&app, &session.browser, &online.client_id, &[]).await;
    let online_tokens = exchange_ok(&app, &online, &param(&back, "code").unwrap()).await;

    let res = end_session_from(
        &app,
        &session.browser,
        &[("id_token_hint", session.id_token())],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .to_lowercase()
            .contains("signed out")
    );

    let leaving_refresh = session.tokens["refresh_token"].as_str().unwrap();
    assert_eq!(
        refresh_status(&app, &leaving, leaving_refresh).await,
        400,
        "the logging-out client's offline token is revoked"
    );
    assert_eq!(
        refresh_status(
            &app,
            &online,
            online_tokens["refresh_token"].as_str().unwrap()
        )
        .await,
        400,
        "a refresh token without offline_access ends with the session"
    );
    assert_eq!(
        refresh_status(
            &app,
            &staying,
            staying_tokens["refresh_token"].as_str().unwrap()
        )
        .await,
        200,
        "another client's offline_access token survives (OIDC Core §11)"
    );
}
