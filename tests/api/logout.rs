//! The OpenID Foundation's RP-Initiated Logout OP plan, one test per module:
//! sign in, go to the `end_session_endpoint`, then (as the suite does) check
//! with `prompt=none` whether the browser is still signed in.

use ferrid::domain::ClientType;

use crate::conformance::{
    SignedIn, discovery, hidden_inputs, oauth_error, refresh, register_with_logout, signed_in,
    silent,
};
use crate::helpers::{TestApp, TestClient, csrf_of, location, param, spawn_app};
use crate::sign_in::decode_header;

pub(crate) const LOGGED_OUT: &str = "https://rp.example.com/logged-out";

/// An app, a client with `LOGGED_OUT` registered, and a signed-in browser
/// holding an ID token and a refresh token.
async fn signed_in_app() -> (TestApp, TestClient, SignedIn) {
    let app = spawn_app().await;
    let client = register_with_logout(&app, &[LOGGED_OUT]).await;
    let session = signed_in(&app, &client, &[("scope", "openid phone offline_access")]).await;
    assert!(session.tokens["refresh_token"].is_string());
    (app, client, session)
}

pub(crate) async fn end_session(
    app: &TestApp,
    session: &SignedIn,
    params: &[(&str, &str)],
) -> reqwest::Response {
    let mut url = url::Url::parse(&app.url("/end_session")).unwrap();
    if !params.is_empty() {
        url.query_pairs_mut().extend_pairs(params);
    }
    session.browser.get(url.as_str()).send().await.unwrap()
}

/// "Session ended": `prompt=none` answers `login_required` and the refresh
/// tokens of the session are revoked.
pub(crate) async fn assert_signed_out(app: &TestApp, client: &TestClient, session: &SignedIn) {
    let back = silent(app, &session.browser, &client.client_id, &[]).await;
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("login_required"),
        "{back}"
    );
    if let Some(refresh_token) = session.tokens["refresh_token"].as_str() {
        assert_eq!(
            oauth_error(refresh(app, client, refresh_token).await).await,
            (400, "invalid_grant".into()),
            "the session's refresh tokens are revoked"
        );
    }
}

/// A logout that named no client: the browser session ends, and the
/// client's `offline_access` refresh token survives it (OIDC Core §11).
async fn assert_session_ended_offline_kept(app: &TestApp, client: &TestClient, session: &SignedIn) {
    let back = silent(app, &session.browser, &client.client_id, &[]).await;
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("login_required"),
        "{back}"
    );
    let refresh_token = session.tokens["refresh_token"].as_str().unwrap();
    assert_eq!(
        refresh(app, client, refresh_token).await.status(),
        200,
        "an offline_access token outlives a browser logout"
    );
}

async fn assert_still_signed_in(app: &TestApp, client: &TestClient, session: &SignedIn) {
    let back = silent(app, &session.browser, &client.client_id, &[]).await;
    assert!(param(&back, "code").is_some(), "still signed in: {back}");
}

async fn assert_error_page(res: reqwest::Response) {
    assert_eq!(res.status(), 400, "an error page");
    assert!(res.headers().get("location").is_none(), "never a redirect");
}

async fn assert_signed_out_page(res: reqwest::Response) {
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("location").is_none());
    let body = res.text().await.unwrap();
    assert!(body.to_lowercase().contains("signed out"), "{body}");
}

/// The confirmation page of a logout without `id_token_hint`: posts its
/// form as the browser would and returns the answer.
pub(crate) async fn confirm(
    app: &TestApp,
    client: &TestClient,
    session: &SignedIn,
    page: reqwest::Response,
) -> reqwest::Response {
    assert_eq!(page.status(), 200, "a confirmation page");
    assert!(page.headers().get("location").is_none());
    let html = page.text().await.unwrap();
    assert!(
        html.contains("method=\"post\"") && html.contains("action=\"/end_session/confirm\""),
        "{html}"
    );
    assert!(
        html.contains("type=\"submit\"") || html.contains("<button"),
        "{html}"
    );
    let fields = hidden_inputs(&html);
    assert!(
        fields
            .iter()
            .any(|(k, v)| k == "csrf" && *v == csrf_of(&html))
    );
    // Showing the page alone signs nobody out.
    assert_still_signed_in(app, client, session).await;
    session
        .browser
        .post(app.url("/end_session/confirm"))
        .form(&fields)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn oidcc_rp_initiated_logout() {
    let (app, client, session) = signed_in_app().await;
    assert_eq!(
        discovery(&app).await["end_session_endpoint"],
        app.url("/end_session").as_str()
    );
    // A long state with characters that need encoding, returned byte for byte.
    let state = format!("{}&=#%\"\\ +/?é{}", "a".repeat(60), "Z9".repeat(30));
    let res = end_session(
        &app,
        &session,
        &[
            ("id_token_hint", session.id_token()),
            ("post_logout_redirect_uri", LOGGED_OUT),
            ("state", &state),
        ],
    )
    .await;
    assert_eq!(res.status(), 302);
    let back = url::Url::parse(&location(&res)).unwrap();
    assert_eq!(
        format!(
            "{}://{}{}",
            back.scheme(),
            back.host_str().unwrap(),
            back.path()
        ),
        LOGGED_OUT
    );
    assert_eq!(param(&back, "state").as_deref(), Some(state.as_str()));
    assert_signed_out(&app, &client, &session).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_bad_id_token_hint() {
    // An ID token with ferrid's claims and kid, signed with another key.
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use rsa::pkcs1::EncodeRsaPrivateKey;
    let (app, client, session) = signed_in_app().await;
    let foreign = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
    let der = foreign.to_pkcs1_der().unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = decode_header(session.id_token())["kid"]
        .as_str()
        .map(str::to_owned);
    let forged = jsonwebtoken::encode(
        &header,
        &session.id_claims(),
        &EncodingKey::from_rsa_der(der.as_bytes()),
    )
    .unwrap();
    let res = end_session(
        &app,
        &session,
        &[
            ("id_token_hint", forged.as_str()),
            ("post_logout_redirect_uri", LOGGED_OUT),
            ("state", "st4te"),
        ],
    )
    .await;
    assert_error_page(res).await;
    assert_still_signed_in(&app, &client, &session).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_modified_id_token_hint() {
    let (app, client, session) = signed_in_app().await;
    let token = session.id_token();
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let middle = signature.len() / 2;
    let flipped = if &signature[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    let modified = format!(
        "{signed}.{}{flipped}{}",
        &signature[..middle],
        &signature[middle + 1..]
    );
    let res = end_session(
        &app,
        &session,
        &[
            ("id_token_hint", modified.as_str()),
            ("post_logout_redirect_uri", LOGGED_OUT),
            ("state", "st4te"),
        ],
    )
    .await;
    assert_error_page(res).await;
    assert_still_signed_in(&app, &client, &session).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_no_id_token_hint() {
    // Without a hint ferrid asks the user; with no client_id it never
    // redirects, even to a registered post_logout_redirect_uri.
    let (app, client, session) = signed_in_app().await;
    let page = end_session(
        &app,
        &session,
        &[("post_logout_redirect_uri", LOGGED_OUT), ("state", "st4te")],
    )
    .await;
    let done = confirm(&app, &client, &session, page).await;
    assert_signed_out_page(done).await;
    assert_session_ended_offline_kept(&app, &client, &session).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_no_params() {
    let (app, client, session) = signed_in_app().await;
    let page = end_session(&app, &session, &[]).await;
    let done = confirm(&app, &client, &session, page).await;
    assert_signed_out_page(done).await;
    assert_session_ended_offline_kept(&app, &client, &session).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_no_post_logout_redirect_uri() {
    let (app, client, session) = signed_in_app().await;
    let res = end_session(
        &app,
        &session,
        &[("id_token_hint", session.id_token()), ("state", "st4te")],
    )
    .await;
    assert_signed_out_page(res).await;
    assert_signed_out(&app, &client, &session).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_no_state() {
    let (app, client, session) = signed_in_app().await;
    let res = end_session(
        &app,
        &session,
        &[
            ("id_token_hint", session.id_token()),
            ("post_logout_redirect_uri", LOGGED_OUT),
        ],
    )
    .await;
    assert_eq!(res.status(), 302);
    assert_eq!(location(&res), LOGGED_OUT, "no state is added");
    assert_signed_out(&app, &client, &session).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_only_state() {
    let (app, client, session) = signed_in_app().await;
    let page = end_session(&app, &session, &[("state", "st4te")]).await;
    let done = confirm(&app, &client, &session, page).await;
    assert_signed_out_page(done).await;
    assert_session_ended_offline_kept(&app, &client, &session).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_query_added_to_post_logout_redirect_uri() {
    let (app, _client, session) = signed_in_app().await;
    let res = end_session(
        &app,
        &session,
        &[
            ("id_token_hint", session.id_token()),
            ("post_logout_redirect_uri", &format!("{LOGGED_OUT}?foo=bar")),
            ("state", "st4te"),
        ],
    )
    .await;
    assert_error_page(res).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_bad_post_logout_redirect_uri() {
    let (app, _client, session) = signed_in_app().await;
    // Registered, but for another client: still not this hint's client's URI.
    let other = "https://other.example.com/logged-out";
    register_with_logout(&app, &[other]).await;
    for uri in ["https://rp.example.com/elsewhere", other] {
        let res = end_session(
            &app,
            &session,
            &[
                ("id_token_hint", session.id_token()),
                ("post_logout_redirect_uri", uri),
                ("state", "st4te"),
            ],
        )
        .await;
        assert_error_page(res).await;
    }
    // A client that registered no post-logout URI at all.
    let plain = app
        .register(ClientType::Confidential, &[crate::helpers::RP_REDIRECT])
        .await;
    let theirs = signed_in(&app, &plain, &[]).await;
    let res = end_session(
        &app,
        &theirs,
        &[
            ("id_token_hint", theirs.id_token()),
            ("post_logout_redirect_uri", LOGGED_OUT),
        ],
    )
    .await;
    assert_error_page(res).await;
}
