use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::app::AppState;
use crate::oidc::userinfo::{UserInfoError, userinfo};

/// `GET /userinfo`: bearer token in the Authorization header.
pub async fn userinfo_get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match bearer(&req) {
        Ok(token) => respond(&state, token.as_deref()).await,
        Err(MalformedHeader) => malformed_header(),
    }
}

/// `POST /userinfo`: the header, or `access_token` in a form body (RFC 6750 §2.2).
pub async fn userinfo_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let header = match bearer(&req) {
        Ok(token) => token,
        Err(MalformedHeader) => return malformed_header(),
    };
    let is_form = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let form_token = if is_form {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .unwrap_or_default()
            .into_iter()
            .find(|(k, _)| k == "access_token")
            .map(|(_, v)| v)
    } else {
        None
    };
    match (header, form_token) {
        // RFC 6750 §2: a client must not use more than one method.
        (Some(_), Some(_)) => challenge(
            StatusCode::BAD_REQUEST,
            Some(("invalid_request", "Use only one way of sending the token")),
        ),
        (Some(t), None) | (None, Some(t)) => respond(&state, Some(&t)).await,
        (None, None) => respond(&state, None).await,
    }
}

struct MalformedHeader;

fn malformed_header() -> HttpResponse {
    challenge(
        StatusCode::BAD_REQUEST,
        Some(("invalid_request", "The Authorization header is malformed")),
    )
}

fn bearer(req: &HttpRequest) -> Result<Option<String>, MalformedHeader> {
    let Some(value) = req.headers().get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| MalformedHeader)?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
            Ok(Some(token.trim().to_owned()))
        }
        _ => Ok(None),
    }
}

async fn respond(state: &AppState, token: Option<&str>) -> HttpResponse {
    match userinfo(state, token).await {
        Ok(claims) => HttpResponse::Ok()
            .insert_header((CACHE_CONTROL, "no-store"))
            .json(claims),
        // RFC 6750 §3.1: no token at all gets a bare challenge.
        Err(UserInfoError::MissingToken) => challenge(StatusCode::UNAUTHORIZED, None),
        Err(UserInfoError::InvalidToken(description)) => challenge(
            StatusCode::UNAUTHORIZED,
            Some(("invalid_token", description)),
        ),
        Err(UserInfoError::Unexpected(e)) if crate::http::errors::is_unavailable(&e) => {
            tracing::warn!(error = %e, "the database is unavailable");
            crate::http::errors::with_retry_after(
                HttpResponse::ServiceUnavailable()
                    .json(serde_json::json!({ "error": "temporarily_unavailable" })),
                crate::http::errors::RETRY_AFTER_SECS,
            )
        }
        Err(UserInfoError::Unexpected(e)) => {
            tracing::error!(error = ?e, "userinfo failed");
            HttpResponse::InternalServerError().json(serde_json::json!({ "error": "server_error" }))
        }
    }
}

fn challenge(status: StatusCode, error: Option<(&str, &str)>) -> HttpResponse {
    let value = match error {
        Some((code, description)) => {
            format!(
                "Bearer realm=\"ferrid\", error=\"{code}\", error_description=\"{description}\""
            )
        }
        None => "Bearer realm=\"ferrid\"".to_owned(),
    };
    let mut res = HttpResponse::build(status);
    res.insert_header((WWW_AUTHENTICATE, value))
        .insert_header((CACHE_CONTROL, "no-store"));
    match error {
        Some((code, description)) => {
            res.json(serde_json::json!({ "error": code, "error_description": description }))
        }
        None => res.finish(),
    }
}
