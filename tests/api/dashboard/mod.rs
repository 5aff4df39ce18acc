//! The dashboard at `/admin`: signing in through the hosted login as the
//! built-in `ferrid.admin` client with a second factor, the refusal of
//! non-admins, the idle timeout, CSRF, and what its pages change.

use ferrid::admin::admins::{self, AdminRole, AdminTarget};
use ferrid::store;
use uuid::Uuid;

use crate::account_factors::{align_to_step, code_now, enroll};
use crate::account_support::{owner_of, sign_in_at_account};
use crate::helpers::{TestApp, browser, csrf_of, location};
use crate::mfa::{choose, mfa_page, submit};

mod actions;
mod audit_log;
mod browser;
mod config;
mod overview;
mod sign_in;
mod templates;
mod user_actions;

pub const ADMIN_PHONE: &str = "+447400123456";
pub const OTHER_PHONE: &str = "+447400123457";

/// A user of `phone` with an authenticator app: their id and its secret.
pub async fn user_with_totp(app: &TestApp, phone: &str) -> (Uuid, String) {
    let b = browser();
    sign_in_at_account(app, &b, phone).await;
    let secret = enroll(app, &b).await;
    (owner_of(app, phone).await.unwrap(), secret)
}

/// Makes `id` an admin.
pub async fn grant(app: &TestApp, id: Uuid) {
    admins::set_role(
        &app.db,
        &AdminTarget::User(id),
        AdminRole::Granted,
        app.now(),
    )
    .await
    .unwrap();
}

/// Signs in to the dashboard in a new browser: the SMS code to `phone`,
/// then the authenticator app's code; the browser and the callback's
/// response.
pub async fn dashboard_sign_in(
    app: &TestApp,
    phone: &str,
    secret: &str,
) -> (reqwest::Client, reqwest::Response) {
    let b = browser();
    let res = b.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/admin/signin");
    let res = b.get(app.url("/admin/signin")).send().await.unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let authorize = location(&res);
    assert!(
        authorize.contains("client_id=ferrid.admin") && authorize.contains("code_challenge="),
        "{authorize}"
    );
    let csrf = app.open_login(&b, &authorize).await;
    let sent = app.submit_phone(&b, &csrf, phone).await;
    assert_eq!(location(&sent), "/login/code");
    let code = app.sms.last_code(phone);
    let res = app.submit_code(&b, &csrf, &code).await;
    assert_eq!(location(&res), "/login/mfa", "a second factor is asked for");
    let (_, csrf) = mfa_page(app, &b).await;
    let res = choose(app, &b, &csrf, "totp").await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    align_to_step(app);
    let res = submit(app, &b, &csrf, "totp", &code_now(app, secret, 0)).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let callback = location(&res);
    assert!(
        callback.starts_with(&app.url("/admin/callback?")),
        "{callback}"
    );
    let res = b.get(&callback).send().await.unwrap();
    (b, res)
}

/// Starts setting up an authenticator app on the second-factor page: the
/// set-up page's HTML (shown by the post, or after its redirect).
pub async fn start_app_enrollment(app: &TestApp, b: &reqwest::Client, csrf: &str) -> String {
    let res = post(app, b, "/login/mfa/enroll", &[("csrf", csrf)]).await;
    if res.status() == 303 {
        assert_eq!(location(&res), "/login/mfa/enroll");
        let page = b.get(app.url("/login/mfa/enroll")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        return page.text().await.unwrap();
    }
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

/// The way back to the application after the new app's first code: its
/// redirect, or past the page of recovery codes when one is shown first.
pub async fn after_app_enrollment(
    app: &TestApp,
    b: &reqwest::Client,
    res: reqwest::Response,
) -> String {
    if res.status() == 303 {
        return location(&res);
    }
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"action="/login/mfa/continue""#), "{html}");
    let res = post(app, b, "/login/mfa/continue", &[("csrf", &csrf_of(&html))]).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    location(&res)
}

/// A signed-in admin's browser, the admin's id, and the CSRF token of the
/// dashboard's forms.
pub async fn signed_in_admin(app: &TestApp) -> (reqwest::Client, Uuid, String) {
    let (id, secret) = user_with_totp(app, ADMIN_PHONE).await;
    grant(app, id).await;
    let (b, res) = dashboard_sign_in(app, ADMIN_PHONE, &secret).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(location(&res), "/admin");
    let page = b.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csrf = csrf_of(&page.text().await.unwrap());
    (b, id, csrf)
}

/// Posts a dashboard form.
pub async fn post(
    app: &TestApp,
    b: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    b.post(app.url(path)).form(form).send().await.unwrap()
}

/// The audit events of `kind`, newest first.
pub async fn events(app: &TestApp, kind: &str) -> Vec<store::audit_events::AuditEvent> {
    store::audit_events::list_recent(&app.db, Some(kind), 20)
        .await
        .unwrap()
}
