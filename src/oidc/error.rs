//! OAuth 2.0 / OpenID Connect error responses, named after their RFC codes.

/// The `error` codes of RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1 and OIDC Core §3.1.2.6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    UnauthorizedClient,
    AccessDenied,
    UnsupportedResponseType,
    InvalidScope,
    ServerError,
    TemporarilyUnavailable,
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    InvalidClient,
    InvalidGrant,
    UnsupportedGrantType,
    InvalidToken,
    /// The `acr` asked for as essential cannot be reached (OpenID Connect
    /// Core Error Code `unmet_authentication_requirements`).
    UnmetAuthenticationRequirements,
    /// Not an RFC code: Auth0's answer (HTTP 403) when a grant that proves
    /// one factor would sign in a user who must prove two.
    MfaRequired,
    /// Not an RFC code: a send limit at `/passwordless/start` (HTTP 429).
    TooManyRequests,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InteractionRequired => "interaction_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidToken => "invalid_token",
            Self::UnmetAuthenticationRequirements => "unmet_authentication_requirements",
            Self::MfaRequired => "mfa_required",
            Self::TooManyRequests => "too_many_requests",
        }
    }
}

/// An error for the client: its code and a description. Descriptions are
/// fixed English text in printable ASCII without `"` or `\` (RFC 6749
/// §4.1.2.1 restricts the character set; they are never translated).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: &'static str,
}

impl OAuthError {
    pub const fn new(code: ErrorCode, description: &'static str) -> Self {
        Self { code, description }
    }

    /// The JSON body of RFC 6749 §5.2.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "error": self.code.as_str(), "error_description": self.description })
    }
}
