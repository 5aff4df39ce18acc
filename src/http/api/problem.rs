//! RFC 9457 problem details: every error of the management API.

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// An RFC 9457 problem (`application/problem+json`).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`about:blank` when the status says it all).
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// What was wrong with the input, one entry per parameter or reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub invalid_params: Vec<InvalidParam>,
    /// The bearer challenge to send with a 401 or 403 (RFC 6750 §3).
    #[serde(skip)]
    #[schema(ignore)]
    challenge: Option<String>,
}

/// One thing wrong with the input.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InvalidParam {
    pub name: String,
    pub reason: String,
}

impl InvalidParam {
    pub fn new(name: impl Into<String>, reason: impl ToString) -> Self {
        Self {
            name: name.into(),
            reason: reason.to_string(),
        }
    }
}

impl Problem {
    fn new(status: StatusCode, kind: &'static str, detail: impl Into<String>) -> Self {
        Self {
            kind,
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: detail.into(),
            invalid_params: Vec::new(),
            challenge: None,
        }
    }

    /// 401: no valid bearer token.
    pub fn unauthorized(error: Option<&str>, detail: &str) -> Self {
        let challenge = match error {
            Some(code) => {
                format!("Bearer realm=\"ferrid\", error=\"{code}\", error_description=\"{detail}\"")
            }
            None => "Bearer realm=\"ferrid\"".to_owned(),
        };
        Self {
            challenge: Some(challenge),
            ..Self::new(StatusCode::UNAUTHORIZED, "about:blank", detail)
        }
    }

    /// 403: the token lacks the scope (RFC 6750 §3.1 `insufficient_scope`).
    pub fn forbidden(scope: &str) -> Self {
        Self {
            challenge: Some(format!(
                "Bearer realm=\"ferrid\", error=\"insufficient_scope\", scope=\"{scope}\""
            )),
            ..Self::new(
                StatusCode::FORBIDDEN,
                "about:blank",
                format!("This needs the scope {scope} (or ferrid:admin)"),
            )
        }
    }

    /// 400: input that cannot be read, with what was wrong.
    pub fn bad_request(detail: impl Into<String>, invalid: Vec<InvalidParam>) -> Self {
        Self {
            invalid_params: invalid,
            ..Self::new(
                StatusCode::BAD_REQUEST,
                "urn:ferrid:problem:invalid-request",
                detail,
            )
        }
    }

    /// 400 about one parameter.
    pub fn invalid(name: &str, reason: impl ToString) -> Self {
        let param = InvalidParam::new(name, reason);
        Self::bad_request(
            format!("`{name}` is invalid: {}", param.reason),
            vec![param],
        )
    }

    /// 422: well formed, but it cannot be done as asked; every reason listed.
    pub fn unprocessable(detail: impl Into<String>, invalid: Vec<InvalidParam>) -> Self {
        Self {
            invalid_params: invalid,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "urn:ferrid:problem:validation-failed",
                detail,
            )
        }
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "about:blank", detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "urn:ferrid:problem:conflict", detail)
    }

    pub fn too_many_requests(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "urn:ferrid:problem:rate-limited",
            detail,
        )
    }

    pub fn bad_gateway(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_GATEWAY,
            "urn:ferrid:problem:delivery-failed",
            detail,
        )
    }

    /// 500 (or 503 while the database is away): the cause goes to the log,
    /// never to the caller.
    pub fn unexpected(e: &anyhow::Error) -> Self {
        if crate::http::errors::is_unavailable(e) {
            tracing::warn!(error = %e, "the database is unavailable");
            return Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "about:blank",
                "ferrid is temporarily unavailable; try again shortly",
            );
        }
        tracing::error!(error = ?e, "a management API request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "about:blank",
            "Something went wrong on ferrid's side",
        )
    }
}

impl From<anyhow::Error> for Problem {
    fn from(e: anyhow::Error) -> Self {
        Self::unexpected(&e)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.title, self.detail)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((CONTENT_TYPE, "application/problem+json"))
            .insert_header((CACHE_CONTROL, "no-store"));
        if let Some(challenge) = &self.challenge {
            res.insert_header((WWW_AUTHENTICATE, challenge.as_str()));
        }
        if self.status == 503 {
            crate::http::errors::with_retry_after(
                res.json(self),
                crate::http::errors::RETRY_AFTER_SECS,
            )
        } else {
            // The content type set above stays; a body that cannot be
            // serialized answers 500 rather than an empty problem.
            res.json(self)
        }
    }
}
