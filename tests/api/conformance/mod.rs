//! The OpenID Foundation's Basic OP certification plan, one test per module
//! (static client, `response_type=code`, `client_secret_basic` unless the
//! module says otherwise). Each test asserts what the module of the
//! conformance suite (openid-certification/conformance-suite,
//! `net.openid.conformance.openid.OIDCC*`) checks, made strict where the
//! suite only warns and ferrid's behaviour is known.
//!
//! The helpers at the top are shared with `logout.rs` and `flows.rs`.

use std::time::Duration;

use ferrid::domain::{ClientType, GrantType, RedirectUri};
use ferrid::store::ConnectionTrait;
use openidconnect::core::{CoreClient, CoreIdToken, CoreProviderMetadata};
use openidconnect::{AuthType, ClientId, ClientSecret, IssuerUrl, Nonce, RedirectUrl};
use serde_json::Value;

use crate::helpers::{
    PHONE, RP_REDIRECT, TestApp, TestClient, browser, csrf_of, location, param, spawn_app,
};
use crate::sign_in::{decode_header, decode_payload};

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

/// Another valid UK mobile number, for a second user.
pub(crate) const OTHER_PHONE: &str = "+447400123457";

/// `TestApp::authorize_url`, under the name these tests use.
pub(crate) fn request_url(app: &TestApp, client_id: &str, params: &[(&str, &str)]) -> String {
    app.authorize_url(client_id, params)
}

/// Signs in through the hosted pages and returns where the code form sent
/// the browser (the application's redirect URI, or `/consent`).
pub(crate) async fn sign_in_to(
    app: &TestApp,
    browser: &reqwest::Client,
    authorize_url: &str,
    phone: &str,
) -> String {
    let csrf = app.open_login(browser, authorize_url).await;
    let sent = app.submit_phone(browser, &csrf, phone).await;
    assert_eq!(sent.status(), 303, "{}", sent.text().await.unwrap());
    let code = app.sms.last_code(phone);
    let done = app.submit_code(browser, &csrf, &code).await;
    assert_eq!(done.status(), 303, "{}", done.text().await.unwrap());
    location(&done)
}

/// Opens the consent page and answers it with `decision` (`allow`/`deny`).
pub(crate) async fn decide_consent(
    app: &TestApp,
    browser: &reqwest::Client,
    decision: &str,
) -> reqwest::Response {
    let page = browser.get(app.url("/consent")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("action=\"/consent\""),
        "a consent form: {html}"
    );
    browser
        .post(app.url("/consent"))
        .form(&[("csrf", csrf_of(&html).as_str()), ("decision", decision)])
        .send()
        .await
        .unwrap()
}

/// Asserts a redirect (302 or 303) back to `RP_REDIRECT` and returns its URL.
pub(crate) fn back_to_rp(res: &reqwest::Response) -> url::Url {
    assert!(
        matches!(res.status().as_u16(), 302 | 303),
        "expected a redirect back to the client, got {}",
        res.status()
    );
    let url = url::Url::parse(&location(res)).expect("an absolute Location");
    assert!(url.as_str().starts_with(RP_REDIRECT), "{url}");
    url
}

/// A GET from `browser`, redirects not followed.
pub(crate) async fn visit(browser: &reqwest::Client, url: &str) -> reqwest::Response {
    browser.get(url).send().await.unwrap()
}

/// `prompt=none` from a browser: where ferrid sends it back.
pub(crate) async fn silent(
    app: &TestApp,
    browser: &reqwest::Client,
    client_id: &str,
    params: &[(&str, &str)],
) -> url::Url {
    let mut all = vec![("prompt", "none")];
    all.extend_from_slice(params);
    back_to_rp(&visit(browser, &request_url(app, client_id, &all)).await)
}

/// A browser signed in through the hosted pages, and the token response of
/// its first code.
pub(crate) struct SignedIn {
    pub browser: reqwest::Client,
    pub tokens: Value,
}

impl SignedIn {
    pub fn id_token(&self) -> &str {
        self.tokens["id_token"].as_str().expect("an id_token")
    }

    pub fn access_token(&self) -> &str {
        self.tokens["access_token"]
            .as_str()
            .expect("an access_token")
    }

    pub fn id_claims(&self) -> Value {
        decode_payload(self.id_token())
    }
}

/// Signs in a new browser as `PHONE` with `params` and exchanges the code.
pub(crate) async fn signed_in(
    app: &TestApp,
    client: &TestClient,
    params: &[(&str, &str)],
) -> SignedIn {
    signed_in_as(app, client, params, PHONE).await
}

pub(crate) async fn signed_in_as(
    app: &TestApp,
    client: &TestClient,
    params: &[(&str, &str)],
    phone: &str,
) -> SignedIn {
    let browser = browser();
    let back = sign_in_to(
        app,
        &browser,
        &request_url(app, &client.client_id, params),
        phone,
    )
    .await;
    let back = url::Url::parse(&back).expect("straight back to the client");
    let code = param(&back, "code").expect("a code");
    SignedIn {
        browser,
        tokens: exchange_ok(app, client, &code).await,
    }
}

/// Exchanges a code with `client_secret_basic`, asserting success.
pub(crate) async fn exchange_ok(app: &TestApp, client: &TestClient, code: &str) -> Value {
    let res = app.exchange(client, code).await;
    assert_eq!(res.status(), 200, "the code exchange");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    body
}

/// `(status, error)` of an OAuth error response.
pub(crate) async fn oauth_error(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    (status, body["error"].as_str().unwrap_or("").to_owned())
}

/// `(status, body)` of `GET /userinfo` with a bearer token.
pub(crate) async fn userinfo(app: &TestApp, token: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .get(app.url("/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The discovery document as JSON.
pub(crate) async fn discovery(app: &TestApp) -> Value {
    let res = app.get("/.well-known/openid-configuration").await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Discovery through the openidconnect crate, with redirects not followed.
pub(crate) async fn rp_metadata(app: &TestApp) -> (reqwest::Client, CoreProviderMetadata) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.address.clone()).unwrap(), &http)
            .await
            .expect("discovery and JWKS");
    (http, metadata)
}

/// Registers a confidential client whose post-logout URIs are given.
pub(crate) async fn register_with_logout(app: &TestApp, post_logout: &[&str]) -> TestClient {
    let uris: Vec<RedirectUri> = post_logout
        .iter()
        .map(|u| RedirectUri::parse(u).unwrap())
        .collect();
    app.register_with(ClientType::Confidential, &[RP_REDIRECT], |c| {
        c.post_logout_redirect_uris = uris;
        c.grant_types = vec![GrantType::AuthorizationCode, GrantType::RefreshToken];
    })
    .await
}

/// A refresh at `/token` with `client_secret_basic`.
pub(crate) async fn refresh(
    app: &TestApp,
    client: &TestClient,
    refresh_token: &str,
) -> reqwest::Response {
    app.token(
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
        Some((&client.client_id, client.secret.as_deref().unwrap())),
    )
    .await
}

/// The hidden inputs of a page's forms, `(name, value)`, values unescaped.
pub(crate) fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    html.split("<input")
        .skip(1)
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>')?];
            if attr(tag, "type")? != "hidden" {
                return None;
            }
            Some((attr(tag, "name")?, attr(tag, "value").unwrap_or_default()))
        })
        .collect()
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let end = start + tag[start..].find('"')?;
    Some(unescape_html(&tag[start..end]))
}

fn unescape_html(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ if entity.starts_with("#x") || entity.starts_with("#X") => {
                u32::from_str_radix(&entity[2..], 16)
                    .ok()
                    .and_then(char::from_u32)
            }
            _ if entity.starts_with('#') => entity[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn sub_of(jwt: &str) -> String {
    decode_payload(jwt)["sub"].as_str().unwrap().to_owned()
}

fn assert_redirected_error(back: &url::Url, app: &TestApp, error: &str) {
    assert_eq!(param(back, "error").as_deref(), Some(error), "{back}");
    assert_eq!(param(back, "state").as_deref(), Some("st4te"));
    assert_eq!(param(back, "iss").as_deref(), Some(app.address.as_str()));
    assert!(param(back, "code").is_none());
}

/// The whole code flow with a scope, then `/userinfo` with its access token.
async fn userinfo_for_scope(app: &TestApp, scope: &str) -> (SignedIn, Value) {
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let session = signed_in(app, &client, &[("scope", scope)]).await;
    let (status, info) = userinfo(app, session.access_token()).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["sub"], session.id_claims()["sub"]);
    (session, info)
}

async fn expect_error_page(app: &TestApp, url: &str) {
    let res = visit(&app.client, url).await;
    assert_eq!(res.status(), 400, "an error page");
    assert!(res.headers().get("location").is_none(), "never a redirect");
    let body = res.text().await.unwrap();
    assert!(body.contains("not registered"), "the page says why: {body}");
}

// ---------------------------------------------------------------------------
// The modules
// ---------------------------------------------------------------------------

mod plan_first_half;
mod plan_second_half;
