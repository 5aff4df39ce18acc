//! Signing in with a code by email on the hosted login: the email page,
//! its links to and from the phone page, the policy and the application
//! deciding whether it is offered, sign-up, and the attempts of a code.

use std::collections::BTreeSet;

use ferrid::domain::{ClientType, Connection, EmailAddress, SignInPolicy};
use ferrid::store;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};

use crate::account_email::wait_mail;
use crate::email::spawn_app_with_smtp;
use crate::helpers::{
    PHONE, RP_REDIRECT, TestApp, TestClient, browser, csrf_of, extract_code, location,
    many_sign_ins, param, spawn_app, spawn_app_with, wrong_code,
};
use crate::smtp_server::SmtpServer;

pub const ADA: &str = "ada@example.com";

impl TestApp {
    /// Stores a sign-in policy with these first factors and sign-up.
    pub async fn set_first_factors(&self, factors: &[Connection], signup: bool) {
        let policy = SignInPolicy {
            first_factors: factors.iter().copied().collect::<BTreeSet<_>>(),
            signup,
            ..SignInPolicy::seeded(signup)
        };
        ferrid::policy::save(&self.db, &policy, self.now())
            .await
            .unwrap();
    }

    /// A first-party client enabling these connections.
    pub async fn client_with(&self, connections: &[Connection]) -> TestClient {
        let names: Vec<String> = connections.iter().map(|c| c.as_str().to_owned()).collect();
        self.register_with(ClientType::Confidential, &[RP_REDIRECT], |c| {
            c.connections = names
        })
        .await
    }

    /// Posts the email form.
    pub async fn submit_email(
        &self,
        browser: &reqwest::Client,
        csrf: &str,
        email: &str,
    ) -> reqwest::Response {
        browser
            .post(self.url("/login/email"))
            .form(&[("csrf", csrf), ("email", email)])
            .send()
            .await
            .unwrap()
    }

    /// The emails queued for `to`, newest first.
    pub async fn mail_for(&self, to: &str) -> Vec<store::outbox::OutboxMessage> {
        store::outbox::list_recent(&self.db, None, 1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.recipient == to)
            .collect()
    }

    /// The code in the newest email to `to`.
    pub async fn mailed_code(&self, to: &str) -> String {
        let mail = self.mail_for(to).await;
        extract_code(&mail.first().expect("a mail with a code").body_text)
    }
}

/// A sign-in for `client` opened in a new browser, at `GET /login`: the
/// browser, its CSRF token and the page.
async fn open(app: &TestApp, client: &TestClient) -> (reqwest::Client, String, String) {
    let b = browser();
    let csrf = app
        .open_login(&b, &app.authorize_url(&client.client_id, &[]))
        .await;
    let page = b.get(app.url("/login")).send().await.unwrap();
    (b, csrf, page.text().await.unwrap())
}

/// ferrid offering SMS and email, and a client enabling both.
async fn both_offered() -> (TestApp, TestClient) {
    let app = spawn_app_with(many_sign_ins).await;
    app.set_first_factors(&[Connection::Sms, Connection::Email], true)
        .await;
    let client = app.client_with(&[Connection::Sms, Connection::Email]).await;
    (app, client)
}

#[tokio::test]
async fn a_user_signs_in_with_an_email_code_and_the_relying_party_sees_amr_email_and_a_verified_address()
 {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp, many_sign_ins).await;
    app.set_first_factors(&[Connection::Sms, Connection::Email], true)
        .await;
    let registered = app.client_with(&[Connection::Sms, Connection::Email]).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.address.clone()).unwrap(), &http)
            .await
            .unwrap();
    let acr: Vec<String> = metadata
        .acr_values_supported()
        .unwrap()
        .iter()
        .map(|a| a.to_string())
        .collect();
    assert!(acr.contains(&"urn:ferrid:acr:email".to_owned()), "{acr:?}");
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(registered.client_id.clone()),
        registered.secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(RP_REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, _, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();

    let b = browser();
    let csrf = app.open_login(&b, auth_url.as_str()).await;
    let page = b.get(app.url("/login/email")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let res = app.submit_email(&b, &csrf, "ada@Example.COM").await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(location(&res), "/login/code");
    let page = b
        .get(app.url("/login/code"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("We emailed a code to"), "{page}");
    assert!(page.contains("a•••@example.com"), "{page}");
    assert!(!page.contains(ADA), "the address is masked");
    assert!(page.contains("Use a different address"));

    let mail = wait_mail(&smtp, ADA, 1).await;
    let code = extract_code(&mail[0].text());
    let done = app.submit_code(&b, &csrf, &code).await;
    assert_eq!(done.status(), 303, "{}", done.text().await.unwrap());
    let callback = url::Url::parse(&location(&done)).unwrap();
    assert!(callback.as_str().starts_with(RP_REDIRECT));

    let tokens = client
        .exchange_code(AuthorizationCode::new(param(&callback, "code").unwrap()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let claims = tokens
        .id_token()
        .unwrap()
        .claims(&client.id_token_verifier(), &nonce)
        .unwrap();
    assert_eq!(
        claims
            .auth_method_refs()
            .map(|a| a.iter().map(|r| r.as_str().to_owned()).collect::<Vec<_>>()),
        Some(vec!["email".to_owned()])
    );
    let userinfo: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(userinfo.email().map(|e| e.as_str()), Some(ADA));
    assert_eq!(userinfo.email_verified(), Some(true));
    assert_eq!(userinfo.phone_number(), None);
}

#[tokio::test]
async fn the_phone_and_email_pages_link_to_each_other_only_when_both_are_offered() {
    let (app, both) = both_offered().await;
    let (b, _, phone_page) = open(&app, &both).await;
    assert!(phone_page.contains(r#"<a href="/login/email">Use email instead</a>"#));
    let email_page = b
        .get(app.url("/login/email"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(email_page.contains(r#"<a href="/login">Use phone instead</a>"#));

    // The application enables SMS only.
    let sms_client = app.client_with(&[Connection::Sms]).await;
    let (_, _, page) = open(&app, &sms_client).await;
    assert!(page.contains(r#"type="tel""#));
    assert!(!page.contains("Use email instead"), "{page}");

    // The policy offers email only: `/login` is the email form.
    app.set_first_factors(&[Connection::Email], true).await;
    let (_, _, page) = open(&app, &both).await;
    assert!(page.contains(r#"type="email""#), "{page}");
    assert!(!page.contains(r#"type="tel""#));
    assert!(!page.contains("Use phone instead"));

    // The policy offers SMS only.
    app.set_first_factors(&[Connection::Sms], true).await;
    let (_, _, page) = open(&app, &both).await;
    assert!(page.contains(r#"type="tel""#));
    assert!(!page.contains("Use email instead"));
}

#[tokio::test]
async fn the_email_page_has_the_email_input_attributes_and_refuses_a_bad_address() {
    let (app, client) = both_offered().await;
    let (b, csrf, _) = open(&app, &client).await;
    let page = b
        .get(app.url("/login/email?lang=fr"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"type="email" autocomplete="email""#),
        "{page}"
    );
    assert!(page.contains(r#"name="csrf""#));
    assert!(page.contains("Adresse e-mail"), "in the page's language");
    assert!(page.contains("Utiliser plutôt le téléphone"));

    let res = app.submit_email(&b, &csrf, "not an address").await;
    assert_eq!(res.status(), 400);
    let body = res.text().await.unwrap();
    assert!(body.contains(r#"aria-invalid="true""#), "{body}");
    assert!(body.contains("nom@exemple.fr"), "{body}");
    assert!(app.mail_for("not an address").await.is_empty());

    let res = b
        .post(app.url("/login/email"))
        .form(&[("csrf", "forged"), ("email", ADA)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(app.mail_for(ADA).await.is_empty(), "nothing was sent");
}

#[tokio::test]
async fn email_is_refused_when_the_policy_lacks_it_or_the_client_does_not_enable_it() {
    let app = spawn_app_with(many_sign_ins).await;
    // The seeded policy: SMS only.
    let client = app.client_with(&[Connection::Sms, Connection::Email]).await;
    let (b, csrf, _) = open(&app, &client).await;
    let res = b.get(app.url("/login/email")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let res = app.submit_email(&b, &csrf, ADA).await;
    assert_eq!(res.status(), 404);
    let body = res.text().await.unwrap();
    assert!(body.contains("not available"), "{body}");
    assert!(body.contains(r#"type="tel""#), "the phone page says it");

    // The policy offers email; this application does not enable it.
    app.set_first_factors(&[Connection::Sms, Connection::Email], true)
        .await;
    let sms_client = app.client_with(&[Connection::Sms]).await;
    let (b2, csrf2, _) = open(&app, &sms_client).await;
    let res = app.submit_email(&b2, &csrf2, ADA).await;
    assert_eq!(res.status(), 404);

    // Nothing was sent and neither sign-in moved on to a code.
    assert!(app.mail_for(ADA).await.is_empty());
    for browser in [&b, &b2] {
        let res = browser.get(app.url("/login/code")).send().await.unwrap();
        assert_eq!(location(&res), "/login");
    }

    // SMS left out of the policy: the phone form is refused the same way.
    app.set_first_factors(&[Connection::Email], true).await;
    let res = app.submit_phone(&b, &csrf, PHONE).await;
    assert_eq!(res.status(), 404);
    assert!(app.sms.sent_to(PHONE).is_empty());
}

#[tokio::test]
async fn with_sign_up_off_an_unknown_address_cannot_sign_in_and_a_known_one_can() {
    let app = spawn_app_with(|s| {
        many_sign_ins(s);
        s.login.signup = false;
    })
    .await;
    app.set_first_factors(&[Connection::Sms, Connection::Email], false)
        .await;
    let client = app.client_with(&[Connection::Sms, Connection::Email]).await;

    let (b, csrf, _) = open(&app, &client).await;
    let res = app.submit_email(&b, &csrf, "nobody@example.com").await;
    assert_eq!(res.status(), 303, "the answer does not tell");
    let code = app.mailed_code("nobody@example.com").await;
    let res = app.submit_code(&b, &csrf, &code).await;
    assert_eq!(res.status(), 403);
    let body = res.text().await.unwrap();
    assert!(body.contains("no account for this address"), "{body}");
    assert!(body.contains(r#"type="email""#));
    let nobody = EmailAddress::parse("nobody@example.com").unwrap();
    assert!(
        store::users::find_by_verified_email(&app.db, &nobody)
            .await
            .unwrap()
            .is_none()
    );

    // A user whose verified address differs only in case signs in.
    let known = EmailAddress::parse("Ada@Example.com").unwrap();
    let user = store::users::insert_with_verified_email(&app.db, &known, None, app.now())
        .await
        .unwrap();
    let (b, csrf, _) = open(&app, &client).await;
    assert_eq!(app.submit_email(&b, &csrf, ADA).await.status(), 303);
    let mail = app.mail_for(ADA).await;
    assert_eq!(mail[0].usage, "sign_in");
    assert_eq!(mail[0].user_id, Some(user.id));
    let code = extract_code(&mail[0].body_text);
    let res = app.submit_code(&b, &csrf, &code).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert!(location(&res).starts_with(RP_REDIRECT));
}

#[tokio::test]
async fn a_new_address_gets_the_sign_up_mail_and_an_account_with_it_verified() {
    let (app, client) = both_offered().await;
    let (b, csrf, _) = open(&app, &client).await;
    assert_eq!(app.submit_email(&b, &csrf, ADA).await.status(), 303);
    let mail = app.mail_for(ADA).await;
    assert_eq!(mail[0].usage, "sign_up");
    assert!(mail[0].subject.contains("create your account"));
    let res = app
        .submit_code(&b, &csrf, &extract_code(&mail[0].body_text))
        .await;
    assert_eq!(res.status(), 303);
    let ada = EmailAddress::parse(ADA).unwrap();
    let user = store::users::find_by_verified_email(&app.db, &ada)
        .await
        .unwrap()
        .expect("a new account");
    assert!(user.phone.is_none());
    assert!(user.email_verified_at.is_some());
}

#[tokio::test]
async fn a_wrong_email_code_counts_attempts_and_locks_like_sms() {
    let (app, client) = both_offered().await;
    let (b, csrf, _) = open(&app, &client).await;
    assert_eq!(app.submit_email(&b, &csrf, ADA).await.status(), 303);
    let code = app.mailed_code(ADA).await;
    let res = app.submit_code(&b, &csrf, &wrong_code(&code)).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("9 attempts left"));
    let res = app.submit_code(&b, &csrf, "12").await;
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Enter the 6-digit code from the email.")
    );
    for _ in 0..9 {
        let res = app.submit_code(&b, &csrf, &wrong_code(&code)).await;
        assert_eq!(res.status(), 400);
    }
    let res = app.submit_code(&b, &csrf, &code).await;
    assert_eq!(res.status(), 400, "locked: the right code no longer works");
    let body = res.text().await.unwrap();
    assert!(body.contains("Too many wrong codes"), "{body}");

    // A new code, after the cooldown, goes to the same address.
    app.advance(std::time::Duration::from_secs(120));
    let res = app.submit_csrf(&b, "/login/resend", &csrf).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(app.mail_for(ADA).await.len(), 2);
    let code = app.mailed_code(ADA).await;
    let res = app.submit_code(&b, &csrf, &code).await;
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with(RP_REDIRECT));
}

#[tokio::test]
async fn a_different_address_goes_back_to_the_email_page() {
    let (app, client) = both_offered().await;
    let (b, csrf, _) = open(&app, &client).await;
    assert_eq!(app.submit_email(&b, &csrf, ADA).await.status(), 303);
    let res = app.submit_csrf(&b, "/login/restart", &csrf).await;
    assert_eq!(location(&res), "/login/email");
    let page = b.get(app.url("/login/email")).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert_eq!(csrf_of(&html), csrf);
}

#[tokio::test]
async fn an_sms_sign_in_is_unchanged_when_email_is_offered_too() {
    let app = spawn_app().await;
    app.set_first_factors(&[Connection::Sms, Connection::Email], true)
        .await;
    let client = app.client_with(&[Connection::Sms, Connection::Email]).await;
    let callback = app
        .sign_in(
            &browser(),
            &app.authorize_url(&client.client_id, &[]),
            PHONE,
        )
        .await;
    assert!(param(&callback, "code").is_some());
}

#[tokio::test]
async fn the_account_area_signs_in_by_email_when_the_policy_offers_it() {
    let app = spawn_app_with(many_sign_ins).await;
    app.set_first_factors(&[Connection::Sms, Connection::Email], true)
        .await;
    let b = browser();
    let res = b.get(app.url("/account/signin")).send().await.unwrap();
    assert_eq!(location(&res), "/login");
    let page = b.get(app.url("/login")).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("Use email instead"), "{html}");
    let csrf = csrf_of(&html);
    assert_eq!(app.submit_email(&b, &csrf, ADA).await.status(), 303);
    let code = app.mailed_code(ADA).await;
    let res = app.submit_code(&b, &csrf, &code).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(location(&res), "/account");
}
