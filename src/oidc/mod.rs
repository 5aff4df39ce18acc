//! OpenID Connect and OAuth 2.0 use cases: authorize, token, userinfo,
//! discovery, keys, and the errors they answer with.

pub mod api_token;
pub mod authorize;
pub mod claims;
pub mod client_auth;
pub mod cors;
pub mod discovery;
pub mod end_session;
pub mod error;
pub mod id_token_hint;
pub mod keys;
pub mod passwordless;
pub mod request_limits;
pub mod revoke;
pub mod token;
pub mod token_family;
pub mod userinfo;

/// The `aud` of ferrid's access tokens: its own UserInfo endpoint, the only
/// resource they are for (RFC 9068 §3: a default resource when none is asked).
pub fn access_token_audience(issuer: &str) -> String {
    format!("{issuer}/userinfo")
}
