//! "This wasn't me": the revert link of a change's notice.

use crate::account_support::{
    FIREFOX_LINUX, NEW_PHONE, SAFARI_IPHONE, account_settings, browser_as, change_phone_now,
    is_signed_in, owner_of, revert_path, sign_in_at_account,
};
use crate::helpers::{PHONE, csrf_of, location, refreshing_client, spawn_app_with};

#[tokio::test]
async fn the_revert_link_changes_nothing_on_get_and_undoes_the_change_once_on_post() {
    let app = spawn_app_with(account_settings).await;
    // A refresh token of an application, and two browsers signed in.
    let client = refreshing_client(&app).await;
    let code = app.offline_code_for(&client.client_id, PHONE).await;
    let tokens: serde_json::Value = app.exchange(&client, &code).await.json().await.unwrap();
    let refresh_token = tokens["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned();
    let b = browser_as(FIREFOX_LINUX);
    let other = browser_as(SAFARI_IPHONE);
    sign_in_at_account(&app, &b, PHONE).await;
    sign_in_at_account(&app, &other, PHONE).await;
    let user = owner_of(&app, PHONE).await.unwrap();

    change_phone_now(&app, &b, NEW_PHONE).await;
    let path = revert_path(&app, PHONE);

    // A link scanner's GET changes nothing.
    let stranger = browser_as(FIREFOX_LINUX);
    let page = stranger.get(app.url(&path)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("+44 ••••••••56") && html.contains("+44 ••••••••78"),
        "{html}"
    );
    assert_eq!(owner_of(&app, NEW_PHONE).await, Some(user));
    assert!(is_signed_in(&app, &b).await);

    // Without the form's token: refused, nothing changed.
    let res = stranger
        .post(app.url(&path))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(owner_of(&app, NEW_PHONE).await, Some(user));

    let res = stranger
        .post(app.url(&path))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account/signin", "on to sign in again");
    assert_eq!(
        owner_of(&app, PHONE).await,
        Some(user),
        "the previous number is back"
    );
    assert_eq!(owner_of(&app, NEW_PHONE).await, None);
    assert!(!is_signed_in(&app, &b).await, "every session ended");
    assert!(!is_signed_in(&app, &other).await);
    let refreshed = app.refresh(&client, &refresh_token).await;
    assert_eq!(refreshed.status(), 400, "the refresh token is revoked");

    // Second use: "already used", nothing changes.
    let again = stranger.get(app.url(&path)).send().await.unwrap();
    assert_eq!(again.status(), 409);
    assert!(again.text().await.unwrap().contains("already used"));
    let again = stranger
        .post(app.url(&path))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    assert_eq!(owner_of(&app, PHONE).await, Some(user));

    // The previous number signs in again, and the activity tells the story.
    let back = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &back, PHONE).await;
    assert_eq!(owner_of(&app, PHONE).await, Some(user));
    let activity = back.get(app.url("/account/activity")).send().await.unwrap();
    let html = activity.text().await.unwrap();
    assert!(html.contains("A change was undone"), "{html}");
}

#[tokio::test]
async fn an_unknown_revert_link_is_refused() {
    let app = spawn_app_with(account_settings).await;
    let b = browser_as(FIREFOX_LINUX);
    let res = b
        .get(app.url("/account/revert/not-a-real-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn a_revert_link_stops_working_after_seven_days() {
    let app = spawn_app_with(account_settings).await;
    let b = browser_as(FIREFOX_LINUX);
    sign_in_at_account(&app, &b, PHONE).await;
    let user = owner_of(&app, PHONE).await.unwrap();
    change_phone_now(&app, &b, NEW_PHONE).await;
    let path = revert_path(&app, PHONE);
    let html = b
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    app.advance(std::time::Duration::from_secs(7 * 24 * 3600 + 60));
    let res = b.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("expired"));
    let res = b
        .post(app.url(&path))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        owner_of(&app, NEW_PHONE).await,
        Some(user),
        "nothing changed"
    );
}
