//! What the account tests share: a browser with a user agent, signing in
//! at `/account` through the hosted login, and posting the account forms.

use crate::helpers::{TestApp, csrf_of, extract_code, location};

pub const FIREFOX_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
pub const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

/// Another valid mobile number.
pub const NEW_PHONE: &str = "+447911123478";

/// A browser (cookies kept, redirects not followed) sending `user_agent`.
pub fn browser_as(user_agent: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .user_agent(user_agent)
        .build()
        .unwrap()
}

/// Opens `/account` signed out, goes through the hosted login with
/// `phone`, and comes back to `/account`; the overview's HTML.
pub async fn sign_in_at_account(app: &TestApp, b: &reqwest::Client, phone: &str) -> String {
    let res = b.get(app.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account/signin");
    let res = b.get(app.url("/account/signin")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login");
    let page = b.get(app.url("/login")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csrf = csrf_of(&page.text().await.unwrap());
    let sent = app.submit_phone(b, &csrf, phone).await;
    assert_eq!(sent.status(), 303, "{}", sent.text().await.unwrap());
    let code = app.sms.last_code(phone);
    let done = app.submit_code(b, &csrf, &code).await;
    assert_eq!(done.status(), 303, "{}", done.text().await.unwrap());
    assert_eq!(
        location(&done),
        "/account",
        "the sign-in returns to the account"
    );
    overview(app, b).await
}

/// `GET /account` while signed in: its HTML.
pub async fn overview(app: &TestApp, b: &reqwest::Client) -> String {
    let res = b.get(app.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

/// Posts an account form with the page's CSRF token and `fields`.
pub async fn post(
    app: &TestApp,
    b: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let csrf = csrf_of(&overview(app, b).await);
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    b.post(app.url(path)).form(&form).send().await.unwrap()
}

/// Whether a browser's session still opens the account.
pub async fn is_signed_in(app: &TestApp, b: &reqwest::Client) -> bool {
    let res = b.get(app.url("/account")).send().await.unwrap();
    res.status() == 200
}

/// The `sid` of the overview's own session (the one marked "This device").
pub fn current_sid(html: &str) -> String {
    let at = html.find("This device").expect("the current session");
    let rest = &html[at..];
    let start =
        rest.find("action=\"/account/sessions/").unwrap() + "action=\"/account/sessions/".len();
    rest[start..].split('/').next().unwrap().to_owned()
}

/// The user who owns `phone`, if any.
pub async fn owner_of(app: &TestApp, phone: &str) -> Option<uuid::Uuid> {
    let phone = ferrid::domain::PhoneNumber::parse(phone, None).unwrap();
    ferrid::store::users::find_by_phone(&app.db, &phone)
        .await
        .unwrap()
        .map(|u| u.id)
}

/// Settings for the account tests: room for many codes from one address,
/// and a one-minute re-authentication window.
pub fn account_settings(s: &mut ferrid::config::RawSettings) {
    crate::helpers::many_sign_ins(s);
    s.account.reauth_window = ferrid::config::Span(std::time::Duration::from_secs(60));
}

/// The "this wasn't me" link in the newest notice to `phone`, as a path.
pub fn revert_path(app: &TestApp, phone: &str) -> String {
    let notice = app
        .sms
        .sent_to(phone)
        .into_iter()
        .rev()
        .find(|m| m.body.contains("/account/revert/"))
        .expect("a notice with a revert link");
    let start = notice.body.find(&app.address).expect("an absolute link") + app.address.len();
    notice.body[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Changes the phone of a recently signed-in browser to `new` (no
/// re-authentication needed) and types the code sent to it.
pub async fn change_phone_now(app: &TestApp, b: &reqwest::Client, new: &str) {
    let res = post(app, b, "/account/phone", &[("phone", new)]).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(location(&res), "/account/phone/verify");
    let code = app.sms.last_code(new);
    let res = post(app, b, "/account/phone/verify", &[("code", code.as_str())]).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(location(&res), "/account?notice=phone_saved");
}

/// The code in the newest mail to `to` that carries one, as the outbox
/// keeps it (dev mode, no SMTP server).
pub async fn mail_code(app: &TestApp, to: &str) -> String {
    let mail = ferrid::email::dev_mail(&app.db).await.unwrap();
    let found = mail
        .into_iter()
        .find(|m| m.to == to && (m.usage == "verify_email" || m.usage == "reauth"))
        .expect("a code by email");
    extract_code(&found.text)
}
