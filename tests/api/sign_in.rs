//! The whole sign-in, with the openidconnect crate as the relying party.

use ferrid::domain::ClientType;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};

use crate::helpers::{PHONE, RP_REDIRECT, browser, param, spawn_app};

#[tokio::test]
async fn a_user_signs_in_with_an_sms_code_and_the_relying_party_verifies_everything() {
    let app = spawn_app().await;
    let registered = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.address.clone()).unwrap(), &http)
            .await
            .expect("discovery and JWKS");
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(registered.client_id.clone()),
        registered.secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(RP_REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("phone".into()))
        .set_pkce_challenge(challenge)
        .url();

    let browser = browser();
    let callback = app.sign_in(&browser, auth_url.as_str(), PHONE).await;
    assert!(callback.as_str().starts_with(RP_REDIRECT));
    assert_eq!(
        param(&callback, "state").as_deref(),
        Some(csrf.secret().as_str())
    );
    assert_eq!(
        param(&callback, "iss").as_deref(),
        Some(app.address.as_str())
    );
    let code = param(&callback, "code").expect("a code");
    assert!(code.len() >= 43, "at least 32 random bytes");

    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let id_token = tokens.id_token().expect("an ID token");
    let id_verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&id_verifier, &nonce)
        .expect("a valid ID token");
    let expected_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&id_verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));
    // OIDC Core §5.4: with an access token issued, scope claims come from UserInfo.
    assert_eq!(claims.phone_number(), None);
    assert!(claims.auth_time().is_some());
    assert_eq!(
        claims
            .auth_method_refs()
            .map(|a| a.iter().map(|r| r.as_str().to_owned()).collect::<Vec<_>>()),
        Some(vec!["sms".to_owned()])
    );
    assert_eq!(tokens.expires_in().map(|d| d.as_secs()), Some(600));

    let userinfo: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(userinfo.subject(), claims.subject());
    assert_eq!(userinfo.phone_number().map(|p| p.as_str()), Some(PHONE));
    assert_eq!(userinfo.phone_number_verified(), Some(true));

    // The raw ID token carries the claims the issue asks for.
    let raw: serde_json::Value = decode_payload(&id_token.to_string());
    for claim in [
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "amr",
        "azp",
        "at_hash",
        "sid",
    ] {
        assert!(raw.get(claim).is_some(), "ID token lacks {claim}: {raw}");
    }
    let access: serde_json::Value = decode_payload(tokens.access_token().secret());
    let header: serde_json::Value = decode_header(tokens.access_token().secret());
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(access["client_id"], registered.client_id.as_str());
    assert!(access.get("jti").is_some());
}

#[tokio::test]
async fn a_second_authorization_from_the_same_browser_skips_the_login_pages() {
    let app = spawn_app().await;
    let registered = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let browser = browser();
    app.sign_in(
        &browser,
        &app.authorize_url(&registered.client_id, &[]),
        PHONE,
    )
    .await;

    let again = browser
        .get(app.authorize_url(&registered.client_id, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 302);
    let url = url::Url::parse(&crate::helpers::location(&again)).unwrap();
    assert!(param(&url, "code").is_some());

    // prompt=login forces the pages again.
    let forced = browser
        .get(app.authorize_url(&registered.client_id, &[("prompt", "login")]))
        .send()
        .await
        .unwrap();
    assert_eq!(forced.status(), 303);
    assert_eq!(crate::helpers::location(&forced), "/login");
}

#[tokio::test]
async fn a_new_phone_number_creates_one_user_and_signing_in_again_finds_it() {
    use ferrid::store::ConnectionTrait;
    let app = spawn_app().await;
    let registered = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let mut subjects = Vec::new();
    for _ in 0..2 {
        let tokens: serde_json::Value = app
            .tokens_for(&registered, PHONE)
            .await
            .json()
            .await
            .unwrap();
        let id_token = tokens["id_token"].as_str().expect("an ID token");
        subjects.push(decode_payload(id_token)["sub"].as_str().unwrap().to_owned());
    }
    let phone = ferrid::domain::PhoneNumber::parse(PHONE, None).unwrap();
    let user = ferrid::store::users::find_by_phone(&app.db, &phone)
        .await
        .unwrap()
        .unwrap();
    assert!(user.phone_verified_at.is_some());
    // The second sign-in found the user the first one created.
    assert_eq!(subjects, vec![user.id.to_string(), user.id.to_string()]);
    let count = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM users",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(count, 1);
}

pub fn decode_payload(jwt: &str) -> serde_json::Value {
    decode_part(jwt, 1)
}

pub fn decode_header(jwt: &str) -> serde_json::Value {
    decode_part(jwt, 0)
}

fn decode_part(jwt: &str, index: usize) -> serde_json::Value {
    use base64::Engine;
    let part = jwt.split('.').nth(index).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}
