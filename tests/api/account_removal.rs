//! Removing the phone when the account has another way in, the notice in
//! the user's language, and "last seen".

use std::time::Duration;

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};

use crate::account_support::{
    FIREFOX_LINUX, NEW_PHONE, account_settings, browser_as, change_phone_now, is_signed_in,
    mail_code, overview, owner_of, post, revert_path, sign_in_at_account,
};
use crate::helpers::{PHONE, TestApp, csrf_of, location, spawn_app_with};

/// Gives the user a verified email address (what the email enrollment
/// will do): another way in.
async fn give_verified_email(app: &TestApp, user: uuid::Uuid) {
    let stmt = Query::update()
        .table(Alias::new("users"))
        .value(Alias::new("email"), "ada@example.com")
        .value(Alias::new("email_verified_at"), app.now())
        .and_where(Expr::col(Alias::new("id")).eq(user))
        .to_owned();
    app.db.execute(&stmt).await.unwrap();
}

#[tokio::test]
async fn removing_the_phone_of_an_account_with_a_verified_email_needs_a_code_and_can_be_reverted() {
    let app = spawn_app_with(account_settings).await;
    let b = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &b, PHONE).await;
    let user = owner_of(&app, PHONE).await.unwrap();
    give_verified_email(&app, user).await;
    assert!(overview(&app, &b).await.contains("a•••@example.com"));
    app.advance(Duration::from_secs(120));

    let res = post(&app, &b, "/account/phone/remove", &[]).await;
    assert_eq!(location(&res), "/account/reauth");
    assert_eq!(owner_of(&app, PHONE).await, Some(user), "not yet");
    // The code goes to the factor the change leaves: the email.
    let page = b.get(app.url("/account/reauth")).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("a•••@example.com"));
    let code = mail_code(&app, "ada@example.com").await;
    let res = post(&app, &b, "/account/reauth", &[("code", code.as_str())]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account?notice=phone_removed");
    assert_eq!(owner_of(&app, PHONE).await, None);
    let html = overview(&app, &b).await;
    assert!(html.contains("No phone number"), "{html}");
    let notice = app.sms.sent_to(PHONE).pop().unwrap();
    assert!(
        notice.body.contains("removed from your account"),
        "{}",
        notice.body
    );

    // "This wasn't me" brings the number back and ends the session.
    let path = revert_path(&app, PHONE);
    let page = browser_as(FIREFOX_LINUX);
    let html = page
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("was removed from your account"), "{html}");
    let res = page
        .post(app.url(&path))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(owner_of(&app, PHONE).await, Some(user));
    assert!(!is_signed_in(&app, &b).await);
}

#[tokio::test]
async fn the_notice_speaks_the_language_the_user_last_used() {
    let app = spawn_app_with(account_settings).await;
    let b = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &b, PHONE).await;
    let res = b.get(app.url("/account?lang=fr")).send().await.unwrap();
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Confidentialité et sécurité")
    );
    change_phone_now(&app, &b, NEW_PHONE).await;
    let notice = app.sms.sent_to(PHONE).pop().unwrap();
    assert!(
        notice
            .body
            .contains("votre compte utilise désormais un autre numéro"),
        "{}",
        notice.body
    );
}

#[tokio::test]
async fn last_seen_moves_when_the_session_is_used_again_later() {
    let app = spawn_app_with(account_settings).await;
    let b = browser_as(FIREFOX_LINUX);
    let first = sign_in_at_account(&app, &b, PHONE).await;
    let times = |html: &str| {
        let signed_in = html.split("Signed in: ").nth(1).unwrap()[..20].to_owned();
        let last_seen = html.split("Last seen: ").nth(1).unwrap()[..20].to_owned();
        (signed_in, last_seen)
    };
    let (signed_in, last_seen) = times(&first);
    assert_eq!(signed_in, last_seen);
    app.advance(Duration::from_secs(3600));
    overview(&app, &b).await;
    let (signed_in_after, last_seen_after) = times(&overview(&app, &b).await);
    assert_eq!(signed_in_after, signed_in);
    assert_ne!(
        last_seen_after, last_seen,
        "the use an hour later is recorded"
    );
}

#[tokio::test]
async fn the_language_of_the_sign_in_pages_is_stored_on_the_user() {
    let app = spawn_app_with(account_settings).await;
    let client = app
        .register(
            ferrid::domain::ClientType::Confidential,
            &[crate::helpers::RP_REDIRECT],
        )
        .await;
    let b = browser_as(FIREFOX_LINUX);
    let csrf = app
        .open_login(&b, &app.authorize_url(&client.client_id, &[]))
        .await;
    let page = b.get(app.url("/login?lang=de")).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("lang=\"de\""));
    app.submit_phone(&b, &csrf, PHONE).await;
    let code = app.sms.last_code(PHONE);
    let done = app.submit_code(&b, &csrf, &code).await;
    assert_eq!(done.status(), 303);
    let phone = ferrid::domain::PhoneNumber::parse(PHONE, None).unwrap();
    let user = ferrid::store::users::find_by_phone(&app.db, &phone)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.locale.as_deref(), Some("de"));
}
