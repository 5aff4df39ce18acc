//! The email address on the account page, against the SMTP server the test
//! starts: adding it (the code read from the mail), changing it with the
//! re-authentication step, removing it, and an address of another account.

use std::time::Duration;

use ferrid::domain::EmailAddress;
use ferrid::store::{self, StoreError};

use crate::account_support::{
    FIREFOX_LINUX, account_settings, browser_as, is_signed_in, overview, owner_of, post,
    sign_in_at_account,
};
use crate::email::spawn_app_with_smtp;
use crate::helpers::{PHONE, TestApp, csrf_of, extract_code, location, nth_phone};
use crate::smtp_server::{Received, SmtpServer};

pub const ADA: &str = "ada@example.com";
pub const ADA_NEW: &str = "ada.lovelace@example.org";

/// ferrid sending mail to `smtp`, with the account tests' settings.
pub async fn spawn(smtp: &SmtpServer) -> TestApp {
    spawn_app_with_smtp(smtp, account_settings).await
}

/// The messages the server accepted for `to`, oldest first.
pub fn mail_to(smtp: &SmtpServer, to: &str) -> Vec<Received> {
    let rcpt = format!("<{to}>");
    smtp.received()
        .into_iter()
        .filter(|m| m.to.contains(&rcpt))
        .collect()
}

/// Waits (at most 15 s) until `n` messages arrived for `to`; they all.
pub async fn wait_mail(smtp: &SmtpServer, to: &str, n: usize) -> Vec<Received> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let got = mail_to(smtp, to);
        if got.len() >= n {
            return got;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "expected {n} messages for {to}, got {}",
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The user's email address as stored, and whether it is verified.
pub async fn email_of(app: &TestApp, phone: &str) -> Option<(String, bool)> {
    let user = owner_of(app, phone).await.unwrap();
    let user = store::users::find_by_id(&app.db, user)
        .await
        .unwrap()
        .unwrap();
    user.email.map(|e| (e, user.email_verified_at.is_some()))
}

/// Adds `address` on a recently signed-in browser: posts it, reads the code
/// from the `n`-th mail to it, types it.
pub async fn add_email_now(
    app: &TestApp,
    smtp: &SmtpServer,
    b: &reqwest::Client,
    address: &str,
    n: usize,
) {
    let res = post(app, b, "/account/email", &[("email", address)]).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(location(&res), "/account/email/verify");
    let mail = wait_mail(smtp, address, n).await;
    let code = extract_code(&mail[n - 1].text());
    let res = post(app, b, "/account/email/verify", &[("code", code.as_str())]).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(location(&res), "/account?notice=email_saved");
}

#[tokio::test]
async fn an_email_is_added_once_the_code_mailed_to_it_is_typed() {
    let smtp = SmtpServer::start().await;
    let app = spawn(&smtp).await;
    let b = browser_as(FIREFOX_LINUX);
    let html = sign_in_at_account(&app, &b, PHONE).await;
    assert!(
        html.contains(r#"type="email" autocomplete="email""#),
        "{html}"
    );

    // Bad input: the form again, with the problem, nothing sent.
    let res = post(&app, &b, "/account/email", &[("email", "ada@")]).await;
    assert_eq!(res.status(), 400);
    let html = res.text().await.unwrap();
    assert!(html.contains("Enter an email address like"), "{html}");
    assert!(html.contains(r#"value="ada@""#), "{html}");

    let res = post(&app, &b, "/account/email", &[("email", ADA)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account/email/verify");
    let page = b
        .get(app.url("/account/email/verify"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("a•••@example.com"), "{page}");
    assert!(
        page.contains(r#"autocomplete="one-time-code" inputmode="numeric""#),
        "{page}"
    );
    let mail = wait_mail(&smtp, ADA, 1).await;
    let code = extract_code(&mail[0].text());
    assert!(mail[0].subject().contains(&code));
    assert_eq!(
        email_of(&app, PHONE).await,
        None,
        "saved only once verified"
    );

    // A wrong code changes nothing.
    let wrong = crate::helpers::wrong_code(&code);
    let res = post(
        &app,
        &b,
        "/account/email/verify",
        &[("code", wrong.as_str())],
    )
    .await;
    assert_eq!(res.status(), 400);
    assert_eq!(email_of(&app, PHONE).await, None);

    let res = post(
        &app,
        &b,
        "/account/email/verify",
        &[("code", code.as_str())],
    )
    .await;
    assert_eq!(location(&res), "/account?notice=email_saved");
    assert_eq!(email_of(&app, PHONE).await, Some((ADA.to_owned(), true)));
    let html = overview(&app, &b).await;
    assert!(html.contains("a•••@example.com"), "{html}");
    assert!(html.contains("/account/email/remove"), "{html}");

    // The new address is told of the change.
    let mail = wait_mail(&smtp, ADA, 2).await;
    assert!(
        mail[1].subject().contains("New sign-in method"),
        "{}",
        mail[1].subject()
    );
    let activity = b
        .get(app.url("/account/activity"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(activity.contains("Email address added"), "{activity}");
    assert!(
        activity.contains("Security notice sent by email"),
        "{activity}"
    );
    assert!(activity.contains("A code was sent by email"), "{activity}");
}

#[tokio::test]
async fn changing_the_email_needs_a_recent_sign_in_and_notifies_the_old_and_the_new_address() {
    let smtp = SmtpServer::start().await;
    let app = spawn(&smtp).await;
    let b = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &b, PHONE).await;
    add_email_now(&app, &smtp, &b, ADA, 1).await;
    wait_mail(&smtp, ADA, 2).await;
    app.advance(Duration::from_secs(120));

    // The code to confirm it's the user goes to the factor the change
    // leaves alone: the phone.
    let res = post(&app, &b, "/account/email", &[("email", ADA_NEW)]).await;
    assert_eq!(location(&res), "/account/reauth");
    assert!(
        mail_to(&smtp, ADA_NEW).is_empty(),
        "nothing before the proof"
    );
    let code = app.sms.last_code(PHONE);
    let res = post(&app, &b, "/account/reauth", &[("code", code.as_str())]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        "/account/email/verify",
        "the change goes on"
    );
    let mail = wait_mail(&smtp, ADA_NEW, 1).await;
    let code = extract_code(&mail[0].text());
    // The old address keeps working until the new one is proved.
    assert_eq!(email_of(&app, PHONE).await, Some((ADA.to_owned(), true)));
    let res = post(
        &app,
        &b,
        "/account/email/verify",
        &[("code", code.as_str())],
    )
    .await;
    assert_eq!(location(&res), "/account?notice=email_saved");
    assert_eq!(
        email_of(&app, PHONE).await,
        Some((ADA_NEW.to_owned(), true))
    );

    let old = wait_mail(&smtp, ADA, 3).await.pop().unwrap();
    let new = wait_mail(&smtp, ADA_NEW, 2).await.pop().unwrap();
    for notice in [&old, &new] {
        assert!(
            notice
                .subject()
                .contains("Sign-in method changed: email address"),
            "{}",
            notice.subject()
        );
        let text = notice.text();
        assert!(text.contains("a•••@example.com"), "{text}");
        assert!(text.contains("a•••@example.org"), "{text}");
        assert!(text.contains("Firefox on Linux"), "{text}");
        assert!(text.contains("/account/revert/"), "{text}");
        assert!(notice.html().contains("/account/revert/"));
    }
}

#[tokio::test]
async fn the_email_cannot_be_removed_when_it_is_the_last_way_in_and_can_when_a_phone_remains() {
    let smtp = SmtpServer::start().await;
    let app = spawn(&smtp).await;
    let b = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &b, PHONE).await;
    add_email_now(&app, &smtp, &b, ADA, 1).await;

    // With the phone: removed (the sign-in is recent), and the address is
    // told.
    let res = post(&app, &b, "/account/email/remove", &[]).await;
    assert_eq!(location(&res), "/account?notice=email_removed");
    assert_eq!(email_of(&app, PHONE).await, None);
    // The worker may deliver the earlier notices after this one.
    let mails = wait_mail(&smtp, ADA, 3).await;
    assert!(
        mails
            .iter()
            .any(|m| m.subject().contains("Sign-in method removed")),
        "{:?}",
        mails.iter().map(|m| m.subject()).collect::<Vec<_>>()
    );

    // Email alone: its removal is refused, with the reason on the page.
    add_email_now(&app, &smtp, &b, ADA, 4).await;
    let user = owner_of(&app, PHONE).await.unwrap();
    let res = post(&app, &b, "/account/phone/remove", &[]).await;
    assert_eq!(location(&res), "/account?notice=phone_removed");
    let res = post(&app, &b, "/account/email/remove", &[]).await;
    assert_eq!(res.status(), 409);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("remove your email address: it is the only way to sign in"),
        "{html}"
    );
    let user = store::users::find_by_id(&app.db, user)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.email.as_deref(), Some(ADA), "nothing changed");
    // And the phone alone could not have been removed either.
    assert!(is_signed_in(&app, &b).await);
}

#[tokio::test]
async fn an_address_verified_on_another_account_is_refused_only_after_its_code() {
    let smtp = SmtpServer::start().await;
    let app = spawn(&smtp).await;
    let first = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &first, PHONE).await;
    add_email_now(&app, &smtp, &first, ADA, 1).await;
    wait_mail(&smtp, ADA, 2).await;

    let other = nth_phone(7);
    let second = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &second, &other).await;
    // The same answer as for a free address: a code to it.
    let taken = "Ada@Example.com";
    let res = post(&app, &second, "/account/email", &[("email", taken)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account/email/verify");
    let mail = wait_mail(&smtp, "Ada@example.com", 1).await;
    let code = extract_code(&mail[0].text());
    let res = post(
        &app,
        &second,
        "/account/email/verify",
        &[("code", code.as_str())],
    )
    .await;
    assert_eq!(res.status(), 409);
    let html = res.text().await.unwrap();
    assert!(html.contains("used by another account"), "{html}");
    assert_eq!(email_of(&app, &other).await, None);
    assert_eq!(email_of(&app, PHONE).await, Some((ADA.to_owned(), true)));

    // The database holds the rule too, whatever the case.
    let second_user = owner_of(&app, &other).await.unwrap();
    let again = store::users::update_email(
        &app.db,
        second_user,
        Some(&EmailAddress::parse("ADA@example.com").unwrap()),
        app.now(),
    )
    .await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
}

#[tokio::test]
async fn the_revert_link_of_an_email_change_restores_the_old_address_once_and_ends_every_session() {
    let smtp = SmtpServer::start().await;
    let app = spawn(&smtp).await;
    let b = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &b, PHONE).await;
    add_email_now(&app, &smtp, &b, ADA, 1).await;
    add_email_now(&app, &smtp, &b, ADA_NEW, 1).await;
    assert_eq!(
        email_of(&app, PHONE).await,
        Some((ADA_NEW.to_owned(), true))
    );
    let notice = wait_mail(&smtp, ADA, 3).await.pop().unwrap();
    let text = notice.text();
    let start = text.find("/account/revert/").expect("a revert link");
    let path: String = text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches(['.', ')'])
        .to_owned();

    let page = browser_as(FIREFOX_LINUX);
    let html = page
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("was changed from a•••@example.com"), "{html}");
    assert_eq!(
        email_of(&app, PHONE).await,
        Some((ADA_NEW.to_owned(), true)),
        "GET changes nothing"
    );
    let csrf = csrf_of(&html);
    let res = page
        .post(app.url(&path))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account/signin");
    assert_eq!(email_of(&app, PHONE).await, Some((ADA.to_owned(), true)));
    assert!(!is_signed_in(&app, &b).await, "every session ended");

    let again = page
        .post(app.url(&path))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    assert!(again.text().await.unwrap().contains("already used"));
    assert_eq!(email_of(&app, PHONE).await, Some((ADA.to_owned(), true)));
}
