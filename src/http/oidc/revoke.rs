use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpRequest, HttpResponse, web};

use super::credentials::parse_form;
use super::token::{oauth_error, server_error};
use crate::app::AppState;
use crate::oidc::client_auth::ClientAuthError;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::revoke::{introspect as introspect_use_case, revoke as revoke_use_case};

fn missing_token() -> HttpResponse {
    oauth_error(&OAuthError::new(
        ErrorCode::InvalidRequest,
        "The token parameter is missing",
    ))
}

fn failure(e: ClientAuthError) -> HttpResponse {
    match e {
        ClientAuthError::OAuth(e) => oauth_error(&e),
        ClientAuthError::Unexpected(e) => server_error(&e),
    }
}

/// `POST /revoke` (RFC 7009).
pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let mut form = match parse_form(&req, &body) {
        Ok(f) => f,
        Err(e) => return oauth_error(&e),
    };
    let Some(token) = form.take("token") else {
        return missing_token();
    };
    match revoke_use_case(&state, &form.credentials, &token).await {
        Ok(()) => HttpResponse::Ok()
            .insert_header((CACHE_CONTROL, "no-store"))
            .finish(),
        Err(e) => failure(e),
    }
}

/// `POST /introspect` (RFC 7662).
pub async fn introspect(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let mut form = match parse_form(&req, &body) {
        Ok(f) => f,
        Err(e) => return oauth_error(&e),
    };
    let Some(token) = form.take("token") else {
        return missing_token();
    };
    match introspect_use_case(&state, &form.credentials, &token).await {
        Ok(body) => HttpResponse::Ok()
            .insert_header((CACHE_CONTROL, "no-store"))
            .json(body),
        Err(e) => failure(e),
    }
}
