//! Re-authentication.

use super::*;

#[tokio::test]
async fn prompt_login_makes_a_signed_in_user_authenticate_again() {
    let app = spawn_app().await;
    let registered = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let (http, client) = rp(&app, &registered).await;
    let b = browser();
    let (tokens, nonce) = rp_sign_in(&app, &client, &http, &b, &[]).await;
    let first = verified(&client, &tokens, &nonce);
    app.advance(Duration::from_millis(1100));

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
    app.advance(Duration::from_secs(2));

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
