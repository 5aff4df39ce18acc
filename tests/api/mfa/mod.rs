//! Second factors at sign-in and step-up, with the openidconnect crate as
//! the relying party where the ID token's `acr` and `amr` matter.

use ferrid::domain::{Factor, MfaMode, SignInPolicy};

use crate::helpers::{TestApp, csrf_of, location};

mod races;
mod sign_in;

/// Changes the stored sign-in policy.
pub async fn set_policy(app: &TestApp, change: impl FnOnce(&mut SignInPolicy)) {
    let mut policy = ferrid::policy::load(&app.db, true).await.unwrap();
    change(&mut policy);
    ferrid::policy::save(&app.db, &policy, app.now())
        .await
        .unwrap();
}

/// MFA `mode` with these second factors allowed.
pub async fn require(app: &TestApp, mode: MfaMode, factors: &[Factor]) {
    set_policy(app, |p| {
        p.mfa = mode;
        p.second_factors = factors.iter().copied().collect();
    })
    .await;
}

/// The user of `phone` (created by a first sign-in) gets a verified email.
pub async fn give_email(app: &TestApp, phone: &str, address: &str) {
    let phone = ferrid::domain::PhoneNumber::parse(phone, None).unwrap();
    let user = ferrid::store::users::find_by_phone(&app.db, &phone)
        .await
        .unwrap()
        .expect("the user");
    let email = ferrid::domain::EmailAddress::parse(address).unwrap();
    ferrid::store::users::update_email(&app.db, user.id, Some(&email), app.now())
        .await
        .unwrap();
}

/// Proves the first factor (an SMS code to `phone`) from `authorize_url`;
/// the response to the code.
pub async fn first_factor(
    app: &TestApp,
    browser: &reqwest::Client,
    authorize_url: &str,
    phone: &str,
) -> reqwest::Response {
    let csrf = app.open_login(browser, authorize_url).await;
    let sent = app.submit_phone(browser, &csrf, phone).await;
    assert_eq!(location(&sent), "/login/code");
    let code = app.sms.last_code(phone);
    app.submit_code(browser, &csrf, &code).await
}

/// The second-factor page: its HTML and CSRF token.
pub async fn mfa_page(app: &TestApp, browser: &reqwest::Client) -> (String, String) {
    let res = browser.get(app.url("/login/mfa")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let csrf = csrf_of(&html);
    (html, csrf)
}

/// Picks `factor` on the second-factor page.
pub async fn choose(
    app: &TestApp,
    browser: &reqwest::Client,
    csrf: &str,
    factor: &str,
) -> reqwest::Response {
    browser
        .post(app.url("/login/mfa"))
        .form(&[("csrf", csrf), ("factor", factor)])
        .send()
        .await
        .unwrap()
}

/// Types a code of `factor`.
pub async fn submit(
    app: &TestApp,
    browser: &reqwest::Client,
    csrf: &str,
    factor: &str,
    code: &str,
) -> reqwest::Response {
    browser
        .post(app.url("/login/mfa/code"))
        .form(&[("csrf", csrf), ("factor", factor), ("code", code)])
        .send()
        .await
        .unwrap()
}
