//! Refresh tokens.

use super::*;

#[tokio::test]
async fn a_refresh_token_gives_new_tokens_and_is_replaced_by_a_new_one() {
    let app = spawn_app().await;
    let registered = refreshing_client(&app).await;
    let (http, client) = rp(&app, &registered).await;
    let (tokens, nonce) = rp_sign_in(
        &app,
        &client,
        &http,
        &browser(),
        &["phone", "offline_access"],
    )
    .await;
    let first = verified(&client, &tokens, &nonce);
    let first_refresh = tokens.refresh_token().expect("a refresh token").clone();

    let refreshed = client
        .exchange_refresh_token(&first_refresh)
        .unwrap()
        .request_async(&http)
        .await
        .expect("a refresh");
    let second_refresh = refreshed
        .refresh_token()
        .expect("a new refresh token")
        .clone();
    assert_ne!(second_refresh.secret(), first_refresh.secret(), "rotated");
    assert_ne!(
        refreshed.access_token().secret(),
        tokens.access_token().secret()
    );
    let second = verified_without_nonce(&client, &refreshed);
    assert_eq!(second.subject(), first.subject());
    assert_eq!(second.auth_time(), first.auth_time());
    assert_eq!(amr(&second), amr(&first));
    assert_eq!(
        userinfo(&app, refreshed.access_token().secret()).await.0,
        200
    );

    // A narrower scope on refresh.
    let narrower = client
        .exchange_refresh_token(&second_refresh)
        .unwrap()
        .add_scope(Scope::new("openid".into()))
        .request_async(&http)
        .await
        .expect("a refresh with a narrower scope");
    let access = decode_payload(narrower.access_token().secret());
    assert_eq!(access["scope"], "openid");
    let (status, info) = userinfo(&app, narrower.access_token().secret()).await;
    assert_eq!(status, 200);
    assert!(info.get("phone_number").is_none(), "{info}");

    // Another client cannot use it.
    let thief = refreshing_client(&app).await;
    let newest = narrower.refresh_token().expect("a new refresh token");
    assert_eq!(
        oauth_error(refresh(&app, &thief, newest.secret()).await).await,
        (400, "invalid_grant".into())
    );
}

#[tokio::test]
async fn presenting_a_rotated_refresh_token_revokes_its_family_and_the_session() {
    let app = spawn_app().await;
    let registered = refreshing_client(&app).await;
    let (http, client) = rp(&app, &registered).await;
    let b = browser();
    let (tokens, _) = rp_sign_in(&app, &client, &http, &b, &["offline_access"]).await;
    let first_refresh = tokens.refresh_token().unwrap().clone();
    let refreshed = client
        .exchange_refresh_token(&first_refresh)
        .unwrap()
        .request_async(&http)
        .await
        .expect("a refresh");
    let newest = refreshed.refresh_token().unwrap().clone();

    let replay = client
        .exchange_refresh_token(&first_refresh)
        .unwrap()
        .request_async(&http)
        .await
        .expect_err("a rotated refresh token is refused");
    assert_eq!(refused(replay), CoreErrorResponseType::InvalidGrant);
    let after = client
        .exchange_refresh_token(&newest)
        .unwrap()
        .request_async(&http)
        .await
        .expect_err("the whole family is revoked");
    assert_eq!(refused(after), CoreErrorResponseType::InvalidGrant);
    let back = silent(&app, &b, &registered.client_id, &[]).await;
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("login_required"),
        "the SSO session the family came from is ended"
    );
}
