use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, PRAGMA, WWW_AUTHENTICATE};
use actix_web::{HttpRequest, HttpResponse, web};

use super::credentials::parse_form;
use crate::app::AppState;
use crate::http::errors;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::token::{TokenError, TokenRequest, token as token_use_case};

/// `POST /token` (and `/oauth/token`).
pub async fn token(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let mut form = match parse_form(&req, &body) {
        Ok(f) => f,
        Err(e) => return oauth_error(&e),
    };
    let request = TokenRequest {
        grant_type: form.take("grant_type"),
        code: form.take("code"),
        redirect_uri: form.take("redirect_uri"),
        code_verifier: form.take("code_verifier"),
        refresh_token: form.take("refresh_token"),
        scope: form.take("scope"),
        username: form.take("username"),
        otp: form.take("otp"),
        realm: form.take("realm"),
        ip: crate::http::client_ip::client_ip(&req, &state.settings.trusted_proxies),
        credentials: form.credentials,
    };
    match token_use_case(&state, request).await {
        Ok(response) => HttpResponse::Ok()
            .insert_header((CACHE_CONTROL, "no-store"))
            .insert_header((PRAGMA, "no-cache"))
            .json(response),
        Err(TokenError::OAuth(e)) => oauth_error(&e),
        Err(TokenError::Unexpected(e)) => server_error(&e),
    }
}

/// An unexpected failure as RFC 6749 §5.2 JSON. The database being away is
/// `temporarily_unavailable` (RFC 6749 §4.1.2.1), 503 with `Retry-After`.
pub(super) fn server_error(e: &anyhow::Error) -> HttpResponse {
    if errors::is_unavailable(e) {
        tracing::warn!(error = %e, "the database is unavailable");
        return errors::with_retry_after(
            oauth_error(&OAuthError::new(
                ErrorCode::TemporarilyUnavailable,
                "The service is temporarily unavailable; try again shortly",
            )),
            errors::RETRY_AFTER_SECS,
        );
    }
    tracing::error!(error = ?e, "OAuth request failed");
    oauth_error(&OAuthError::new(
        ErrorCode::ServerError,
        "The request could not be completed",
    ))
}

/// RFC 6749 §5.2: 400 with a JSON body; `invalid_client` is 401 with a challenge.
pub(super) fn oauth_error(e: &OAuthError) -> HttpResponse {
    let mut res = match e.code {
        ErrorCode::InvalidClient => {
            let mut r = HttpResponse::build(StatusCode::UNAUTHORIZED);
            r.insert_header((WWW_AUTHENTICATE, "Basic realm=\"ferrid\""));
            r
        }
        ErrorCode::ServerError => HttpResponse::build(StatusCode::INTERNAL_SERVER_ERROR),
        ErrorCode::TooManyRequests => HttpResponse::build(StatusCode::TOO_MANY_REQUESTS),
        ErrorCode::MfaRequired => HttpResponse::build(StatusCode::FORBIDDEN),
        ErrorCode::TemporarilyUnavailable => HttpResponse::build(StatusCode::SERVICE_UNAVAILABLE),
        _ => HttpResponse::build(StatusCode::BAD_REQUEST),
    };
    res.insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((PRAGMA, "no-cache"))
        .json(e.to_json())
}
