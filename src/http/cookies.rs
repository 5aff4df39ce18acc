//! ferrid's cookies: opaque ids only, HttpOnly, SameSite=Lax, and with the
//! `__Host-` prefix and `Secure` outside dev mode.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};

use crate::app::AppState;

/// Which cookie.
#[derive(Clone, Copy, Debug)]
pub enum CookieKind {
    /// The pending sign-in (login transaction id).
    Login,
    /// The SSO session.
    Session,
}

fn name(state: &AppState, kind: CookieKind) -> &'static str {
    match (kind, state.settings.secure_cookies) {
        (CookieKind::Login, true) => "__Host-ferrid_login",
        (CookieKind::Login, false) => "ferrid_login",
        (CookieKind::Session, true) => "__Host-ferrid_session",
        (CookieKind::Session, false) => "ferrid_session",
    }
}

/// The cookie's value in this request.
pub fn read(state: &AppState, req: &HttpRequest, kind: CookieKind) -> Option<String> {
    req.cookie(name(state, kind)).map(|c| c.value().to_owned())
}

/// A cookie holding `value` for `max_age`.
pub fn make(
    state: &AppState,
    kind: CookieKind,
    value: String,
    max_age: std::time::Duration,
) -> Cookie<'static> {
    Cookie::build(name(state, kind), value)
        .path("/")
        .http_only(true)
        .secure(state.settings.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::seconds(
            i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX),
        ))
        .finish()
}

/// A cookie that deletes this one.
pub fn clear(state: &AppState, kind: CookieKind) -> Cookie<'static> {
    let mut cookie = make(state, kind, String::new(), std::time::Duration::ZERO);
    cookie.make_removal();
    cookie
}
