//! Re-authentication when the account has an email address: the code goes
//! to the factor a change leaves alone, and to the email for changes that
//! touch neither; removing the email goes through it and can be undone.

use std::time::Duration;

use crate::account_email::{ADA, add_email_now, email_of, mail_to, spawn, wait_mail};
use crate::account_support::{FIREFOX_LINUX, browser_as, is_signed_in, post, sign_in_at_account};
use crate::helpers::{PHONE, csrf_of, extract_code, location};
use crate::smtp_server::SmtpServer;

#[tokio::test]
async fn signing_out_the_other_sessions_after_a_while_asks_a_code_by_email() {
    let smtp = SmtpServer::start().await;
    let app = spawn(&smtp).await;
    let b = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &b, PHONE).await;
    add_email_now(&app, &smtp, &b, ADA, 1).await;
    wait_mail(&smtp, ADA, 2).await;
    let other = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &other, PHONE).await;
    app.advance(Duration::from_secs(120));
    let sms_before = app.sms.sent_to(PHONE).len();

    let res = post(&app, &b, "/account/sessions/revoke-others", &[]).await;
    assert_eq!(location(&res), "/account/reauth");
    let page = b.get(app.url("/account/reauth")).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("a•••@example.com"));
    let mail = wait_mail(&smtp, ADA, 3).await;
    assert!(
        mail[2].subject().starts_with("Your security code"),
        "{}",
        mail[2].subject()
    );
    assert_eq!(app.sms.sent_to(PHONE).len(), sms_before, "no SMS");
    let code = extract_code(&mail[2].text());
    let res = post(&app, &b, "/account/reauth", &[("code", code.as_str())]).await;
    assert_eq!(location(&res), "/account?notice=others_signed_out");
    assert!(!is_signed_in(&app, &other).await);
    assert!(is_signed_in(&app, &b).await);
}

#[tokio::test]
async fn removing_the_email_after_a_while_asks_the_phone_and_its_revert_brings_the_address_back() {
    let smtp = SmtpServer::start().await;
    let app = spawn(&smtp).await;
    let b = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &b, PHONE).await;
    add_email_now(&app, &smtp, &b, ADA, 1).await;
    wait_mail(&smtp, ADA, 2).await;
    app.advance(Duration::from_secs(120));

    let res = post(&app, &b, "/account/email/remove", &[]).await;
    assert_eq!(location(&res), "/account/reauth");
    assert_eq!(email_of(&app, PHONE).await, Some((ADA.to_owned(), true)));
    assert_eq!(
        mail_to(&smtp, ADA).len(),
        2,
        "no code to the address removed"
    );
    let code = app.sms.last_code(PHONE);
    let res = post(&app, &b, "/account/reauth", &[("code", code.as_str())]).await;
    assert_eq!(location(&res), "/account?notice=email_removed");
    assert_eq!(email_of(&app, PHONE).await, None);

    let notice = wait_mail(&smtp, ADA, 3).await.pop().unwrap();
    assert!(
        notice.subject().contains("Sign-in method removed"),
        "{}",
        notice.subject()
    );
    let text = notice.text();
    assert!(text.contains("Network: 127.0.0.0/24"), "{text}");
    let start = text.find("/account/revert/").expect("a revert link");
    let path = text[start..].split_whitespace().next().unwrap().to_owned();
    let page = browser_as(FIREFOX_LINUX);
    let html = page
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("The email address a•••@example.com was removed"),
        "{html}"
    );
    let res = page
        .post(app.url(&path))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(email_of(&app, PHONE).await, Some((ADA.to_owned(), true)));
    assert!(!is_signed_in(&app, &b).await);
}

#[tokio::test]
async fn the_revert_link_of_an_added_address_removes_it() {
    let smtp = SmtpServer::start().await;
    let app = spawn(&smtp).await;
    let b = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &b, PHONE).await;
    add_email_now(&app, &smtp, &b, ADA, 1).await;
    let notice = wait_mail(&smtp, ADA, 2).await.pop().unwrap();
    let text = notice.text();
    let start = text.find("/account/revert/").expect("a revert link");
    let path = text[start..].split_whitespace().next().unwrap().to_owned();
    let page = browser_as(FIREFOX_LINUX);
    let html = page
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("An email address was added to your account: a•••@example.com"),
        "{html}"
    );
    let res = page
        .post(app.url(&path))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(email_of(&app, PHONE).await, None);
    assert!(!is_signed_in(&app, &b).await);
}
