//! The phone number on the account page: change with re-authentication,
//! proof of the new number, another account's number, removal rules, and
//! the SMS notice to the previous number.

use std::time::Duration;

use crate::account_support::{
    FIREFOX_LINUX, NEW_PHONE, account_settings, browser_as, change_phone_now, overview, owner_of,
    post, sign_in_at_account,
};
use crate::helpers::{PHONE, location, nth_phone, spawn_app_with};

#[tokio::test]
async fn changing_the_phone_asks_for_a_code_then_proof_of_the_new_number_and_keeps_the_old_until_then()
 {
    let app = spawn_app_with(account_settings).await;
    let b = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &b, PHONE).await;
    let user = owner_of(&app, PHONE).await.unwrap();
    app.advance(Duration::from_secs(120));

    // The sign-in is older than the window: a code to the current phone first.
    let res = post(&app, &b, "/account/phone", &[("phone", NEW_PHONE)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account/reauth");
    assert!(
        app.sms.sent_to(NEW_PHONE).is_empty(),
        "nothing to the new number yet"
    );
    let code = app.sms.last_code(PHONE);
    let res = post(&app, &b, "/account/reauth", &[("code", code.as_str())]).await;
    assert_eq!(res.status(), 303);
    // The change continues where it stopped: the new number's code is sent.
    assert_eq!(location(&res), "/account/phone/verify");
    let verify = app.sms.sent_to(NEW_PHONE);
    assert_eq!(verify.len(), 1);
    assert!(
        verify[0].body.contains("to confirm this phone number"),
        "the verify template: {}",
        verify[0].body
    );
    let page = b
        .get(app.url("/account/phone/verify"))
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("+44 ••••••••78"), "{html}");
    assert!(html.contains(r#"autocomplete="one-time-code" inputmode="numeric""#));

    // Until the new number is proved, the old one still signs in.
    assert_eq!(owner_of(&app, NEW_PHONE).await, None);
    sign_in_at_account(&app, &browser_as(FIREFOX_LINUX), PHONE).await;
    assert_eq!(owner_of(&app, PHONE).await, Some(user));

    let wrong = post(&app, &b, "/account/phone/verify", &[("code", "000000")]).await;
    assert_eq!(wrong.status(), 400);
    assert_eq!(owner_of(&app, NEW_PHONE).await, None);
    let code = app.sms.last_code(NEW_PHONE);
    let res = post(
        &app,
        &b,
        "/account/phone/verify",
        &[("code", code.as_str())],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account?notice=phone_saved");
    assert_eq!(owner_of(&app, NEW_PHONE).await, Some(user));
    assert_eq!(owner_of(&app, PHONE).await, None);
    let html = overview(&app, &b).await;
    assert!(html.contains("+44 ••••••••78"));

    // The new number signs in to the same account.
    let fresh = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &fresh, NEW_PHONE).await;
    assert_eq!(owner_of(&app, NEW_PHONE).await, Some(user));

    // The previous number got the SIM-swap notice with the revert link.
    let notice = app.sms.sent_to(PHONE).pop().unwrap();
    assert!(notice.body.contains("/account/revert/"), "{}", notice.body);
    assert!(notice.code.is_empty(), "a notice carries no code");

    let activity = b.get(app.url("/account/activity")).send().await.unwrap();
    let html = activity.text().await.unwrap();
    assert!(html.contains("Phone number changed"), "{html}");
    assert!(html.contains("Identity confirmed with a code"));
    assert!(html.contains("Security notice sent by SMS"));
}

#[tokio::test]
async fn a_number_of_another_account_gets_the_same_answer_until_its_code_then_a_refusal() {
    let app = spawn_app_with(account_settings).await;
    let taken = nth_phone(11);
    sign_in_at_account(&app, &browser_as(FIREFOX_LINUX), &taken).await;
    let other = owner_of(&app, &taken).await.unwrap();
    let b = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &b, PHONE).await;
    let user = owner_of(&app, PHONE).await.unwrap();

    let res = post(&app, &b, "/account/phone", &[("phone", taken.as_str())]).await;
    assert_eq!(res.status(), 303, "the same answer as for a free number");
    assert_eq!(location(&res), "/account/phone/verify");
    let sent = app.sms.sent_to(&taken).pop().unwrap();
    assert!(
        sent.body.contains("to confirm this phone number"),
        "{}",
        sent.body
    );

    let res = post(
        &app,
        &b,
        "/account/phone/verify",
        &[("code", sent.code.as_str())],
    )
    .await;
    assert_eq!(res.status(), 409);
    let html = res.text().await.unwrap();
    assert!(html.contains("belongs to another account"), "{html}");
    assert_eq!(owner_of(&app, &taken).await, Some(other));
    assert_eq!(owner_of(&app, PHONE).await, Some(user));
}

#[tokio::test]
async fn the_connection_rules_apply_to_a_new_number_and_refusals_are_shown() {
    let app = spawn_app_with(account_settings).await;
    let b = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &b, PHONE).await;
    // A premium-rate line cannot take SMS.
    let res = post(&app, &b, "/account/phone", &[("phone", "+449098790123")]).await;
    assert_eq!(res.status(), 400);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("send codes to premium-rate numbers"),
        "{html}"
    );
    let res = post(&app, &b, "/account/phone", &[("phone", "not a number")]).await;
    assert_eq!(res.status(), 400);
    let res = post(&app, &b, "/account/phone", &[("phone", PHONE)]).await;
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("already your phone number")
    );
}

#[tokio::test]
async fn removing_the_phone_is_refused_when_it_is_the_last_way_in() {
    let app = spawn_app_with(account_settings).await;
    let b = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &b, PHONE).await;
    let user = owner_of(&app, PHONE).await.unwrap();
    let res = post(&app, &b, "/account/phone/remove", &[]).await;
    assert_eq!(res.status(), 409);
    let html = res.text().await.unwrap();
    assert!(html.contains("only way to sign in"), "{html}");
    assert_eq!(owner_of(&app, PHONE).await, Some(user));
}

#[tokio::test]
async fn the_sms_notice_goes_to_the_previous_number_at_most_three_times_a_day() {
    let app = spawn_app_with(account_settings).await;
    let b = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &b, PHONE).await;
    let notices = |app: &crate::helpers::TestApp| {
        app.sms
            .sent()
            .into_iter()
            .filter(|m| m.body.contains("/account/revert/"))
            .map(|m| m.to)
            .collect::<Vec<_>>()
    };
    change_phone_now(&app, &b, NEW_PHONE).await;
    assert_eq!(notices(&app), vec![PHONE.to_owned()]);
    change_phone_now(&app, &b, PHONE).await;
    change_phone_now(&app, &b, NEW_PHONE).await;
    assert_eq!(
        notices(&app),
        vec![PHONE.to_owned(), NEW_PHONE.to_owned(), PHONE.to_owned()]
    );
    change_phone_now(&app, &b, PHONE).await;
    assert_eq!(
        notices(&app).len(),
        3,
        "the fourth notice of the day is not sent"
    );
    assert!(
        overview(&app, &b).await.contains("+44 ••••••••56"),
        "the change itself went through"
    );
}

#[tokio::test]
async fn a_new_code_can_be_sent_to_the_new_number_after_the_cooldown() {
    let app = spawn_app_with(account_settings).await;
    let b = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &b, PHONE).await;
    let user = owner_of(&app, PHONE).await.unwrap();
    let res = post(&app, &b, "/account/phone", &[("phone", NEW_PHONE)]).await;
    assert_eq!(location(&res), "/account/phone/verify");
    let first = app.sms.last_code(NEW_PHONE);

    let res = post(&app, &b, "/account/phone/resend", &[]).await;
    assert_eq!(res.status(), 429, "the cooldown applies");
    assert_eq!(app.sms.sent_to(NEW_PHONE).len(), 1);
    app.advance(Duration::from_secs(31));
    let res = post(&app, &b, "/account/phone/resend", &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account/phone/verify?sent=1");
    let page = b
        .get(app.url("/account/phone/verify?sent=1"))
        .send()
        .await
        .unwrap();
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("We sent you a new code.")
    );
    let second = app.sms.last_code(NEW_PHONE);
    assert_eq!(app.sms.sent_to(NEW_PHONE).len(), 2);

    if first != second {
        let res = post(
            &app,
            &b,
            "/account/phone/verify",
            &[("code", first.as_str())],
        )
        .await;
        assert_eq!(res.status(), 400, "the older code no longer works");
    }
    let res = post(
        &app,
        &b,
        "/account/phone/verify",
        &[("code", second.as_str())],
    )
    .await;
    assert_eq!(location(&res), "/account?notice=phone_saved");
    assert_eq!(owner_of(&app, NEW_PHONE).await, Some(user));
}
