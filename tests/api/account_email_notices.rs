//! Email notices of the account's changes: in the user's language with an
//! HTML and a text part, to every verified address, and waiting in the
//! outbox while the SMTP server is down.

use std::time::Duration;

use ferrid::domain::OutboxStatus;
use ferrid::store;

use crate::account_email::{ADA, add_email_now, mail_to, spawn, wait_mail};
use crate::account_support::{
    FIREFOX_LINUX, NEW_PHONE, browser_as, change_phone_now, mail_code, owner_of, post,
    sign_in_at_account,
};
use crate::email::settle;
use crate::helpers::{PHONE, location, spawn_app_with};
use crate::smtp_server::SmtpServer;

#[tokio::test]
async fn a_french_user_gets_the_code_and_the_notice_in_french_with_html_and_text() {
    let smtp = SmtpServer::start().await;
    let app = spawn(&smtp).await;
    let b = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &b, PHONE).await;
    let page = b.get(app.url("/account?lang=fr")).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("Nouvelle adresse e-mail"), "{html}");

    add_email_now(&app, &smtp, &b, ADA, 1).await;
    let mail = wait_mail(&smtp, ADA, 2).await;
    assert!(
        mail[0]
            .subject()
            .starts_with("Votre code pour confirmer cette adresse e-mail"),
        "{}",
        mail[0].subject()
    );
    let notice = &mail[1];
    assert_eq!(
        notice.subject(),
        "Nouveau moyen de connexion sur votre compte : adresse e-mail"
    );
    let text = notice.text();
    assert!(
        text.contains("Un moyen de connexion a été ajouté à votre compte."),
        "{text}"
    );
    assert!(text.contains("a•••@example.com"), "{text}");
    let html = notice.html();
    assert!(html.contains("lang=\"fr\""), "{html}");
    assert!(
        html.contains("Un moyen de connexion a été ajouté"),
        "{html}"
    );

    // A change of the phone is told to the verified address too, in French.
    change_phone_now(&app, &b, NEW_PHONE).await;
    let notice = wait_mail(&smtp, ADA, 3).await.pop().unwrap();
    assert_eq!(
        notice.subject(),
        "Moyen de connexion modifié : numéro de téléphone"
    );
    assert!(notice.text().contains("/account/revert/"));
    assert!(notice.html().contains("/account/revert/"));
}

#[tokio::test]
async fn with_smtp_down_the_change_succeeds_and_its_notice_arrives_once_when_smtp_is_back() {
    let smtp = SmtpServer::start().await;
    let app = spawn(&smtp).await;
    let b = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &b, PHONE).await;
    add_email_now(&app, &smtp, &b, ADA, 1).await;
    wait_mail(&smtp, ADA, 2).await;

    smtp.stop().await;
    change_phone_now(&app, &b, NEW_PHONE).await;
    assert!(
        owner_of(&app, NEW_PHONE).await.is_some(),
        "the change stands"
    );
    let waiting = store::outbox::list_recent(&app.db, None, 1)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(waiting.usage, "factor_changed");
    let waiting = app.wait_for_attempts(waiting.id, 1).await;
    assert_eq!(waiting.status, OutboxStatus::Queued);
    assert!(waiting.last_error.is_some(), "the error is recorded");

    smtp.restart().await;
    settle(&app).await;
    assert_eq!(mail_to(&smtp, ADA).len(), 2, "not before its next attempt");
    app.advance(Duration::from_secs(31));
    app.state.mail.wake();
    let got = wait_mail(&smtp, ADA, 3).await;
    assert!(
        got[2].subject().contains("phone number"),
        "{}",
        got[2].subject()
    );
    app.wait_for_status(waiting.id, OutboxStatus::Sent).await;
    settle(&app).await;
    assert_eq!(mail_to(&smtp, ADA).len(), 3, "exactly once");
}

#[tokio::test]
async fn without_an_smtp_server_the_code_mail_is_kept_for_dev_mode() {
    let app = spawn_app_with(crate::account_support::account_settings).await;
    let b = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &b, PHONE).await;
    let res = post(&app, &b, "/account/email", &[("email", ADA)]).await;
    assert_eq!(location(&res), "/account/email/verify");
    let code = mail_code(&app, ADA).await;
    let queued = store::outbox::list_recent(&app.db, None, 1)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(queued.usage, "verify_email");
    assert!(
        queued.expires_at.is_some_and(|at| at > app.now()),
        "the code mail is abandoned once the code expired"
    );
    let res = post(
        &app,
        &b,
        "/account/email/verify",
        &[("code", code.as_str())],
    )
    .await;
    assert_eq!(location(&res), "/account?notice=email_saved");
}
