//! Who gets into the dashboard, and for how long.

use std::time::Duration;

use ferrid::admin::clients::{CreateClientError, create_client};
use ferrid::admin::dashboard::ADMIN_CLIENT_ID;
use ferrid::domain::{ClientId, ClientName, ClientType};

use super::*;
use crate::helpers::spawn_app;

#[tokio::test]
async fn an_admin_signs_in_through_the_hosted_login_with_a_second_factor() {
    let app = spawn_app().await;
    let (b, id, csrf) = signed_in_admin(&app).await;
    let html = b
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"href="/admin/applications""#), "{html}");
    assert!(html.contains(r#"id="count-admins">1<"#), "{html}");
    // Two sign-ins (the account page's, then the dashboard's) in the 30
    // days' chart.
    let chart = &html[html.find(r#"id="chart-sign-ins""#).expect("the chart")..];
    assert!(chart.contains("Total: 2"), "{chart}");
    let signed_in = events(&app, "admin.signed_in").await;
    assert_eq!(signed_in[0].actor.as_deref(), Some(id.to_string().as_str()));

    // Signing out ends the dashboard's session, audited.
    let res = post(&app, &b, "/admin/signout", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 303);
    let res = b.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(location(&res), "/admin/signin");
    let signed_out = events(&app, "admin.signed_out").await;
    assert_eq!(
        signed_out[0].actor.as_deref(),
        Some(id.to_string().as_str())
    );
}

#[tokio::test]
async fn a_user_who_is_not_an_admin_is_refused_with_403() {
    let app = spawn_app().await;
    let (id, secret) = user_with_totp(&app, ADMIN_PHONE).await;
    let (b, res) = dashboard_sign_in(&app, ADMIN_PHONE, &secret).await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("Not an admin"));
    // Nothing of the dashboard opened.
    let res = b.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(location(&res), "/admin/signin");
    let refused = events(&app, "admin.refused").await;
    assert_eq!(refused[0].user_id, Some(id));
}

#[tokio::test]
async fn an_admin_whose_role_is_revoked_is_refused_at_the_next_request() {
    let app = spawn_app().await;
    let (b, id, _) = signed_in_admin(&app).await;
    admins::set_role(
        &app.db,
        &AdminTarget::User(id),
        AdminRole::Revoked,
        app.now(),
    )
    .await
    .unwrap();
    let res = b.get(app.url("/admin/users")).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = b.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(location(&res), "/admin/signin", "the session ended");
}

#[tokio::test]
async fn the_dashboard_session_ends_after_30_idle_minutes() {
    let app = spawn_app().await;
    let (b, _, _) = signed_in_admin(&app).await;
    // Each request restarts the 30 minutes.
    app.advance(Duration::from_secs(29 * 60));
    let res = b.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    app.advance(Duration::from_secs(29 * 60));
    let res = b.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    app.advance(Duration::from_secs(31 * 60));
    let res = b.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/admin/signin");
}

#[tokio::test]
async fn a_callback_that_was_not_started_here_signs_nobody_in() {
    let app = spawn_app().await;
    let b = browser();
    let res = b
        .get(app.url("/admin/callback?code=abc&state=xyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = b.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(location(&res), "/admin/signin");
}

#[tokio::test]
async fn the_dashboards_client_id_is_reserved() {
    let app = spawn_app().await;
    let stored =
        ferrid::admin::clients::find_client(&app.db, &ClientId::parse(ADMIN_CLIENT_ID).unwrap())
            .await
            .unwrap()
            .expect("registered at start");
    assert!(stored.require_mfa);
    assert_eq!(stored.client_type, ClientType::Public);
    let request = ferrid::admin::clients::CreateClient {
        client_id: Some(ClientId::parse("ferrid.admin").unwrap()),
        name: ClientName::parse("Mine").unwrap(),
        client_type: ClientType::Confidential,
        redirect_uris: vec![],
        post_logout_redirect_uris: vec![],
        allowed_origins: vec![],
        grant_types: vec![ferrid::domain::GrantType::ClientCredentials],
        first_party: false,
        allowed_scopes: vec![],
        refresh_without_offline_access: false,
        connections: vec![],
        introspect: false,
        require_mfa: false,
    };
    assert!(matches!(
        create_client(&app.db, request).await,
        Err(CreateClientError::Reserved(_))
    ));
    assert!(
        ferrid::admin::clients::delete_client(&app.db, &stored.client_id)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn an_admin_without_a_second_factor_sets_up_an_authenticator_app_while_signing_in() {
    let app = spawn_app().await;
    let b = browser();
    sign_in_at_account(&app, &b, ADMIN_PHONE).await;
    let id = owner_of(&app, ADMIN_PHONE).await.unwrap();
    grant(&app, id).await;

    let b = browser();
    let res = b.get(app.url("/admin/signin")).send().await.unwrap();
    let csrf = app.open_login(&b, &location(&res)).await;
    app.submit_phone(&b, &csrf, ADMIN_PHONE).await;
    let code = app.sms.last_code(ADMIN_PHONE);
    let res = app.submit_code(&b, &csrf, &code).await;
    assert_eq!(location(&res), "/login/mfa");
    let (html, csrf) = mfa_page(&app, &b).await;
    assert!(html.contains(r#"action="/login/mfa/enroll""#), "{html}");
    let page = start_app_enrollment(&app, &b, &csrf).await;
    assert!(page.contains("<svg"), "a QR code to scan");
    let secret = crate::account_factors::secret_of(&page);
    align_to_step(&app);
    // A wrong code saves nothing and shows the page again.
    let res = post(
        &app,
        &b,
        "/login/mfa/enroll/confirm",
        &[("csrf", &csrf), ("code", "000000")],
    )
    .await;
    assert_eq!(res.status(), 400);
    let totp = ferrid::domain::Factor::Totp;
    assert!(
        !ferrid::factors::enrolled(&app.db, id)
            .await
            .unwrap()
            .contains(&totp)
    );
    let res = post(
        &app,
        &b,
        "/login/mfa/enroll/confirm",
        &[("csrf", &csrf), ("code", &code_now(&app, &secret, 0))],
    )
    .await;
    let callback = after_app_enrollment(&app, &b, res).await;
    assert!(
        callback.starts_with(&app.url("/admin/callback?")),
        "{callback}"
    );
    let res = b.get(&callback).send().await.unwrap();
    assert_eq!(location(&res), "/admin");
    assert!(
        ferrid::factors::enrolled(&app.db, id)
            .await
            .unwrap()
            .contains(&totp)
    );
    assert_eq!(events(&app, "factor.totp.added").await[0].user_id, Some(id));
}

#[tokio::test]
async fn with_redis_the_dashboard_session_lives_in_redis() {
    let prefix = format!("ferrid-test-{}:", Uuid::new_v4().simple());
    let app = crate::helpers::spawn_app_with(|s| {
        s.redis_url = Some("redis://127.0.0.1:6379".to_owned().into());
        s.redis_prefix = prefix.clone();
    })
    .await;
    let (b, _, _) = signed_in_admin(&app).await;
    let redis = redis::Client::open("redis://127.0.0.1:6379").unwrap();
    let mut conn = redis.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}dashboard:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    // The cookie holds only the key: without the state in Redis, the
    // session is gone.
    let _: () = redis::cmd("DEL")
        .arg(&keys[0])
        .query_async(&mut conn)
        .await
        .unwrap();
    let res = b.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(location(&res), "/admin/signin");
}
