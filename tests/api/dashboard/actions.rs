//! What the dashboard's pages change, each audit-logged with the admin's
//! id, and forms without the session's CSRF token refused.

use ferrid::domain::{ClientId, Connection};

use super::*;
use crate::helpers::spawn_app;

fn secret_shown(html: &str) -> Option<String> {
    let tag = r#"<code id="client-secret">"#;
    let start = html.find(tag)? + tag.len();
    Some(html[start..].split('<').next()?.to_owned())
}

fn client_id_shown(html: &str) -> String {
    let tag = r#"<code id="client-id">"#;
    let start = html.find(tag).expect("the client id") + tag.len();
    html[start..].split('<').next().unwrap().to_owned()
}

#[tokio::test]
async fn an_application_is_created_with_its_secret_shown_once_and_audited() {
    let app = spawn_app().await;
    let (b, admin, csrf) = signed_in_admin(&app).await;
    let res = post(
        &app,
        &b,
        "/admin/applications",
        &[
            ("csrf", &csrf),
            ("name", "Shop"),
            ("client_type", "confidential"),
            ("redirect_uris", "https://shop.example.com/cb\r\n"),
            ("sms", "on"),
            ("refresh", "on"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let secret = secret_shown(&html).expect("the secret, once");
    assert!(secret.len() >= 43);
    let client_id = client_id_shown(&html);
    let stored =
        ferrid::admin::clients::find_client(&app.db, &ClientId::parse(&client_id).unwrap())
            .await
            .unwrap()
            .unwrap();
    assert_eq!(stored.connections, vec![Connection::Sms]);
    // Its page later does not show the secret.
    let page = b
        .get(app.url(&format!("/admin/applications/{client_id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(secret_shown(&page).is_none());
    assert!(!page.contains(&secret));
    let created = events(&app, "client.created").await;
    assert_eq!(
        created[0].actor.as_deref(),
        Some(admin.to_string().as_str())
    );
    assert_eq!(created[0].subject.as_deref(), Some(client_id.as_str()));

    // Deleting asks for the confirmation first.
    let path = format!("/admin/applications/{client_id}/delete");
    let res = post(&app, &b, &path, &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 400);
    let res = post(&app, &b, &path, &[("csrf", &csrf), ("confirm", "yes")]).await;
    assert_eq!(res.status(), 303);
    assert!(
        ferrid::admin::clients::find_client(&app.db, &ClientId::parse(&client_id).unwrap())
            .await
            .unwrap()
            .is_none()
    );
    let deleted = events(&app, "client.deleted").await;
    assert_eq!(
        deleted[0].actor.as_deref(),
        Some(admin.to_string().as_str())
    );
}

#[tokio::test]
async fn a_bad_application_form_is_shown_again_with_its_problems_and_changes_nothing() {
    let app = spawn_app().await;
    let (b, _, csrf) = signed_in_admin(&app).await;
    let before = ferrid::admin::clients::list_clients(&app.db)
        .await
        .unwrap()
        .len();
    let res = post(
        &app,
        &b,
        "/admin/applications",
        &[
            ("csrf", &csrf),
            ("name", "Shop"),
            ("redirect_uris", "not a uri"),
        ],
    )
    .await;
    assert_eq!(res.status(), 400);
    let html = res.text().await.unwrap();
    assert!(html.contains("not a uri"), "{html}");
    assert!(
        html.contains(r#"value="Shop""#),
        "the form keeps what was typed"
    );
    let after = ferrid::admin::clients::list_clients(&app.db)
        .await
        .unwrap()
        .len();
    assert_eq!(before, after);
}

#[tokio::test]
async fn a_form_without_the_sessions_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let (b, _, _) = signed_in_admin(&app).await;
    let before = ferrid::admin::clients::list_clients(&app.db)
        .await
        .unwrap()
        .len();
    for csrf in ["", "forged"] {
        let res = post(
            &app,
            &b,
            "/admin/applications",
            &[
                ("csrf", csrf),
                ("name", "Shop"),
                ("redirect_uris", "https://shop.example.com/cb"),
            ],
        )
        .await;
        assert_eq!(res.status(), 403);
    }
    let after = ferrid::admin::clients::list_clients(&app.db)
        .await
        .unwrap()
        .len();
    assert_eq!(before, after);
    assert!(events(&app, "client.created").await.is_empty());
}

#[tokio::test]
async fn a_policy_that_cannot_be_served_is_refused_with_its_reasons_next_to_the_form() {
    let app = spawn_app().await;
    let (b, admin, csrf) = signed_in_admin(&app).await;
    let before = ferrid::policy::load(&app.db, true).await.unwrap();
    // No first factor at all.
    let res = post(
        &app,
        &b,
        "/admin/policy",
        &[("csrf", &csrf), ("mfa", "off"), ("second_totp", "on")],
    )
    .await;
    assert_eq!(res.status(), 400);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"id="policy-problems""#), "{html}");
    assert!(html.contains("at least one first factor"), "{html}");
    assert_eq!(ferrid::policy::load(&app.db, true).await.unwrap(), before);

    let res = post(
        &app,
        &b,
        "/admin/policy",
        &[
            ("csrf", &csrf),
            ("first_sms", "on"),
            ("first_email", "on"),
            ("signup", "on"),
            ("mfa", "optional"),
            ("second_totp", "on"),
            ("second_recovery_code", "on"),
            ("unique_phone", "on"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let after = ferrid::policy::load(&app.db, true).await.unwrap();
    assert_eq!(after.mfa, ferrid::domain::MfaMode::Optional);
    assert!(after.first_factors.contains(&Connection::Email));
    let changed = events(&app, "policy.changed").await;
    assert_eq!(
        changed[0].actor.as_deref(),
        Some(admin.to_string().as_str())
    );
}

#[tokio::test]
async fn users_are_found_by_phone_address_and_id() {
    let app = spawn_app().await;
    let (b, admin, _) = signed_in_admin(&app).await;
    for q in [ADMIN_PHONE.to_owned(), admin.to_string()] {
        let html = b
            .get(app.url("/admin/users"))
            .query(&[("q", q.as_str())])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains(&format!("/admin/users/{admin}")),
            "{q}: {html}"
        );
    }
    let html = b
        .get(app.url("/admin/users"))
        .query(&[("q", "nobody@example.com")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains(&format!("/admin/users/{admin}")));
    let res = b
        .get(app.url("/admin/users"))
        .query(&[("q", "hello")])
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains("country code"));
}

#[tokio::test]
async fn a_blocked_user_cannot_sign_in_and_their_sessions_end() {
    let app = spawn_app().await;
    let (b, admin, csrf) = signed_in_admin(&app).await;
    let user_browser = browser();
    sign_in_at_account(&app, &user_browser, OTHER_PHONE).await;
    let user = owner_of(&app, OTHER_PHONE).await.unwrap();

    let res = post(
        &app,
        &b,
        &format!("/admin/users/{user}/block"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(res.status(), 303);
    let page = b
        .get(app.url(&location(&res)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("1 session(s) ended"), "{page}");
    let blocked = events(&app, "user.blocked").await;
    assert_eq!(
        blocked[0].actor.as_deref(),
        Some(admin.to_string().as_str())
    );
    assert_eq!(blocked[0].user_id, Some(user));

    // Their session is over, and a new sign-in is refused.
    let res = user_browser.get(app.url("/account")).send().await.unwrap();
    assert_eq!(location(&res), "/account/signin");
    let res = user_browser
        .get(app.url("/account/signin"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/login");
    let csrf_login = csrf_of(
        &user_browser
            .get(app.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    app.submit_phone(&user_browser, &csrf_login, OTHER_PHONE)
        .await;
    let code = app.sms.last_code(OTHER_PHONE);
    let res = app.submit_code(&user_browser, &csrf_login, &code).await;
    assert_ne!(
        location(&res),
        "/account",
        "a blocked user is not signed in"
    );
    assert!(
        store::users::find_by_id(&app.db, user)
            .await
            .unwrap()
            .unwrap()
            .blocked
    );

    // Unblocked, they sign in again; an admin cannot block themselves.
    let res = post(
        &app,
        &b,
        &format!("/admin/users/{user}/unblock"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(res.status(), 303);
    sign_in_at_account(&app, &browser(), OTHER_PHONE).await;
    let res = post(
        &app,
        &b,
        &format!("/admin/users/{admin}/block"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(res.status(), 409);
}

#[tokio::test]
async fn an_application_is_edited_and_its_secret_rotated_both_audited() {
    let app = spawn_app().await;
    let (b, admin, csrf) = signed_in_admin(&app).await;
    let client = app
        .register(
            ferrid::domain::ClientType::Confidential,
            &["https://shop.example.com/cb"],
        )
        .await;
    let id = ClientId::parse(&client.client_id).unwrap();
    let base = format!("/admin/applications/{}", client.client_id);
    let form = b
        .get(app.url(&format!("{base}/edit")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("https://shop.example.com/cb"), "{form}");

    // A bad redirect URI changes nothing.
    let res = post(
        &app,
        &b,
        &format!("{base}/edit"),
        &[
            ("csrf", &csrf),
            ("name", "Shop 2"),
            ("redirect_uris", "nope"),
        ],
    )
    .await;
    assert_eq!(res.status(), 400);
    let stored = ferrid::admin::clients::find_client(&app.db, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.name.as_ref(), "Test Shop");

    let res = post(
        &app,
        &b,
        &format!("{base}/edit"),
        &[
            ("csrf", &csrf),
            ("name", "Shop 2"),
            (
                "redirect_uris",
                "https://shop.example.com/cb\nhttps://shop.example.com/cb2",
            ),
            ("allowed_origins", "https://shop.example.com"),
            ("email", "on"),
            ("refresh", "on"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let stored = ferrid::admin::clients::find_client(&app.db, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.name.as_ref(), "Shop 2");
    assert_eq!(stored.redirect_uris.len(), 2);
    assert_eq!(stored.connections, vec![Connection::Email]);
    assert!(
        stored
            .grant_types
            .contains(&ferrid::domain::GrantType::RefreshToken)
    );
    assert_eq!(stored.client_type, ferrid::domain::ClientType::Confidential);
    let updated = events(&app, "client.updated").await;
    assert_eq!(
        updated[0].actor.as_deref(),
        Some(admin.to_string().as_str())
    );

    // Rotating asks for the confirmation, then shows the new secret once;
    // the old one stops working.
    let res = post(&app, &b, &format!("{base}/rotate"), &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 400);
    let res = post(
        &app,
        &b,
        &format!("{base}/rotate"),
        &[("csrf", &csrf), ("confirm", "yes")],
    )
    .await;
    assert_eq!(res.status(), 200);
    let secret = secret_shown(&res.text().await.unwrap()).expect("the new secret");
    let stored = ferrid::admin::clients::find_client(&app.db, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.secret_hash.as_deref(),
        Some(ferrid::crypto::sha256_hex(&secret).as_str())
    );
    assert_ne!(Some(secret), client.secret);
    let rotated = events(&app, "client.secret_rotated").await;
    assert_eq!(
        rotated[0].actor.as_deref(),
        Some(admin.to_string().as_str())
    );
}
