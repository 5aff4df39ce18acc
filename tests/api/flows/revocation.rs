//! Revocation and introspection.

use super::*;

/// RFC 7009 revocation with `client_secret_basic`: 200 and an empty body.
async fn revoke(app: &TestApp, client: &TestClient, token: &str, hint: &str) {
    let res = reqwest::Client::new()
        .post(app.url("/revoke"))
        .basic_auth(&client.client_id, client.secret.as_deref())
        .form(&[("token", token), ("token_type_hint", hint)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().is_empty());
}

async fn introspect_raw(app: &TestApp, client: &TestClient, token: &str) -> Value {
    let res = reqwest::Client::new()
        .post(app.url("/introspect"))
        .basic_auth(&client.client_id, client.secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn revoked_tokens_introspect_as_inactive() {
    let app = spawn_app().await;
    let registered = refreshing_client(&app).await;
    let (http, client) = rp(&app, &registered).await;
    let (tokens, _) = rp_sign_in(
        &app,
        &client,
        &http,
        &browser(),
        &["phone", "offline_access"],
    )
    .await;
    let client =
        client.set_introspection_url(IntrospectionUrl::new(app.url("/introspect")).unwrap());
    let access = tokens.access_token().clone();
    let refresh_token = tokens.refresh_token().unwrap().clone();

    let active = client
        .introspect(&access)
        .request_async(&http)
        .await
        .expect("introspection");
    assert!(active.active());
    assert_eq!(
        active.client_id().map(|c| c.as_str()),
        Some(registered.client_id.as_str())
    );
    let raw = introspect_raw(&app, &registered, access.secret()).await;
    assert_eq!(raw["active"], true);
    assert_eq!(raw["token_type"], "Bearer");
    assert_eq!(raw["iss"], app.address.as_str());
    assert_eq!(raw["sub"], decode_payload(access.secret())["sub"]);
    assert_eq!(raw["jti"], decode_payload(access.secret())["jti"]);
    for field in ["scope", "exp", "iat"] {
        assert!(raw.get(field).is_some(), "{field}: {raw}");
    }
    let raw = introspect_raw(&app, &registered, refresh_token.secret()).await;
    assert_eq!(raw["active"], true);
    assert_eq!(raw["token_type"], "refresh_token");
    assert_eq!(raw["client_id"], registered.client_id.as_str());

    // oauth2's revoke_token insists on https; the test server is plain http.
    revoke(&app, &registered, access.secret(), "access_token").await;
    let inactive = client
        .introspect(&access)
        .request_async(&http)
        .await
        .unwrap();
    assert!(!inactive.active());
    assert_eq!(
        introspect_raw(&app, &registered, access.secret()).await,
        serde_json::json!({"active": false})
    );
    assert_eq!(userinfo(&app, access.secret()).await.0, 401);

    revoke(&app, &registered, refresh_token.secret(), "refresh_token").await;
    assert_eq!(
        introspect_raw(&app, &registered, refresh_token.secret()).await,
        serde_json::json!({"active": false})
    );
    assert_eq!(
        oauth_error(refresh(&app, &registered, refresh_token.secret()).await).await,
        (400, "invalid_grant".into())
    );

    // Unknown tokens: 200 with an empty body, and inactive.
    revoke(&app, &registered, "not-a-token", "refresh_token").await;
    assert_eq!(
        introspect_raw(&app, &registered, "not-a-token").await,
        serde_json::json!({"active": false})
    );

    // Both endpoints want the client to authenticate.
    for path in ["/revoke", "/introspect"] {
        let res = reqwest::Client::new()
            .post(app.url(path))
            .form(&[("token", access.secret().as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(
            oauth_error(res).await,
            (401, "invalid_client".into()),
            "{path}"
        );
    }
}
