//! CORS for the endpoints browsers call directly (token, userinfo, revoke,
//! JWKS, discovery): only origins registered on a client get the headers;
//! any other origin gets none, so the browser blocks the response.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};

use crate::app::AppState;
use crate::oidc;

/// The paths that answer cross-origin requests.
pub const CORS_PATHS: &[&str] = &[
    "/token",
    "/oauth/token",
    "/userinfo",
    "/revoke",
    "/jwks.json",
    "/.well-known/openid-configuration",
    "/passwordless/start",
];

/// `OPTIONS` on a CORS path: the middleware adds the headers when the origin is allowed.
pub async fn preflight() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

/// Adds CORS headers for registered origins on the CORS paths.
pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let origin = CORS_PATHS
        .contains(&req.path())
        .then(|| {
            req.headers()
                .get(header::ORIGIN)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
        .flatten();
    let allowed = match (&origin, req.app_data::<web::Data<AppState>>()) {
        (Some(origin), Some(state)) => oidc::cors::origin_allowed(&state.db, origin)
            .await
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "checking a CORS origin failed");
                false
            }),
        _ => false,
    };
    let preflight = req.method() == actix_web::http::Method::OPTIONS;
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let (true, Some(origin)) = (allowed, origin)
        && let Ok(value) = HeaderValue::from_str(&origin)
    {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        if preflight {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST, OPTIONS"),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("authorization, content-type, x-request-language"),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
        }
    }
    Ok(res)
}
