use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, CACHE_CONTROL, PRAGMA, WWW_AUTHENTICATE};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::token::{TokenError, TokenRequest, token as token_use_case};
use crate::startup::AppState;

/// `POST /token`.
pub async fn token(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let request = match parse(&req, &body) {
        Ok(r) => r,
        Err(e) => return oauth_error(&e),
    };
    match token_use_case(&state, request).await {
        Ok(response) => HttpResponse::Ok()
            .insert_header((CACHE_CONTROL, "no-store"))
            .insert_header((PRAGMA, "no-cache"))
            .json(response),
        Err(TokenError::OAuth(e)) => oauth_error(&e),
        Err(TokenError::Unexpected(e)) => {
            tracing::error!(error = ?e, "token request failed");
            oauth_error(&OAuthError::new(
                ErrorCode::ServerError,
                "The request could not be completed",
            ))
        }
    }
}

/// RFC 6749 §5.2: 400 with a JSON body; `invalid_client` is 401 with a challenge.
fn oauth_error(e: &OAuthError) -> HttpResponse {
    let mut res = match e.code {
        ErrorCode::InvalidClient => {
            let mut r = HttpResponse::build(StatusCode::UNAUTHORIZED);
            r.insert_header((WWW_AUTHENTICATE, "Basic realm=\"ferrid\""));
            r
        }
        ErrorCode::ServerError => HttpResponse::build(StatusCode::INTERNAL_SERVER_ERROR),
        _ => HttpResponse::build(StatusCode::BAD_REQUEST),
    };
    res.insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((PRAGMA, "no-cache"))
        .json(e.to_json())
}

fn parse(req: &HttpRequest, body: &[u8]) -> Result<TokenRequest, OAuthError> {
    let bad = |d| OAuthError::new(ErrorCode::InvalidRequest, d);
    let is_form = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(bad("The request must be application/x-www-form-urlencoded"));
    }
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|_| bad("The request body is malformed"))?;
    let mut request = TokenRequest::default();
    for (k, v) in pairs {
        let slot = match k.as_str() {
            "grant_type" => &mut request.grant_type,
            "code" => &mut request.code,
            "redirect_uri" => &mut request.redirect_uri,
            "code_verifier" => &mut request.code_verifier,
            "client_id" => &mut request.client_id,
            "client_secret" => &mut request.client_secret,
            _ => continue,
        };
        // RFC 6749 §3.2: parameters must not be included more than once.
        if slot.replace(v).is_some() {
            return Err(bad("A parameter was given more than once"));
        }
    }
    if let Some(header) = req.headers().get(AUTHORIZATION) {
        let value = header
            .to_str()
            .map_err(|_| bad("The Authorization header is malformed"))?;
        if let Some(encoded) = value
            .strip_prefix("Basic ")
            .or_else(|| value.strip_prefix("basic "))
        {
            request.basic = Some(parse_basic(encoded.trim()).ok_or_else(|| {
                OAuthError::new(
                    ErrorCode::InvalidClient,
                    "The Basic credentials are malformed",
                )
            })?);
        }
    }
    Ok(request)
}

/// RFC 6749 §2.3.1: id and secret are form-urlencoded, then joined by `:`.
fn parse_basic(encoded: &str) -> Option<(String, String)> {
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
            .ok()
            .and_then(|mut v| v.pop())
            .map(|(_, v)| v)
    };
    Some((unescape(id)?, unescape(secret)?))
}
