//! Client credentials.

use super::*;

#[tokio::test]
async fn client_credentials_give_an_access_token_for_the_client_and_nothing_else() {
    let app = spawn_app().await;
    let registered = app
        .register_with(ClientType::Confidential, &[RP_REDIRECT], |c| {
            c.grant_types = vec![GrantType::ClientCredentials];
            c.allowed_scopes = vec!["api:read".into(), "api:write".into()];
        })
        .await;
    let (http, client) = rp(&app, &registered).await;
    let tokens = client
        .exchange_client_credentials()
        .unwrap()
        .add_scope(Scope::new("api:read".into()))
        .request_async(&http)
        .await
        .expect("client credentials");
    assert_eq!(
        tokens.token_type(),
        &openidconnect::core::CoreTokenType::Bearer
    );
    assert!(tokens.expires_in().is_some());
    assert!(tokens.id_token().is_none(), "no user, no ID token");
    assert!(tokens.refresh_token().is_none());
    let jwt = tokens.access_token().secret();
    assert_eq!(decode_header(jwt)["typ"], "at+jwt");
    let claims = decode_payload(jwt);
    assert_eq!(claims["sub"], registered.client_id.as_str());
    assert_eq!(claims["client_id"], registered.client_id.as_str());
    assert_eq!(claims["scope"], "api:read");

    // No scope: every allowed scope.
    let all = client
        .exchange_client_credentials()
        .unwrap()
        .request_async(&http)
        .await
        .expect("client credentials without scope");
    let scope = decode_payload(all.access_token().secret())["scope"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut granted: Vec<&str> = scope.split(' ').collect();
    granted.sort_unstable();
    assert_eq!(granted, ["api:read", "api:write"]);

    // A scope the client may not have.
    let err = client
        .exchange_client_credentials()
        .unwrap()
        .add_scope(Scope::new("api:admin".into()))
        .request_async(&http)
        .await
        .expect_err("an unallowed scope");
    assert_eq!(refused(err), CoreErrorResponseType::InvalidScope);

    // A client without the grant.
    let plain = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let res = app
        .token(
            &[("grant_type", "client_credentials")],
            Some((&plain.client_id, plain.secret.as_deref().unwrap())),
        )
        .await;
    assert_eq!(oauth_error(res).await, (400, "unauthorized_client".into()));
}
