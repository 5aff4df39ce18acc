//! Applications the user allowed, on the account page.

use ferrid::domain::{ClientType, GrantType};

use crate::account_support::{
    FIREFOX_LINUX, account_settings, browser_as, overview, post, sign_in_at_account,
};
use crate::conformance::{back_to_rp, decide_consent};
use crate::helpers::{PHONE, RP_REDIRECT, location, param, spawn_app_with};

#[tokio::test]
async fn revoking_an_application_removes_its_consent_and_its_refresh_tokens() {
    let app = spawn_app_with(account_settings).await;
    let client = app
        .register_with(ClientType::Confidential, &[RP_REDIRECT], |c| {
            c.first_party = false;
            c.grant_types = vec![GrantType::AuthorizationCode, GrantType::RefreshToken];
        })
        .await;
    let b = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &b, PHONE).await;
    let url = app.authorize_url(&client.client_id, &[("scope", "openid offline_access")]);
    let res = b.get(&url).send().await.unwrap();
    assert_eq!(location(&res), "/consent");
    let back = back_to_rp(&decide_consent(&app, &b, "allow").await);
    let code = param(&back, "code").unwrap();
    let tokens: serde_json::Value = app.exchange(&client, &code).await.json().await.unwrap();
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();

    let html = overview(&app, &b).await;
    assert!(html.contains("Test Shop"), "{html}");
    let res = post(
        &app,
        &b,
        &format!("/account/consents/{}/revoke", client.client_id),
        &[],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account?notice=app_revoked");
    assert!(!overview(&app, &b).await.contains("Test Shop"));
    assert_eq!(app.refresh(&client, &refresh_token).await.status(), 400);
    // The next sign-in asks again.
    let res = b.get(&url).send().await.unwrap();
    assert_eq!(location(&res), "/consent");
    // Revoking again finds nothing.
    let res = post(
        &app,
        &b,
        &format!("/account/consents/{}/revoke", client.client_id),
        &[],
    )
    .await;
    assert_eq!(res.status(), 404);
}
