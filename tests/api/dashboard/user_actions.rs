//! What an admin does to one user from their page: sign them out
//! everywhere, remove a factor, set the phone (with or without a code),
//! delete them; each audited with the admin's id.

use super::*;
use crate::account_support::{is_signed_in, sign_in_at_account};
use crate::helpers::{browser, spawn_app};

async fn page(app: &TestApp, b: &reqwest::Client, path: &str) -> String {
    b.get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_admin_signs_a_user_out_everywhere_and_removes_their_app() {
    let app = spawn_app().await;
    let (b, admin, csrf) = signed_in_admin(&app).await;
    let user_browser = browser();
    sign_in_at_account(&app, &user_browser, OTHER_PHONE).await;
    let (user, _) = user_with_totp(&app, OTHER_PHONE).await;

    let res = post(
        &app,
        &b,
        &format!("/admin/users/{user}/signout"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert!(
        page(&app, &b, &location(&res))
            .await
            .contains("session(s) ended")
    );
    assert!(!is_signed_in(&app, &user_browser).await);
    let ended = events(&app, "admin.user.sessions_revoked").await;
    assert_eq!(ended[0].actor.as_deref(), Some(admin.to_string().as_str()));

    let html = page(&app, &b, &format!("/admin/users/{user}")).await;
    assert!(html.contains(r#"id="remove-totp""#), "{html}");
    let res = post(
        &app,
        &b,
        &format!("/admin/users/{user}/factors/totp/remove"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(res.status(), 303);
    let enrolled = ferrid::factors::enrolled(&app.db, user).await.unwrap();
    assert!(!enrolled.contains(&ferrid::domain::Factor::Totp));
    // Removing it again says so and changes nothing.
    let res = post(
        &app,
        &b,
        &format!("/admin/users/{user}/factors/totp/remove"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(res.status(), 409);
}

#[tokio::test]
async fn an_admin_sets_a_number_after_its_code_or_at_once() {
    let app = spawn_app().await;
    let (b, _, csrf) = signed_in_admin(&app).await;
    let user_browser = browser();
    sign_in_at_account(&app, &user_browser, OTHER_PHONE).await;
    let user = crate::account_support::owner_of(&app, OTHER_PHONE)
        .await
        .unwrap();
    let new = crate::helpers::nth_phone(40);

    // With a code: nothing is saved until the user's code comes back.
    let res = post(
        &app,
        &b,
        &format!("/admin/users/{user}/phone"),
        &[("csrf", &csrf), ("phone", &new), ("verify", "yes")],
    )
    .await;
    assert_eq!(
        location(&res),
        format!("/admin/users/{user}?notice=code_sent")
    );
    let html = page(&app, &b, &location(&res)).await;
    assert!(html.contains(r#"action="/admin/users/"#) && html.contains("/phone/verify"));
    assert_eq!(crate::account_support::owner_of(&app, &new).await, None);
    let res = post(
        &app,
        &b,
        &format!("/admin/users/{user}/phone/verify"),
        &[("csrf", &csrf), ("code", "000000")],
    )
    .await;
    assert_eq!(res.status(), 400, "a wrong code saves nothing");
    let code = app.sms.last_code(&new);
    let res = post(
        &app,
        &b,
        &format!("/admin/users/{user}/phone/verify"),
        &[("csrf", &csrf), ("code", &code)],
    )
    .await;
    assert_eq!(
        location(&res),
        format!("/admin/users/{user}?notice=phone_saved")
    );
    assert_eq!(
        crate::account_support::owner_of(&app, &new).await,
        Some(user)
    );

    // Vouched for by the admin: saved at once; a bad number changes nothing.
    let other = crate::helpers::nth_phone(41);
    let res = post(
        &app,
        &b,
        &format!("/admin/users/{user}/phone"),
        &[("csrf", &csrf), ("phone", &other)],
    )
    .await;
    assert_eq!(
        location(&res),
        format!("/admin/users/{user}?notice=phone_saved")
    );
    assert_eq!(
        crate::account_support::owner_of(&app, &other).await,
        Some(user)
    );
    let res = post(
        &app,
        &b,
        &format!("/admin/users/{user}/phone"),
        &[("csrf", &csrf), ("phone", "12")],
    )
    .await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        crate::account_support::owner_of(&app, &other).await,
        Some(user)
    );
}

#[tokio::test]
async fn an_admin_deletes_a_user_only_once_confirmed_and_never_themselves() {
    let app = spawn_app().await;
    let (b, admin, csrf) = signed_in_admin(&app).await;
    sign_in_at_account(&app, &browser(), OTHER_PHONE).await;
    let user = crate::account_support::owner_of(&app, OTHER_PHONE)
        .await
        .unwrap();

    let path = format!("/admin/users/{user}/delete");
    let res = post(&app, &b, &path, &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 400, "not confirmed");
    assert!(
        crate::account_support::owner_of(&app, OTHER_PHONE)
            .await
            .is_some()
    );

    let own = format!("/admin/users/{admin}/delete");
    let res = post(&app, &b, &own, &[("csrf", &csrf), ("confirm", "yes")]).await;
    assert_eq!(res.status(), 409);

    let res = post(&app, &b, &path, &[("csrf", &csrf), ("confirm", "yes")]).await;
    assert_eq!(location(&res), "/admin/users");
    assert_eq!(
        crate::account_support::owner_of(&app, OTHER_PHONE).await,
        None
    );
    let deleted = events(&app, "admin.user.deleted").await;
    assert_eq!(
        deleted[0].actor.as_deref(),
        Some(admin.to_string().as_str())
    );

    // A form without the session's token changes nothing.
    let res = post(
        &app,
        &b,
        &format!("/admin/users/{admin}/signout"),
        &[("csrf", "x")],
    )
    .await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn a_users_page_lists_the_applications_they_allowed() {
    let app = spawn_app().await;
    let (b, _, _) = signed_in_admin(&app).await;
    sign_in_at_account(&app, &browser(), OTHER_PHONE).await;
    let user = crate::account_support::owner_of(&app, OTHER_PHONE)
        .await
        .unwrap();
    let html = page(&app, &b, &format!("/admin/users/{user}")).await;
    assert!(!html.contains(r#"id="consents""#), "none yet");
    ferrid::store::consents::upsert(&app.db, user, "shop", "openid phone", &[], app.now())
        .await
        .unwrap();
    let html = page(&app, &b, &format!("/admin/users/{user}")).await;
    assert!(html.contains("shop (openid phone)"), "{html}");
}
