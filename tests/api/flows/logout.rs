//! Logout.

use super::*;

#[tokio::test]
async fn logout_with_an_expired_id_token_hint_returns_to_the_uri_with_its_query_and_state() {
    let app = spawn_app_with(|s| s.tokens.id_token_ttl = Span(Duration::from_secs(1))).await;
    let with_query = format!("{LOGGED_OUT}?tenant=a");
    let registered = app
        .register_with(ClientType::Confidential, &[RP_REDIRECT], |c| {
            c.grant_types = vec![GrantType::AuthorizationCode, GrantType::RefreshToken];
            c.post_logout_redirect_uris = vec![RedirectUri::parse(&with_query).unwrap()];
        })
        .await;
    let session = signed_in(&app, &registered, &[("scope", "openid offline_access")]).await;
    // The hint has expired: still good enough to say who is signing out.
    app.advance(Duration::from_secs(2));
    let res = end_session(
        &app,
        &session,
        &[
            ("id_token_hint", session.id_token()),
            ("post_logout_redirect_uri", &with_query),
            ("state", "a b&c"),
        ],
    )
    .await;
    assert_eq!(res.status(), 302);
    let back = url::Url::parse(&location(&res)).unwrap();
    assert_eq!(back.path(), "/logged-out");
    assert_eq!(param(&back, "tenant").as_deref(), Some("a"));
    assert_eq!(param(&back, "state").as_deref(), Some("a b&c"));
    assert_signed_out(&app, &registered, &session).await;
}

#[tokio::test]
async fn logout_without_a_hint_is_confirmed_and_returns_only_to_the_clients_registered_uri() {
    let app = spawn_app().await;
    let registered = app
        .register_with(ClientType::Confidential, &[RP_REDIRECT], |c| {
            c.grant_types = vec![GrantType::AuthorizationCode, GrantType::RefreshToken];
            c.post_logout_redirect_uris = vec![RedirectUri::parse(LOGGED_OUT).unwrap()];
        })
        .await;
    let session = signed_in(&app, &registered, &[("scope", "openid offline_access")]).await;
    let page = end_session(
        &app,
        &session,
        &[
            ("client_id", &registered.client_id),
            ("post_logout_redirect_uri", LOGGED_OUT),
            ("state", "st4te"),
        ],
    )
    .await;
    let done = confirm(&app, &registered, &session, page).await;
    assert_eq!(done.status(), 302);
    let back = url::Url::parse(&location(&done)).unwrap();
    assert!(back.as_str().starts_with(LOGGED_OUT), "{back}");
    assert_eq!(param(&back, "state").as_deref(), Some("st4te"));
    assert_signed_out(&app, &registered, &session).await;
}
