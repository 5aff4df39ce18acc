//! The account area: signing in at `/account`, the overview, sessions,
//! CSRF, the activity page and the user's language.

use std::time::Duration;

use crate::account_support::{
    FIREFOX_LINUX, SAFARI_IPHONE, account_settings, browser_as, current_sid, is_signed_in,
    overview, post, sign_in_at_account,
};
use crate::helpers::{PHONE, location, nth_phone, spawn_app_with};

#[tokio::test]
async fn the_account_sends_a_signed_out_browser_through_the_login_and_back() {
    let app = spawn_app_with(account_settings).await;
    let b = browser_as(FIREFOX_LINUX);
    let html = sign_in_at_account(&app, &b, PHONE).await;
    assert!(html.contains("<h1>Privacy &#38; Security</h1>"), "{html}");
    assert!(html.contains("+44 ••••••••56"), "the masked phone: {html}");
    assert!(!html.contains("7400123456"), "never the full number");
    assert!(html.contains(r#"type="tel" autocomplete="tel""#));
    assert!(html.contains("name=\"csrf\""));
    let res = b.get(app.url("/account")).send().await.unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
    let activity = b.get(app.url("/account/activity")).send().await.unwrap();
    assert_eq!(activity.status(), 200);
}

#[tokio::test]
async fn sessions_are_listed_with_their_device_and_network_and_can_be_signed_out() {
    let app = spawn_app_with(account_settings).await;
    let firefox = browser_as(FIREFOX_LINUX);
    let iphone = browser_as(SAFARI_IPHONE);
    sign_in_at_account(&app, &firefox, PHONE).await;
    let iphone_page = sign_in_at_account(&app, &iphone, PHONE).await;
    let html = overview(&app, &firefox).await;
    assert!(html.contains("Firefox on Linux"), "{html}");
    assert!(html.contains("Safari on iPhone"), "{html}");
    assert!(html.contains("127.0.0.0/24"), "the coarse network: {html}");
    assert!(html.contains("Last seen"));

    let iphone_sid = current_sid(&iphone_page);
    assert_ne!(iphone_sid, current_sid(&html));
    let res = post(
        &app,
        &firefox,
        &format!("/account/sessions/{iphone_sid}/revoke"),
        &[],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account?notice=session_signed_out");
    assert!(
        !is_signed_in(&app, &iphone).await,
        "the iPhone is signed out"
    );
    assert!(is_signed_in(&app, &firefox).await);
    assert!(!overview(&app, &firefox).await.contains("Safari on iPhone"));

    // Another user's session cannot be signed out from here.
    let other = browser_as(SAFARI_IPHONE);
    let other_sid = current_sid(&sign_in_at_account(&app, &other, &nth_phone(7)).await);
    let res = post(
        &app,
        &firefox,
        &format!("/account/sessions/{other_sid}/revoke"),
        &[],
    )
    .await;
    assert_eq!(res.status(), 404);
    assert!(is_signed_in(&app, &other).await);
}

#[tokio::test]
async fn signing_out_everywhere_else_asks_for_a_code_after_the_window_then_goes_on() {
    let app = spawn_app_with(account_settings).await;
    let firefox = browser_as(FIREFOX_LINUX);
    let iphone = browser_as(SAFARI_IPHONE);
    sign_in_at_account(&app, &firefox, PHONE).await;
    sign_in_at_account(&app, &iphone, PHONE).await;
    let sent_before = app.sms.sent_to(PHONE).len();
    app.advance(Duration::from_secs(120));

    let res = post(&app, &firefox, "/account/sessions/revoke-others", &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account/reauth");
    assert!(is_signed_in(&app, &iphone).await, "nothing happened yet");
    assert_eq!(
        app.sms.sent_to(PHONE).len(),
        sent_before + 1,
        "a code to the phone"
    );
    let page = firefox
        .get(app.url("/account/reauth"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"autocomplete="one-time-code" inputmode="numeric""#),
        "{html}"
    );
    assert!(html.contains("+44 ••••••••56"));

    let wrong = post(&app, &firefox, "/account/reauth", &[("code", "000000")]).await;
    assert_eq!(wrong.status(), 400);
    assert!(wrong.text().await.unwrap().contains("not correct"));
    assert!(is_signed_in(&app, &iphone).await);

    let code = app.sms.last_code(PHONE);
    let res = post(
        &app,
        &firefox,
        "/account/reauth",
        &[("code", code.as_str())],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account?notice=others_signed_out");
    assert!(!is_signed_in(&app, &iphone).await);
    assert!(is_signed_in(&app, &firefox).await);

    // The sign-in is fresh again: no second code within the window.
    sign_in_at_account(&app, &iphone, PHONE).await;
    let res = post(&app, &firefox, "/account/sessions/revoke-others", &[]).await;
    assert_eq!(location(&res), "/account?notice=others_signed_out");
    assert!(!is_signed_in(&app, &iphone).await);
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app_with(account_settings).await;
    let firefox = browser_as(FIREFOX_LINUX);
    let iphone = browser_as(SAFARI_IPHONE);
    sign_in_at_account(&app, &firefox, PHONE).await;
    let iphone_sid = current_sid(&sign_in_at_account(&app, &iphone, PHONE).await);
    let attempts = [
        ("/account/sessions/revoke-others".to_owned(), vec![]),
        (format!("/account/sessions/{iphone_sid}/revoke"), vec![]),
        (
            "/account/phone".to_owned(),
            vec![("phone", "+447911123478")],
        ),
        ("/account/phone/remove".to_owned(), vec![]),
    ];
    for (path, fields) in attempts {
        for csrf in [None, Some("forged")] {
            let mut form = fields.clone();
            if let Some(token) = csrf {
                form.push(("csrf", token));
            }
            let res = firefox
                .post(app.url(&path))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 403, "{path} {csrf:?}");
        }
    }
    assert!(is_signed_in(&app, &iphone).await);
    assert!(app.sms.sent_to("+447911123478").is_empty());
    assert!(overview(&app, &firefox).await.contains("+44 ••••••••56"));
}

#[tokio::test]
async fn the_activity_page_lists_the_users_own_events_newest_first_in_their_language() {
    let app = spawn_app_with(account_settings).await;
    let firefox = browser_as(FIREFOX_LINUX);
    let iphone = browser_as(SAFARI_IPHONE);
    sign_in_at_account(&app, &firefox, PHONE).await;
    let iphone_sid = current_sid(&sign_in_at_account(&app, &iphone, PHONE).await);
    post(
        &app,
        &firefox,
        &format!("/account/sessions/{iphone_sid}/revoke"),
        &[],
    )
    .await;
    // Someone else's sign-in is not on this user's page.
    sign_in_at_account(&app, &browser_as("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"), &nth_phone(3)).await;

    let res = firefox
        .get(app.url("/account/activity"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let revoked = html.find("A session was signed out").expect(&html);
    let signed_in = html.find("Signed in with SMS").expect(&html);
    assert!(revoked < signed_in, "newest first");
    assert!(html.contains("Firefox on Linux") && html.contains("Safari on iPhone"));
    assert!(html.contains("127.0.0.0/24"));
    assert!(!html.contains("Windows"), "only the user's own events");

    let res = firefox
        .get(app.url("/account/activity?lang=fr"))
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains("Connexion par SMS"), "{html}");
    assert!(html.contains("Firefox sous Linux"));
    let phone = ferrid::domain::PhoneNumber::parse(PHONE, None).unwrap();
    let user = ferrid::store::users::find_by_phone(&app.db, &phone)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        user.locale.as_deref(),
        Some("fr"),
        "the language is remembered"
    );
    // The overview follows, without asking again.
    assert!(
        overview(&app, &firefox)
            .await
            .contains("Confidentialité et sécurité")
    );
}
