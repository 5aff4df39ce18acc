//! actix-web only: routes, extractors, and the mapping of use-case outcomes
//! to pages, redirects and JSON.

mod account;
pub mod admin;
mod api;
pub mod client_ip;
mod consent;
mod cookies;
pub mod cors;
pub mod demo;
mod dev;
pub mod errors;
mod health;
mod home;
mod login;
mod oidc;
mod request_span;
mod static_files;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{HttpMessage, web};
use tracing_actix_web::RequestId;

pub use request_span::RequestSpan;

/// Every route ferrid serves (the dashboard under its own session
/// middleware); the dev outbox, the dev mail and the demo
/// only in dev mode.
pub fn routes(
    cfg: &mut web::ServiceConfig,
    dev_mode: bool,
    admin_sessions: actix_session::SessionMiddleware<admin::session::DashboardSessions>,
) {
    cfg.route("/", web::get().to(home::home))
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/static/{file}", web::get().to(static_files::asset))
        .route(
            "/.well-known/openid-configuration",
            web::get().to(oidc::discovery),
        )
        .route("/jwks.json", web::get().to(oidc::jwks))
        .route("/authorize", web::get().to(oidc::authorize_get))
        .route("/authorize", web::post().to(oidc::authorize_post))
        .route("/token", web::post().to(oidc::token))
        // Auth0's path, for clients written against its passwordless API.
        .route("/oauth/token", web::post().to(oidc::token))
        .route("/userinfo", web::get().to(oidc::userinfo_get))
        .route("/userinfo", web::post().to(oidc::userinfo_post))
        .route("/revoke", web::post().to(oidc::revoke))
        .route("/introspect", web::post().to(oidc::introspect))
        .route("/end_session", web::get().to(oidc::end_session_get))
        .route("/end_session", web::post().to(oidc::end_session_post))
        .route(
            "/end_session/confirm",
            web::post().to(oidc::end_session_confirm),
        )
        .route(
            "/passwordless/start",
            web::post().to(oidc::passwordless_start),
        )
        .route("/consent", web::get().to(consent::consent_form))
        .route("/consent", web::post().to(consent::consent))
        .route("/login", web::get().to(login::phone_form))
        .route("/login/phone", web::post().to(login::phone))
        .route("/login/email", web::get().to(login::email_form))
        .route("/login/email", web::post().to(login::email))
        .route("/login/code", web::get().to(login::code_form))
        .route("/login/code", web::post().to(login::code))
        .route("/login/resend", web::post().to(login::resend))
        .route("/login/restart", web::post().to(login::restart))
        .route("/login/mfa", web::get().to(login::choose_form))
        .route("/login/mfa", web::post().to(login::choose))
        .route(
            "/login/mfa/code",
            web::get().to(login::second_factor_code_form),
        )
        .route("/login/mfa/code", web::post().to(login::second_factor_code))
        .route("/login/mfa/enroll", web::post().to(login::enroll_app))
        .route(
            "/login/mfa/enroll/confirm",
            web::post().to(login::confirm_app_enrollment),
        )
        .route(
            "/login/mfa/continue",
            web::post().to(login::continue_sign_in),
        );
    account::routes(cfg);
    api::routes(cfg);
    admin::routes(cfg, admin_sessions);
    for path in cors::CORS_PATHS {
        cfg.route(
            path,
            web::method(actix_web::http::Method::OPTIONS).to(cors::preflight),
        );
    }
    if dev_mode {
        cfg.route("/dev/outbox", web::get().to(dev::outbox))
            .route("/dev/mail", web::get().to(dev::mail))
            .route("/demo", web::get().to(demo::index))
            .route("/demo/login", web::get().to(demo::login))
            .route("/demo/callback", web::get().to(demo::callback));
    }
}

/// Forms are small; a bad one is a 400, never a panic.
pub fn form_config() -> web::FormConfig {
    web::FormConfig::default().limit(16 * 1024)
}

/// The CSP: only ferrid's own scripts and styles, never framed (clickjacking).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Headers every response carries unless the handler set its own. Pages are
/// not cached by default; static files opt in.
pub fn security_headers(dev_mode: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("Cache-Control", "no-store"));
    if dev_mode {
        headers
    } else {
        headers.add((
            "Strict-Transport-Security",
            "max-age=31536000; includeSubDomains",
        ))
    }
}

/// Announces how long the server keeps an idle connection open (RFC 9112
/// §9.3, the `Keep-Alive` header of RFC 2068 §19.7.1 that clients still
/// read), so that a client pool retires a connection before the server
/// closes it instead of sending a request on a connection being closed.
pub async fn keep_alive_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let persistent = req.version() == actix_web::http::Version::HTTP_11
        && !req
            .headers()
            .get(actix_web::http::header::CONNECTION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("close"));
    let timeout = req
        .app_data::<web::Data<crate::app::AppState>>()
        .map(|state| state.settings.http.keep_alive.0.as_secs());
    let mut res = next.call(req).await?;
    if let (true, Some(secs)) = (persistent, timeout)
        && let Ok(value) = HeaderValue::from_str(&format!("timeout={secs}"))
    {
        res.headers_mut()
            .insert(HeaderName::from_static("keep-alive"), value);
    }
    Ok(res)
}

/// Echoes the request id in `x-request-id`, so that a user can quote it and
/// an operator can find the request's log lines.
pub async fn request_id_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let mut res = next.call(req).await?;
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(res)
}
