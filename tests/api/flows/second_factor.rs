//! Second factors with the openidconnect crate as the relying party: an
//! authenticator app and recovery codes at sign-in, the walk-through when
//! MFA is required, a client that requires MFA, and step-up with
//! `acr_values`; the ID token's `acr`, `amr` and `auth_time`.

use ferrid::domain::{Factor, MfaMode};
use ferrid::factors::{self, FactorCheck, TotpStart};

use super::*;
use crate::account_factors::{align_to_step, code_now, codes_of, secret_of};
use crate::mfa::{choose, first_factor, mfa_page, require, submit};

const MFA_ACR: &str = "urn:ferrid:acr:mfa";

/// The user of `PHONE` (signed up by a first sign-in) with an authenticator
/// app; its secret. ferrid's clock is moved a step on, past the step of the
/// code that confirmed the app.
async fn user_with_app(app: &TestApp) -> (uuid::Uuid, String) {
    let phone = ferrid::domain::PhoneNumber::parse(PHONE, None).unwrap();
    let user = ferrid::store::users::find_by_phone(&app.db, &phone)
        .await
        .unwrap()
        .expect("the user signed up")
        .id;
    let txn = ferrid::store::begin_write(&app.state.db).await.unwrap();
    let TotpStart::Started(enrollment) = factors::start_totp_enrollment(&txn, &app.state, user)
        .await
        .unwrap()
    else {
        panic!("no app yet");
    };
    txn.commit().await.unwrap();
    let secret = enrollment.secret_base32.replace(' ', "");
    align_to_step(app);
    let txn = ferrid::store::begin_write(&app.state.db).await.unwrap();
    let checked =
        factors::confirm_totp_enrollment(&txn, &app.state, user, &code_now(app, &secret, 0))
            .await
            .unwrap();
    txn.commit().await.unwrap();
    assert_eq!(checked, FactorCheck::Accepted);
    app.advance(Duration::from_secs(30));
    (user, secret)
}

/// An authorization URL from the relying party, with `extra` parameters.
fn rp_url(client: &RpClient, extra: &[(&str, &str)]) -> (url::Url, Nonce) {
    rp_url_with_scopes(client, &[], extra)
}

fn rp_url_with_scopes(
    client: &RpClient,
    scopes: &[&str],
    extra: &[(&str, &str)],
) -> (url::Url, Nonce) {
    let mut request = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for scope in scopes {
        request = request.add_scope(Scope::new((*scope).to_owned()));
    }
    for (k, v) in extra {
        request = request.add_extra_param(*k, *v);
    }
    let (url, _, nonce) = request.url();
    (url, nonce)
}

/// At the second-factor page: picks `factor` and types `code`; the
/// response to the code.
async fn second_factor(
    app: &TestApp,
    b: &reqwest::Client,
    factor: &str,
    code: &str,
) -> reqwest::Response {
    let (html, csrf) = mfa_page(app, b).await;
    assert!(html.contains(&format!(r#"value="{factor}""#)), "{html}");
    let res = choose(app, b, &csrf, factor).await;
    assert_eq!(location(&res), format!("/login/mfa/code?factor={factor}"));
    submit(app, b, &csrf, factor, code).await
}

/// Where the browser is sent back to the application (302 from
/// `/authorize`, 303 from a form).
fn back(res: &reqwest::Response) -> url::Url {
    assert!(
        matches!(res.status().as_u16(), 302 | 303),
        "{}",
        res.status()
    );
    url::Url::parse(&location(res)).unwrap()
}

#[tokio::test]
async fn an_authenticator_app_is_the_second_factor_and_a_refresh_keeps_acr_amr_and_auth_time() {
    let app = spawn_app().await;
    let registered = refreshing_client(&app).await;
    let (http, client) = rp(&app, &registered).await;
    app.code_for(&registered.client_id, &[]).await;
    let (_, secret) = user_with_app(&app).await;
    require(&app, MfaMode::Optional, &Factor::ALL).await;

    let b = browser();
    let (url, nonce) = rp_url_with_scopes(&client, &["offline_access"], &[]);
    let res = first_factor(&app, &b, url.as_str(), PHONE).await;
    assert_eq!(
        location(&res),
        "/login/mfa",
        "a user with an app is asked for it"
    );
    let res = second_factor(&app, &b, "totp", &code_now(&app, &secret, 0)).await;
    let tokens = exchange(&client, &http, &back(&res)).await;
    let claims = verified(&client, &tokens, &nonce);
    assert_eq!(
        amr(&claims),
        Some(vec!["sms".to_owned(), "otp".to_owned(), "mfa".to_owned()])
    );
    assert_eq!(claims.auth_context_ref().map(|a| a.as_str()), Some(MFA_ACR));
    let auth_time = claims.auth_time().unwrap();

    app.advance(Duration::from_secs(5));
    let refreshed = client
        .exchange_refresh_token(tokens.refresh_token().expect("a refresh token"))
        .unwrap()
        .request_async(&http)
        .await
        .expect("a refresh");
    let again = verified_without_nonce(&client, &refreshed);
    assert_eq!(amr(&again), amr(&claims));
    assert_eq!(again.auth_context_ref().map(|a| a.as_str()), Some(MFA_ACR));
    assert_eq!(again.auth_time(), Some(auth_time));
}

#[tokio::test]
async fn an_authenticator_code_used_once_is_refused_when_replayed() {
    let app = spawn_app().await;
    let registered = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    app.code_for(&registered.client_id, &[]).await;
    let (_, secret) = user_with_app(&app).await;
    require(&app, MfaMode::Required, &[Factor::Totp]).await;
    let code = code_now(&app, &secret, 0);

    let first = browser();
    let url = app.authorize_url(&registered.client_id, &[]);
    first_factor(&app, &first, &url, PHONE).await;
    let res = second_factor(&app, &first, "totp", &code).await;
    assert!(param(&back(&res), "code").is_some());

    // Someone who saw the code tries it in the same time step.
    let thief = browser();
    first_factor(&app, &thief, &url, PHONE).await;
    let res = second_factor(&app, &thief, "totp", &code).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("already used"));
    // The next step's code works.
    app.advance(Duration::from_secs(30));
    let (_, csrf) = mfa_page(&app, &thief).await;
    let res = submit(&app, &thief, &csrf, "totp", &code_now(&app, &secret, 0)).await;
    assert!(param(&back(&res), "code").is_some());
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let app = spawn_app().await;
    let registered = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let (http, client) = rp(&app, &registered).await;
    app.code_for(&registered.client_id, &[]).await;
    let (user, _) = user_with_app(&app).await;
    let txn = ferrid::store::begin_write(&app.state.db).await.unwrap();
    let codes = factors::generate_recovery_codes(&txn, &app.state, user)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    require(&app, MfaMode::Required, &Factor::ALL).await;

    let b = browser();
    let (url, nonce) = rp_url(&client, &[]);
    first_factor(&app, &b, url.as_str(), PHONE).await;
    let res = second_factor(&app, &b, "recovery_code", &codes[3]).await;
    let claims = verified(
        &client,
        &exchange(&client, &http, &back(&res)).await,
        &nonce,
    );
    assert_eq!(claims.auth_context_ref().map(|a| a.as_str()), Some(MFA_ACR));

    let again = browser();
    first_factor(&app, &again, url.as_str(), PHONE).await;
    let res = second_factor(&app, &again, "recovery_code", &codes[3]).await;
    assert_eq!(res.status(), 400, "a recovery code works once");
    assert!(res.text().await.unwrap().contains("not valid"));
}

#[tokio::test]
async fn mfa_required_walks_a_user_without_a_second_factor_through_setting_up_an_app() {
    let app = spawn_app().await;
    let registered = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let (http, client) = rp(&app, &registered).await;
    require(&app, MfaMode::Required, &Factor::ALL).await;

    let b = browser();
    let (url, nonce) = rp_url(&client, &[]);
    let res = first_factor(&app, &b, url.as_str(), PHONE).await;
    assert_eq!(location(&res), "/login/mfa");
    let (html, csrf) = mfa_page(&app, &b).await;
    assert!(html.contains(r#"action="/login/mfa/enroll""#), "{html}");

    align_to_step(&app);
    let res = b
        .post(app.url("/login/mfa/enroll"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("<svg"), "a QR code drawn on the server");
    let secret = secret_of(&html);

    let confirm = |code: String| {
        b.post(app.url("/login/mfa/enroll/confirm"))
            .form(&[("csrf", csrf.clone()), ("code", code)])
            .send()
    };
    let res = confirm("000000".to_owned()).await.unwrap();
    assert_eq!(res.status(), 400, "a wrong first code saves nothing");
    assert!(
        res.text().await.unwrap().contains("<svg"),
        "the same app to scan"
    );
    let res = confirm(code_now(&app, &secret, 0)).await.unwrap();
    assert_eq!(res.status(), 200);
    let codes = codes_of(&res.text().await.unwrap());
    assert_eq!(codes.len(), 10, "the recovery codes, shown once");

    let res = b
        .post(app.url("/login/mfa/continue"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let claims = verified(
        &client,
        &exchange(&client, &http, &back(&res)).await,
        &nonce,
    );
    assert_eq!(
        amr(&claims),
        Some(vec!["sms".to_owned(), "otp".to_owned(), "mfa".to_owned()])
    );

    // The next sign-in asks for the app the user set up.
    app.advance(Duration::from_secs(30));
    let next = browser();
    let res = first_factor(&app, &next, url.as_str(), PHONE).await;
    assert_eq!(location(&res), "/login/mfa");
    let res = second_factor(&app, &next, "totp", &code_now(&app, &secret, 0)).await;
    assert!(param(&back(&res), "code").is_some());
}

#[tokio::test]
async fn a_client_that_requires_mfa_asks_for_it_and_another_client_does_not() {
    let app = spawn_app().await;
    let plain = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let strict = app
        .register_with(ClientType::Confidential, &[RP_REDIRECT], |c| {
            c.require_mfa = true;
        })
        .await;
    let (http, strict_rp) = rp(&app, &strict).await;
    app.code_for(&plain.client_id, &[]).await;
    let (_, secret) = user_with_app(&app).await;

    // The plain client: one factor, straight back.
    let b = browser();
    let res = first_factor(&app, &b, &app.authorize_url(&plain.client_id, &[]), PHONE).await;
    assert!(param(&back(&res), "code").is_some());

    // The strict client, with the same SSO session: a second factor only.
    let (url, nonce) = rp_url(&strict_rp, &[]);
    let res = b.get(url.as_str()).send().await.unwrap();
    assert_eq!(location(&res), "/login/mfa", "a step-up, not a new sign-in");
    let sent = app.sms.sent_to(PHONE).len();
    let res = second_factor(&app, &b, "totp", &code_now(&app, &secret, 0)).await;
    let claims = verified(
        &strict_rp,
        &exchange(&strict_rp, &http, &back(&res)).await,
        &nonce,
    );
    assert_eq!(claims.auth_context_ref().map(|a| a.as_str()), Some(MFA_ACR));
    assert_eq!(app.sms.sent_to(PHONE).len(), sent, "no new SMS code");
}

#[tokio::test]
async fn acr_values_mfa_steps_up_an_open_session_and_the_id_token_says_so() {
    let app = spawn_app().await;
    let registered = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let (http, client) = rp(&app, &registered).await;
    let b = browser();
    let (url, nonce) = rp_url(&client, &[]);
    let back_url = app.sign_in(&b, url.as_str(), PHONE).await;
    let first = verified(&client, &exchange(&client, &http, &back_url).await, &nonce);
    assert_eq!(amr(&first), Some(vec!["sms".to_owned()]));
    assert_eq!(
        first.auth_context_ref().map(|a| a.as_str()),
        Some("urn:ferrid:acr:sms")
    );
    let (_, secret) = user_with_app(&app).await;

    // Without prompting, a step-up cannot happen.
    let (url, _) = rp_url(&client, &[("acr_values", MFA_ACR), ("prompt", "none")]);
    let res = b.get(url.as_str()).send().await.unwrap();
    assert_eq!(
        param(&back(&res), "error").as_deref(),
        Some("interaction_required")
    );

    let (url, nonce) = rp_url(&client, &[("acr_values", MFA_ACR)]);
    let res = b.get(url.as_str()).send().await.unwrap();
    assert_eq!(location(&res), "/login/mfa");
    let res = second_factor(&app, &b, "totp", &code_now(&app, &secret, 0)).await;
    let stepped = verified(
        &client,
        &exchange(&client, &http, &back(&res)).await,
        &nonce,
    );
    assert_eq!(stepped.subject(), first.subject());
    assert_eq!(
        stepped.auth_context_ref().map(|a| a.as_str()),
        Some(MFA_ACR)
    );
    assert_eq!(
        amr(&stepped),
        Some(vec!["sms".to_owned(), "otp".to_owned(), "mfa".to_owned()])
    );
    assert!(stepped.auth_time().unwrap() > first.auth_time().unwrap());

    // The stronger session is the browser's now: no second step-up.
    let (url, _) = rp_url(&client, &[("acr_values", MFA_ACR)]);
    let res = b.get(url.as_str()).send().await.unwrap();
    assert!(param(&back(&res), "code").is_some());
}

#[tokio::test]
async fn an_email_code_and_an_sms_code_are_each_others_second_factor() {
    use ferrid::domain::Connection;
    let app = spawn_app().await;
    let registered = app.client_with(&[Connection::Sms, Connection::Email]).await;
    let (http, client) = rp(&app, &registered).await;
    app.code_for(&registered.client_id, &[]).await;
    crate::mfa::give_email(&app, PHONE, crate::email_login::ADA).await;
    crate::mfa::set_policy(&app, |p| {
        p.first_factors = [Connection::Sms, Connection::Email].into_iter().collect();
        p.mfa = MfaMode::Required;
        p.second_factors = [Factor::Sms, Factor::Email].into_iter().collect();
    })
    .await;

    // Email first, then the phone.
    let b = browser();
    let (url, nonce) = rp_url(&client, &[]);
    let csrf = app.open_login(&b, url.as_str()).await;
    let res = app.submit_email(&b, &csrf, crate::email_login::ADA).await;
    assert_eq!(location(&res), "/login/code");
    let code = app.mailed_code(crate::email_login::ADA).await;
    let res = app.submit_code(&b, &csrf, &code).await;
    assert_eq!(location(&res), "/login/mfa");
    let (html, _) = mfa_page(&app, &b).await;
    assert!(
        !html.contains(r#"value="email""#),
        "the address is not asked twice"
    );
    let (_, csrf) = mfa_page(&app, &b).await;
    let res = choose(&app, &b, &csrf, "sms").await;
    assert_eq!(location(&res), "/login/mfa/code?factor=sms");
    let res = submit(&app, &b, &csrf, "sms", &app.sms.last_code(PHONE)).await;
    let claims = verified(
        &client,
        &exchange(&client, &http, &back(&res)).await,
        &nonce,
    );
    assert_eq!(
        amr(&claims),
        Some(vec!["email".to_owned(), "sms".to_owned(), "mfa".to_owned()])
    );

    // The phone first, then the address.
    let b = browser();
    let (url, nonce) = rp_url(&client, &[]);
    let res = first_factor(&app, &b, url.as_str(), PHONE).await;
    assert_eq!(location(&res), "/login/mfa");
    let (_, csrf) = mfa_page(&app, &b).await;
    let res = choose(&app, &b, &csrf, "email").await;
    assert_eq!(location(&res), "/login/mfa/code?factor=email");
    let code = app.mailed_code(crate::email_login::ADA).await;
    let res = submit(&app, &b, &csrf, "email", &code).await;
    let claims = verified(
        &client,
        &exchange(&client, &http, &back(&res)).await,
        &nonce,
    );
    assert_eq!(
        amr(&claims),
        Some(vec!["sms".to_owned(), "email".to_owned(), "mfa".to_owned()])
    );
}
