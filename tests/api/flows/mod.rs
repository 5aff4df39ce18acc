//! Whole flows with the openidconnect crate as the relying party: refresh
//! tokens, client credentials, revocation and introspection, logout,
//! form_post, consent, re-authentication, passwordless OTP, CORS; one
//! module per feature, sharing the relying-party helpers below.

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

mod client_credentials;
mod consent;
mod cors;
mod form_post;
mod logout;
mod passwordless;
mod reauthentication;
mod refresh_tokens;
mod revocation;
mod second_factor;
