//! Reading a form-encoded OAuth request: its parameters (each at most once,
//! RFC 6749 §3.2) and the client's credentials (RFC 6749 §2.3.1).

use actix_web::HttpRequest;
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::collections::HashMap;

use crate::oidc::client_auth::ClientCredentials;
use crate::oidc::error::{ErrorCode, OAuthError};

/// A form's parameters, by name.
pub struct OAuthForm {
    pub params: HashMap<String, String>,
    pub credentials: ClientCredentials,
}

impl OAuthForm {
    pub fn take(&mut self, name: &str) -> Option<String> {
        self.params.remove(name)
    }
}

/// Parses the body and the Authorization header.
pub fn parse_form(req: &HttpRequest, body: &[u8]) -> Result<OAuthForm, OAuthError> {
    let bad = |d| OAuthError::new(ErrorCode::InvalidRequest, d);
    let is_form = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(bad("The request must be application/x-www-form-urlencoded"));
    }
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|_| bad("The request body is malformed"))?;
    let mut params = HashMap::new();
    for (k, v) in pairs {
        if params.insert(k, v).is_some() {
            return Err(bad("A parameter was given more than once"));
        }
    }
    let mut credentials = ClientCredentials {
        client_id: params.remove("client_id"),
        client_secret: params.remove("client_secret"),
        basic: None,
    };
    if let Some(header) = req.headers().get(AUTHORIZATION) {
        let value = header
            .to_str()
            .map_err(|_| bad("The Authorization header is malformed"))?;
        if let Some(encoded) = value
            .strip_prefix("Basic ")
            .or_else(|| value.strip_prefix("basic "))
        {
            credentials.basic = Some(parse_basic(encoded.trim()).ok_or_else(|| {
                OAuthError::new(
                    ErrorCode::InvalidClient,
                    "The Basic credentials are malformed",
                )
            })?);
        }
    }
    Ok(OAuthForm {
        params,
        credentials,
    })
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
