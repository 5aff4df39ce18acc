//! The authorization request once parsed (RFC 6749 §4.1.1, OIDC Core
//! §3.1.2.1): what the login transaction keeps while the user signs in.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{ClientId, MFA_ACR, RedirectUri, Scope, uncovered_claims};

/// A validated authorization request: its client is known and its redirect
/// URI registered, so errors about it may go back to that URI.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: ClientId,
    pub client_name: String,
    pub redirect_uri: RedirectUri,
    pub scope: Scope,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<CodeChallenge>,
    pub prompt: Prompt,
    pub max_age: Option<u64>,
    /// A phone number in E.164 from `login_hint`, to pre-fill the form.
    pub login_hint: Option<String>,
    pub ui_locales: Option<String>,
    pub response_mode: ResponseMode,
    /// Claims asked for in the ID token through the `claims` parameter.
    pub id_token_claims: Vec<String>,
    /// The `sub` of a valid `id_token_hint`: the user the client expects.
    pub id_token_hint_sub: Option<String>,
    pub first_party: bool,
    /// The client asks for a second factor at every sign-in.
    #[serde(default)]
    pub require_mfa: bool,
    /// The authentication context asked for.
    #[serde(default)]
    pub acr: AcrRequest,
}

/// The `acr` a request asks for (OIDC Core §3.1.2.1 `acr_values`, §5.5.1.1
/// an `acr` claim in the `claims` parameter): values in order of
/// preference, voluntary unless asked as an essential claim.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcrRequest {
    pub values: Vec<String>,
    /// A sign-in that reaches none of the values is an error
    /// (`unmet_authentication_requirements`), not a weaker sign-in.
    pub essential: bool,
}

impl AcrRequest {
    /// Whether the request asks for a second factor.
    pub fn wants_mfa(&self) -> bool {
        self.values.iter().any(|v| v == MFA_ACR)
    }

    /// Whether a sign-in that reached `acr` answers the request.
    pub fn is_met_by(&self, acr: Option<&str>) -> bool {
        !self.essential
            || self.values.is_empty()
            || acr.is_some_and(|acr| self.values.iter().any(|v| v == acr))
    }
}

impl AuthorizationRequest {
    /// The claims of the request that its scope does not cover: the consent
    /// page names them and the consent remembers them.
    pub fn claims_beyond_scope(&self) -> Vec<String> {
        uncovered_claims(&self.scope, &self.id_token_claims)
    }
}

/// What `prompt` asks for (OIDC Core §3.1.2.1). `select_account` needs
/// nothing: a browser has one session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    /// Never show a page; fail with `login_required` or `consent_required`.
    pub none: bool,
    /// Always sign in again.
    pub login: bool,
    /// Always ask for consent.
    pub consent: bool,
}

/// How the response reaches the client (OAuth 2.0 Multiple Response Types
/// §2.1, Form Post Response Mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseMode {
    Query,
    FormPost,
}

/// A PKCE S256 code challenge (RFC 7636 §4.2): BASE64URL(SHA256(verifier)),
/// 43 characters of the base64url alphabet.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CodeChallenge(String);

impl CodeChallenge {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = raw.len() == 43
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err("The code_challenge is malformed".to_owned())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CodeChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CodeChallenge({})", self.0)
    }
}

impl TryFrom<String> for CodeChallenge {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CodeChallenge> for String {
    fn from(value: CodeChallenge) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_challenge_is_43_base64url_characters() {
        assert!(CodeChallenge::parse("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM").is_ok());
        assert!(CodeChallenge::parse("short").is_err());
        assert!(CodeChallenge::parse("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM").is_err());
    }
}
