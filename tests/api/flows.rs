//! Whole flows with the openidconnect crate as the relying party: refresh
//! tokens, client credentials, revocation and introspection, logout,
//! form_post, consent, re-authentication, passwordless OTP, CORS.

use std::time::Duration;

use ferrid::admin::clients::CreateClient;
use ferrid::config::Span;
use ferrid::domain::{ClientType, GrantType, Origin, RedirectUri};
use openidconnect::core::{
    CoreAuthPrompt, CoreAuthenticationFlow, CoreClient, CoreErrorResponseType, CoreIdTokenClaims,
    CoreTokenResponse,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IntrospectionUrl, Nonce, OAuth2TokenResponse, RedirectUrl, RequestTokenError,
    Scope, TokenIntrospectionResponse, TokenResponse,
};
use serde_json::Value;

use crate::conformance::{
    OTHER_PHONE, back_to_rp, decide_consent, hidden_inputs, oauth_error, refresh, request_url,
    rp_metadata, sign_in_to, signed_in, silent, userinfo, visit,
};
use crate::helpers::{
    PHONE, RP_REDIRECT, TestApp, TestClient, browser, location, param, spawn_app, spawn_app_with,
};
use crate::logout::{LOGGED_OUT, assert_signed_out, confirm, end_session};
use crate::sign_in::{decode_header, decode_payload};

type RpClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The relying party for a registered client, configured by discovery.
async fn rp(app: &TestApp, registered: &TestClient) -> (reqwest::Client, RpClient) {
    let (http, metadata) = rp_metadata(app).await;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(registered.client_id.clone()),
        registered.secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(RP_REDIRECT.into()).unwrap());
    (http, client)
}

fn with_grants(grants: Vec<GrantType>) -> impl FnOnce(&mut CreateClient) {
    move |c| c.grant_types = grants
}

async fn refreshing_client(app: &TestApp) -> TestClient {
    app.register_with(
        ClientType::Confidential,
        &[RP_REDIRECT],
        with_grants(vec![GrantType::AuthorizationCode, GrantType::RefreshToken]),
    )
    .await
}

/// Signs `browser` in through the hosted pages with the openidconnect
/// request (plus `scopes`) and exchanges the code.
async fn rp_sign_in(
    app: &TestApp,
    client: &RpClient,
    http: &reqwest::Client,
    browser: &reqwest::Client,
    scopes: &[&str],
) -> (CoreTokenResponse, Nonce) {
    let mut request = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for scope in scopes {
        request = request.add_scope(Scope::new((*scope).to_owned()));
    }
    let (url, csrf, nonce) = request.url();
    let back = app.sign_in(browser, url.as_str(), PHONE).await;
    assert_eq!(
        param(&back, "state").as_deref(),
        Some(csrf.secret().as_str())
    );
    let tokens = exchange(client, http, &back).await;
    (tokens, nonce)
}

async fn exchange(client: &RpClient, http: &reqwest::Client, back: &url::Url) -> CoreTokenResponse {
    let code = param(back, "code").expect("a code");
    client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .request_async(http)
        .await
        .expect("code exchange")
}

fn verified(client: &RpClient, tokens: &CoreTokenResponse, nonce: &Nonce) -> CoreIdTokenClaims {
    tokens
        .id_token()
        .expect("an ID token")
        .claims(&client.id_token_verifier(), nonce)
        .expect("a valid ID token")
        .clone()
}

/// Verifies an ID token that must carry no nonce (refresh, passwordless).
fn verified_without_nonce(client: &RpClient, tokens: &CoreTokenResponse) -> CoreIdTokenClaims {
    tokens
        .id_token()
        .expect("an ID token")
        .claims(
            &client.id_token_verifier(),
            |nonce: Option<&Nonce>| match nonce {
                None => Ok(()),
                Some(_) => Err("this ID token should carry no nonce".to_owned()),
            },
        )
        .expect("a valid ID token")
        .clone()
}

/// The OAuth error code of a refused openidconnect request.
fn refused<RE: std::error::Error + 'static>(
    err: RequestTokenError<RE, openidconnect::StandardErrorResponse<CoreErrorResponseType>>,
) -> CoreErrorResponseType {
    match err {
        RequestTokenError::ServerResponse(response) => response.error().clone(),
        other => panic!("expected an OAuth error response, got {other:?}"),
    }
}

fn amr(claims: &CoreIdTokenClaims) -> Option<Vec<String>> {
    claims
        .auth_method_refs()
        .map(|a| a.iter().map(|r| r.as_str().to_owned()).collect())
}

// ---------------------------------------------------------------------------
// Refresh tokens
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Client credentials
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Revocation and introspection
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Logout
// ---------------------------------------------------------------------------

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
    tokio::time::sleep(Duration::from_secs(2)).await;
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

// ---------------------------------------------------------------------------
// response_mode=form_post
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Consent
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_third_party_client_gets_consent_once_and_a_refusal_is_access_denied() {
    let app = spawn_app().await;
    let third_party = |c: &mut CreateClient| c.first_party = false;
    let shop = app
        .register_with(ClientType::Confidential, &[RP_REDIRECT], third_party)
        .await;
    let b = browser();
    let to = sign_in_to(&app, &b, &request_url(&app, &shop.client_id, &[]), PHONE).await;
    assert_eq!(to, "/consent");
    let page = visit(&b, &app.url("/consent")).await.text().await.unwrap();
    assert!(page.contains("name=\"decision\" value=\"allow\""), "{page}");
    assert!(page.contains("name=\"decision\" value=\"deny\""), "{page}");
    let back = back_to_rp(&decide_consent(&app, &b, "allow").await);
    assert_eq!(param(&back, "state").as_deref(), Some("st4te"));
    assert_eq!(param(&back, "iss").as_deref(), Some(app.address.as_str()));
    let code = param(&back, "code").expect("a code");
    assert_eq!(app.exchange(&shop, &code).await.status(), 200);

    // Remembered: the next authorization goes straight back, even silently.
    let res = visit(&b, &request_url(&app, &shop.client_id, &[])).await;
    assert!(param(&back_to_rp(&res), "code").is_some());
    assert!(param(&silent(&app, &b, &shop.client_id, &[]).await, "code").is_some());

    // Another third-party client: silently it is consent_required; asked, the user refuses.
    let other = app
        .register_with(ClientType::Confidential, &[RP_REDIRECT], third_party)
        .await;
    let back = silent(&app, &b, &other.client_id, &[]).await;
    assert_eq!(param(&back, "error").as_deref(), Some("consent_required"));
    let res = visit(&b, &request_url(&app, &other.client_id, &[])).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/consent");
    let denied = decide_consent(&app, &b, "deny").await;
    assert_eq!(denied.status(), 303);
    let back = back_to_rp(&denied);
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&back, "state").as_deref(), Some("st4te"));
    assert_eq!(param(&back, "iss").as_deref(), Some(app.address.as_str()));
    assert!(param(&back, "code").is_none());

    // First-party clients see it only with prompt=consent.
    let own = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let res = visit(&b, &request_url(&app, &own.client_id, &[])).await;
    assert!(param(&back_to_rp(&res), "code").is_some());
    let res = visit(
        &b,
        &request_url(&app, &own.client_id, &[("prompt", "consent")]),
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/consent");
}

// ---------------------------------------------------------------------------
// Re-authentication
// ---------------------------------------------------------------------------

#[tokio::test]
async fn prompt_login_makes_a_signed_in_user_authenticate_again() {
    let app = spawn_app().await;
    let registered = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let (http, client) = rp(&app, &registered).await;
    let b = browser();
    let (tokens, nonce) = rp_sign_in(&app, &client, &http, &b, &[]).await;
    let first = verified(&client, &tokens, &nonce);
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let (url, _, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_prompt(CoreAuthPrompt::Login)
        .url();
    // sign_in asserts the login pages are shown again.
    let back = app.sign_in(&b, url.as_str(), PHONE).await;
    let second = verified(&client, &exchange(&client, &http, &back).await, &nonce);
    assert_eq!(second.subject(), first.subject());
    assert!(second.auth_time().unwrap() > first.auth_time().unwrap());
}

#[tokio::test]
async fn max_age_makes_an_older_session_authenticate_again() {
    let app = spawn_app().await;
    let registered = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let (http, client) = rp(&app, &registered).await;
    let b = browser();
    let (tokens, nonce) = rp_sign_in(&app, &client, &http, &b, &[]).await;
    let first = verified(&client, &tokens, &nonce);
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Without max_age the session is still good.
    let res = visit(&b, &request_url(&app, &registered.client_id, &[])).await;
    assert!(param(&back_to_rp(&res), "code").is_some());

    let (url, _, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_max_age(Duration::from_secs(1))
        .url();
    let back = app.sign_in(&b, url.as_str(), PHONE).await;
    let second = verified(&client, &exchange(&client, &http, &back).await, &nonce);
    let auth_time = second.auth_time().unwrap();
    assert!(auth_time > first.auth_time().unwrap());
    assert!(chrono::Utc::now() - auth_time <= chrono::Duration::seconds(2));
}

// ---------------------------------------------------------------------------
// Passwordless (Auth0's shapes)
// ---------------------------------------------------------------------------

const OTP_GRANT: &str = "http://auth0.com/oauth/grant-type/passwordless/otp";

async fn passwordless_client(app: &TestApp) -> TestClient {
    app.register_with(
        ClientType::Confidential,
        &[RP_REDIRECT],
        with_grants(vec![
            GrantType::AuthorizationCode,
            GrantType::PasswordlessOtp,
            GrantType::RefreshToken,
        ]),
    )
    .await
}

async fn start(
    app: &TestApp,
    client: &TestClient,
    connection: &str,
    phone: &str,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/passwordless/start"))
        .json(&serde_json::json!({
            "client_id": client.client_id,
            "client_secret": client.secret,
            "connection": connection,
            "phone_number": phone,
            "send": "code",
        }))
        .send()
        .await
        .unwrap()
}

async fn otp_grant(
    app: &TestApp,
    path: &str,
    client: &TestClient,
    phone: &str,
    otp: &str,
    scope: &str,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url(path))
        .form(&[
            ("grant_type", OTP_GRANT),
            ("client_id", &client.client_id),
            ("client_secret", client.secret.as_deref().unwrap()),
            ("username", phone),
            ("otp", otp),
            ("realm", "sms"),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn passwordless_start_and_the_otp_grant_give_tokens_like_the_code_flow() {
    let app = spawn_app().await;
    let registered = passwordless_client(&app).await;
    let (http, client) = rp(&app, &registered).await;

    let res = start(&app, &registered, "sms", PHONE).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let masked = body["phone_number"].as_str().expect("the masked number");
    assert_ne!(masked, PHONE);
    assert!(
        masked.ends_with("56") && !masked.contains("7400123"),
        "{masked}"
    );

    let otp = app.last_code(PHONE).await;
    let res = otp_grant(
        &app,
        "/token",
        &registered,
        PHONE,
        &otp,
        "openid phone offline_access",
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let tokens: CoreTokenResponse = res.json().await.unwrap();
    let claims = verified_without_nonce(&client, &tokens);
    assert_eq!(claims.audiences()[0].as_str(), registered.client_id);
    assert!(claims.auth_time().is_some());
    let (status, info) = userinfo(&app, tokens.access_token().secret()).await;
    assert_eq!(status, 200);
    assert_eq!(info["sub"], claims.subject().as_str());
    assert_eq!(info["phone_number"], PHONE);
    let refresh_token = tokens.refresh_token().expect("a refresh token");
    let refreshed = client
        .exchange_refresh_token(refresh_token)
        .unwrap()
        .request_async(&http)
        .await
        .expect("the refresh token works");
    assert_eq!(
        verified_without_nonce(&client, &refreshed).subject(),
        claims.subject()
    );

    // The code works once; Auth0's /oauth/token path works too.
    let res = otp_grant(&app, "/token", &registered, PHONE, &otp, "openid").await;
    assert_eq!(oauth_error(res).await, (400, "invalid_grant".into()));
    assert_eq!(
        start(&app, &registered, "sms", OTHER_PHONE).await.status(),
        200
    );
    let otp = app.last_code(OTHER_PHONE).await;
    let res = otp_grant(
        &app,
        "/oauth/token",
        &registered,
        OTHER_PHONE,
        &otp,
        "openid",
    )
    .await;
    assert_eq!(res.status(), 200);
    let tokens: CoreTokenResponse = res.json().await.unwrap();
    assert_ne!(
        verified_without_nonce(&client, &tokens).subject(),
        claims.subject()
    );
    assert!(tokens.refresh_token().is_none(), "no offline_access asked");
}

#[tokio::test]
async fn passwordless_wrong_codes_count_and_the_tenth_kills_the_code() {
    let app = spawn_app().await;
    let registered = passwordless_client(&app).await;
    assert_eq!(start(&app, &registered, "sms", PHONE).await.status(), 200);
    let otp = app.last_code(PHONE).await;
    let wrong = format!(
        "{}{}",
        if otp.starts_with('1') { '2' } else { '1' },
        &otp[1..]
    );
    for _ in 0..10 {
        let res = otp_grant(&app, "/token", &registered, PHONE, &wrong, "openid").await;
        assert_eq!(oauth_error(res).await, (400, "invalid_grant".into()));
    }
    let res = otp_grant(&app, "/token", &registered, PHONE, &otp, "openid").await;
    assert_eq!(
        oauth_error(res).await,
        (400, "invalid_grant".into()),
        "after 10 wrong codes the right one is refused too"
    );
}

#[tokio::test]
async fn passwordless_needs_the_grant_and_the_sms_connection() {
    let app = spawn_app().await;
    let plain = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let res = start(&app, &plain, "sms", PHONE).await;
    assert_eq!(oauth_error(res).await, (400, "unauthorized_client".into()));
    let res = otp_grant(&app, "/token", &plain, PHONE, "123456", "openid").await;
    assert_eq!(oauth_error(res).await, (400, "unauthorized_client".into()));
    assert_eq!(app.sent_count(PHONE).await, 0, "nothing was sent");

    let registered = passwordless_client(&app).await;
    let res = start(&app, &registered, "email", PHONE).await;
    assert_eq!(oauth_error(res).await, (400, "invalid_request".into()));
}

// ---------------------------------------------------------------------------
// CORS
// ---------------------------------------------------------------------------

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
