use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};

use super::token::{oauth_error, server_error};
use crate::app::AppState;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::passwordless::{StartError, StartRequest, start};

/// `POST /passwordless/start` (JSON, Auth0's shape).
pub async fn passwordless_start(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    // Only JSON: a form, multipart or text/plain body is a "simple" request
    // that any web page can make a visitor's browser send cross-origin,
    // without a CORS preflight (Fetch standard, CORS-safelisted request
    // headers), which would let it send codes from visitors' addresses.
    if !is_json(&req) {
        let mut res = oauth_error(&OAuthError::new(
            ErrorCode::InvalidRequest,
            "The body must be JSON, with Content-Type: application/json",
        ));
        *res.status_mut() = StatusCode::UNSUPPORTED_MEDIA_TYPE;
        return res;
    }
    let Ok(request) = serde_json::from_slice::<StartRequest>(&body) else {
        return oauth_error(&OAuthError::new(
            ErrorCode::InvalidRequest,
            "The body must be a JSON object",
        ));
    };
    let ip = crate::http::client_ip::client_ip(&req, &state.settings.trusted_proxies);
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    // Auth0's header first, then the browser's languages.
    let languages = (header("x-request-language"), header("accept-language"));
    match start(&state, request, ip.as_deref(), languages.0, languages.1).await {
        Ok(started) => HttpResponse::Ok()
            .insert_header((CACHE_CONTROL, "no-store"))
            .json(started),
        Err(StartError::OAuth(e)) => oauth_error(&e),
        Err(StartError::TooManyRequests) => oauth_error(&OAuthError::new(
            ErrorCode::TooManyRequests,
            "Too many codes were requested; try again later",
        )),
        // The provider failed, or its breaker is open for a minute.
        Err(StartError::NotDelivered) => crate::http::errors::with_retry_after(
            oauth_error(&OAuthError::new(
                ErrorCode::TemporarilyUnavailable,
                "The code could not be sent; try again in a minute or use another method",
            )),
            60,
        ),
        Err(StartError::Unexpected(e)) => server_error(&e),
    }
}

/// Whether the request says its body is JSON (`application/json`, any parameters).
fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}
