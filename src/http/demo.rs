//! Dev mode only: a small relying party inside ferrid, using the `demo`
//! client. It runs the authorization code flow with PKCE exactly as an
//! outside application would, over HTTP against ferrid's own endpoints.

use std::collections::HashMap;
use std::sync::Mutex;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::Deserialize;

use super::errors::{error_page, render};
use crate::admin::demo::DEMO_CLIENT_ID;
use crate::app::AppState;
use crate::crypto::{constant_time_eq, random_token};

const COOKIE: &str = "ferrid_demo";

struct Pending {
    csrf: String,
    nonce: String,
    verifier: String,
    started: std::time::Instant,
}

/// Abandoned demo sign-ins are forgotten after this long.
const PENDING_LIFETIME: std::time::Duration = std::time::Duration::from_secs(600);

/// Pending demo sign-ins, by the id in the demo's cookie.
#[derive(Default)]
pub struct DemoState {
    pending: Mutex<HashMap<String, Pending>>,
}

#[derive(Template)]
#[template(path = "demo/index.html")]
struct DemoPage;

#[derive(Template)]
#[template(path = "demo/result.html")]
struct ResultPage {
    id_token_claims: String,
    userinfo: String,
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /demo`.
pub async fn index() -> HttpResponse {
    render(&DemoPage)
}

fn http_client() -> anyhow::Result<openidconnect::reqwest::Client> {
    Ok(openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()?)
}

async fn metadata(
    state: &AppState,
    http: &openidconnect::reqwest::Client,
) -> anyhow::Result<CoreProviderMetadata> {
    let issuer = IssuerUrl::new(state.settings.issuer_base().to_owned())?;
    Ok(CoreProviderMetadata::discover_async(issuer, http).await?)
}

fn redirect_url(state: &AppState) -> anyhow::Result<RedirectUrl> {
    Ok(RedirectUrl::new(format!(
        "{}/demo/callback",
        state.settings.issuer_base()
    ))?)
}

/// `GET /demo/login`: start the flow.
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    demo: web::Data<DemoState>,
) -> HttpResponse {
    match start(&state, &demo).await {
        Ok((key, url)) => HttpResponse::SeeOther()
            .cookie(
                Cookie::build(COOKIE, key)
                    .path("/demo")
                    .http_only(true)
                    .same_site(SameSite::Lax)
                    .finish(),
            )
            .insert_header((LOCATION, url))
            .finish(),
        Err(e) => demo_error(&req, &format!("Could not start the sign-in: {e}")),
    }
}

async fn start(state: &AppState, demo: &DemoState) -> anyhow::Result<(String, String)> {
    let http = http_client()?;
    let client = CoreClient::from_provider_metadata(
        metadata(state, &http).await?,
        ClientId::new(DEMO_CLIENT_ID.into()),
        None,
    )
    .set_redirect_uri(redirect_url(state)?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("phone".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();
    let key = random_token();
    let pending = Pending {
        csrf: csrf.secret().clone(),
        nonce: nonce.secret().clone(),
        verifier: verifier.secret().clone(),
        started: std::time::Instant::now(),
    };
    let mut map = match demo.pending.lock() {
        Ok(map) => map,
        Err(poisoned) => poisoned.into_inner(),
    };
    map.retain(|_, p| p.started.elapsed() < PENDING_LIFETIME);
    map.insert(key.clone(), pending);
    drop(map);
    Ok((key, url.to_string()))
}

/// `GET /demo/callback`: exchange the code, verify the ID token, call userinfo.
pub async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    demo: web::Data<DemoState>,
    query: web::Query<CallbackQuery>,
) -> HttpResponse {
    if let Some(error) = &query.error {
        let description = query.error_description.as_deref().unwrap_or("");
        return demo_error(
            &req,
            &format!("ferrid answered with an error: {error} {description}"),
        );
    }
    let pending = req.cookie(COOKIE).and_then(|c| match demo.pending.lock() {
        Ok(mut map) => map.remove(c.value()),
        Err(poisoned) => poisoned.into_inner().remove(c.value()),
    });
    let Some(pending) = pending else {
        return demo_error(
            &req,
            "This sign-in was not started here, or was already finished.",
        );
    };
    let state_ok = query
        .state
        .as_deref()
        .is_some_and(|s| constant_time_eq(s.as_bytes(), pending.csrf.as_bytes()));
    if !state_ok {
        return demo_error(&req, "The state parameter does not match.");
    }
    // RFC 9207: the response must come from the issuer we asked.
    if query.iss.as_deref() != Some(state.settings.issuer_base()) {
        return demo_error(&req, "The iss parameter does not name this issuer.");
    }
    let Some(code) = query.code.clone() else {
        return demo_error(&req, "No authorization code in the response.");
    };
    match finish(&state, pending, code).await {
        Ok(page) => render(&page),
        Err(e) => demo_error(&req, &format!("The sign-in failed: {e:#}")),
    }
}

async fn finish(state: &AppState, pending: Pending, code: String) -> anyhow::Result<ResultPage> {
    let http = http_client()?;
    let client = CoreClient::from_provider_metadata(
        metadata(state, &http).await?,
        ClientId::new(DEMO_CLIENT_ID.into()),
        None,
    )
    .set_redirect_uri(redirect_url(state)?);
    let response = client
        .exchange_code(AuthorizationCode::new(code))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
        .request_async(&http)
        .await?;
    let id_token = response
        .id_token()
        .ok_or_else(|| anyhow::anyhow!("no ID token in the response"))?;
    let verifier = client.id_token_verifier();
    let claims = id_token.claims(&verifier, &Nonce::new(pending.nonce))?;
    if let Some(expected) = claims.access_token_hash() {
        let actual = AccessTokenHash::from_token(
            response.access_token(),
            id_token.signing_alg()?,
            id_token.signing_key(&verifier)?,
        )?;
        anyhow::ensure!(
            &actual == expected,
            "at_hash does not match the access token"
        );
    }
    let userinfo: CoreUserInfoClaims = client
        .user_info(response.access_token().clone(), None)?
        .request_async(&http)
        .await?;
    Ok(ResultPage {
        id_token_claims: serde_json::to_string_pretty(claims)?,
        userinfo: serde_json::to_string_pretty(&userinfo)?,
    })
}

fn demo_error(req: &HttpRequest, message: &str) -> HttpResponse {
    error_page(req, StatusCode::BAD_REQUEST, "Demo sign-in failed", message)
}
