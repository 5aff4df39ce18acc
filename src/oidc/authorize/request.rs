//! Parsing an authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1)
//! into a typed `AuthorizationRequest`, before anything is decided.

use std::collections::HashMap;

use super::{AuthorizationResponse, UntrustedRequest, error_response};
use crate::app::AppState;
use crate::domain::{
    AcrRequest, AuthorizationRequest, ClientId, ClientType, CodeChallenge, GrantType, PhoneNumber,
    Prompt, ResponseMode, Scope, scope_of_claim,
};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::{id_token_hint, request_limits};

/// What the parameters of an authorization request amount to.
#[derive(Debug)]
pub enum Parsed {
    /// The client or its redirect URI cannot be trusted: ferrid's own page.
    Untrusted(UntrustedRequest),
    /// The redirect URI is trusted but the request is not valid: the error
    /// goes back to the client.
    Invalid(AuthorizationResponse),
    Valid(Box<AuthorizationRequest>),
}

/// Parses an authorization request given as name/value pairs (query or form).
pub async fn parse(state: &AppState, params: &[(String, String)]) -> anyhow::Result<Parsed> {
    let mut map: HashMap<&str, &str> = HashMap::new();
    let mut duplicated = false;
    for (k, v) in params {
        // RFC 6749 §3.1: parameters must not be included more than once.
        if map.insert(k.as_str(), v.as_str()).is_some() {
            duplicated = true;
        }
    }
    let count = |name: &str| params.iter().filter(|(k, _)| k == name).count();

    let Some(raw_client_id) = map.get("client_id").filter(|v| !v.is_empty()) else {
        return Ok(Parsed::Untrusted(UntrustedRequest::MissingClientId));
    };
    if count("client_id") > 1 {
        return Ok(Parsed::Untrusted(UntrustedRequest::UnknownClient));
    }
    let Ok(client_id) = ClientId::parse(raw_client_id) else {
        return Ok(Parsed::Untrusted(UntrustedRequest::UnknownClient));
    };
    let Some(client) = state.clients.find(&state.db, &client_id).await? else {
        return Ok(Parsed::Untrusted(UntrustedRequest::UnknownClient));
    };
    if count("redirect_uri") > 1 {
        return Ok(Parsed::Untrusted(UntrustedRequest::UnregisteredRedirectUri));
    }
    let redirect_uri = match map.get("redirect_uri") {
        // Exact string comparison, query included (OAuth 2.0 Security BCP §4.1.3).
        Some(given) => match client.redirect_uris.iter().find(|r| r.as_str() == *given) {
            Some(r) => r.clone(),
            None => {
                return Ok(Parsed::Untrusted(UntrustedRequest::UnregisteredRedirectUri));
            }
        },
        None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
        None => {
            return Ok(Parsed::Untrusted(UntrustedRequest::MissingRedirectUri));
        }
    };

    // From here on the redirect URI is trusted: errors go back to it.
    let oversized = request_limits::oversized_parameter(params);
    // An oversized state is not echoed back: the error would carry it.
    let state_param = map
        .get("state")
        .filter(|_| !matches!(oversized, Some(("state", _))))
        .map(|s| (*s).to_owned());
    let response_mode = match map.get("response_mode") {
        Some(&"form_post") => ResponseMode::FormPost,
        _ => ResponseMode::Query,
    };
    let fail = |code: ErrorCode, description: &'static str| {
        Ok(Parsed::Invalid(error_response(
            redirect_uri.as_str(),
            response_mode,
            &OAuthError::new(code, description),
            state_param.as_deref(),
            state.settings.issuer_base(),
        )))
    };

    if duplicated {
        return fail(
            ErrorCode::InvalidRequest,
            "A parameter was given more than once",
        );
    }
    if map.contains_key("request") {
        return fail(
            ErrorCode::RequestNotSupported,
            "Request objects are not supported",
        );
    }
    if map.contains_key("request_uri") {
        return fail(
            ErrorCode::RequestUriNotSupported,
            "The request_uri parameter is not supported",
        );
    }
    if let Some((_, description)) = oversized {
        return fail(ErrorCode::InvalidRequest, description);
    }
    match map.get("response_type") {
        None | Some(&"") => {
            return fail(
                ErrorCode::InvalidRequest,
                "The response_type parameter is missing",
            );
        }
        Some(&"code") => {}
        Some(_) => {
            return fail(
                ErrorCode::UnsupportedResponseType,
                "Only response_type=code is supported",
            );
        }
    }
    if let Some(mode) = map.get("response_mode")
        && !matches!(*mode, "query" | "form_post")
    {
        return fail(
            ErrorCode::InvalidRequest,
            "Only response_mode query and form_post are supported",
        );
    }
    let mut scope = Scope::parse_known(map.get("scope").copied().unwrap_or(""));
    if !client.grant_types.contains(&GrantType::RefreshToken) {
        // Nothing to be offline with: the client cannot get refresh tokens.
        scope.remove("offline_access");
    }
    if !scope.contains("openid") {
        return fail(ErrorCode::InvalidScope, "The openid scope is required");
    }
    if !client.grant_types.contains(&GrantType::AuthorizationCode) {
        return fail(
            ErrorCode::UnauthorizedClient,
            "This client may not use the authorization code flow",
        );
    }
    // The hosted login offers the client's connections; with none there is
    // nothing to sign in with.
    if client.connections.is_empty() {
        return fail(
            ErrorCode::UnauthorizedClient,
            "No sign-in connection is enabled for this client",
        );
    }
    let code_challenge = match parse_code_challenge(
        map.get("code_challenge").copied(),
        map.get("code_challenge_method").copied(),
    ) {
        Ok(challenge) => challenge,
        Err(description) => return fail(ErrorCode::InvalidRequest, description),
    };
    if client.client_type == ClientType::Public && code_challenge.is_none() {
        return fail(
            ErrorCode::InvalidRequest,
            "Public clients must use PKCE with code_challenge_method=S256",
        );
    }
    let prompt = match parse_prompt(map.get("prompt").copied()) {
        Ok(p) => p,
        Err(description) => return fail(ErrorCode::InvalidRequest, description),
    };
    let id_token_claims = match map.get("claims").map(|c| parse_claims(c)) {
        None => Vec::new(),
        Some(Ok(claims)) => claims,
        Some(Err(())) => {
            return fail(
                ErrorCode::InvalidRequest,
                "The claims parameter is not valid JSON",
            );
        }
    };
    let acr = match parse_acr(map.get("acr_values").copied(), map.get("claims").copied()) {
        Ok(acr) => acr,
        Err(description) => return fail(ErrorCode::InvalidRequest, description),
    };
    let id_token_hint_sub = match map.get("id_token_hint") {
        None => None,
        Some(hint) => {
            match id_token_hint::verify(&state.keys, state.settings.issuer_base(), hint) {
                Some(h) if h.audience == client.client_id.as_str() => Some(h.sub),
                _ => {
                    return fail(
                        ErrorCode::InvalidRequest,
                        "The id_token_hint is not a valid ID token for this client",
                    );
                }
            }
        }
    };
    let max_age = match map.get("max_age").map(|v| v.parse::<u64>()) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(_)) => {
            return fail(
                ErrorCode::InvalidRequest,
                "The max_age parameter is not a number of seconds",
            );
        }
    };
    // A hint that is not a phone number (an email, say) is ignored.
    let login_hint = map
        .get("login_hint")
        .and_then(|h| PhoneNumber::parse(h, state.settings.otp.default_region.as_deref()).ok())
        .map(|p| p.as_str().to_owned());

    Ok(Parsed::Valid(Box::new(AuthorizationRequest {
        client_id: client.client_id.clone(),
        client_name: client.name.as_str().to_owned(),
        redirect_uri,
        scope,
        state: state_param.clone(),
        nonce: map.get("nonce").map(|s| (*s).to_owned()),
        code_challenge,
        prompt,
        max_age,
        login_hint,
        ui_locales: map.get("ui_locales").map(|s| (*s).to_owned()),
        response_mode,
        id_token_claims,
        id_token_hint_sub,
        first_party: client.first_party,
        require_mfa: client.require_mfa,
        acr,
    })))
}

/// RFC 7636 §4.3: only S256 is accepted; a method without a challenge, or
/// a challenge without a method (which would mean `plain`), is refused.
fn parse_code_challenge(
    challenge: Option<&str>,
    method: Option<&str>,
) -> Result<Option<CodeChallenge>, &'static str> {
    match (challenge, method) {
        (None, None) => Ok(None),
        (Some(challenge), Some("S256")) => CodeChallenge::parse(challenge)
            .map(Some)
            .map_err(|_| "The code_challenge is malformed"),
        (Some(_), _) => Err("Only code_challenge_method=S256 is supported"),
        (None, Some(_)) => Err("The code_challenge parameter is missing"),
    }
}

/// The `id_token` member of the `claims` parameter (OIDC Core §5.5): the
/// names of the user claims asked for, whether essential or voluntary.
/// Other names are dropped: ferrid has nothing to release under them. The
/// `userinfo` member is ignored (§5.5 allows it): UserInfo answers by scope.
fn parse_claims(raw: &str) -> Result<Vec<String>, ()> {
    let value: serde_json::Value = serde_json::from_str(raw).map_err(|_| ())?;
    let object = value.as_object().ok_or(())?;
    let mut names: Vec<String> = object
        .get("id_token")
        .and_then(|v| v.as_object())
        .map(|claims| {
            claims
                .keys()
                .filter(|name| scope_of_claim(name).is_some())
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names.dedup();
    Ok(names)
}

/// The `acr` asked for: `acr_values` (voluntary), or an `acr` member of the
/// `claims` parameter's `id_token` (OIDC Core §5.5.1.1: `value` or
/// `values`, essential or voluntary), which is more precise and wins.
fn parse_acr(acr_values: Option<&str>, claims: Option<&str>) -> Result<AcrRequest, &'static str> {
    let claim = claims
        .and_then(|raw| serde_json::from_str::<serde_json::Value>(raw).ok())
        .and_then(|v| v.get("id_token")?.get("acr").cloned())
        .filter(|v| !v.is_null());
    if let Some(claim) = claim {
        let essential = claim
            .get("essential")
            .and_then(|e| e.as_bool())
            .unwrap_or(false);
        let values = match (claim.get("value"), claim.get("values")) {
            (Some(serde_json::Value::String(v)), None) => vec![v.clone()],
            (None, Some(serde_json::Value::Array(vs))) => vs
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or("The acr claim's values must be strings")?,
            (None, None) => Vec::new(),
            _ => return Err("The acr claim must have a string value or an array of values"),
        };
        return Ok(AcrRequest { values, essential });
    }
    Ok(AcrRequest {
        values: acr_values
            .map(|v| {
                v.split(' ')
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        essential: false,
    })
}

fn parse_prompt(raw: Option<&str>) -> Result<Prompt, &'static str> {
    let Some(raw) = raw else {
        return Ok(Prompt::default());
    };
    let values: Vec<&str> = raw.split(' ').filter(|v| !v.is_empty()).collect();
    if values
        .iter()
        .any(|v| !matches!(*v, "none" | "login" | "consent" | "select_account"))
    {
        return Err("The prompt parameter has an unknown value");
    }
    if values.contains(&"none") && values.len() > 1 {
        return Err("prompt=none cannot be combined with other values");
    }
    Ok(Prompt {
        none: values.contains(&"none"),
        login: values.contains(&"login"),
        consent: values.contains(&"consent"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_values_parse_and_none_stands_alone() {
        assert_eq!(parse_prompt(None), Ok(Prompt::default()));
        assert!(parse_prompt(Some("none")).unwrap().none);
        let both = parse_prompt(Some("login consent")).unwrap();
        assert!(both.login && both.consent && !both.none);
        assert_eq!(parse_prompt(Some("select_account")), Ok(Prompt::default()));
        assert!(parse_prompt(Some("none login")).is_err());
        assert!(parse_prompt(Some("sometimes")).is_err());
    }

    #[test]
    fn the_claims_parameter_yields_the_id_token_claim_names() {
        let claims = parse_claims(
            r#"{"id_token":{"phone_number":{"essential":true}},"userinfo":{"email":null}}"#,
        )
        .unwrap();
        assert_eq!(claims, vec!["phone_number".to_owned()]);
        assert!(parse_claims("not json").is_err());
        assert_eq!(
            parse_claims(r#"{"userinfo":{}}"#).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            parse_claims(r#"{"id_token":{"acr":null,"email":null,"phone_number":null}}"#).unwrap(),
            vec!["email".to_owned(), "phone_number".to_owned()]
        );
    }

    #[test]
    fn only_an_s256_challenge_is_accepted() {
        let good = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(parse_code_challenge(None, None), Ok(None));
        assert!(matches!(
            parse_code_challenge(Some(good), Some("S256")),
            Ok(Some(_))
        ));
        assert_eq!(
            parse_code_challenge(Some("short"), Some("S256")),
            Err("The code_challenge is malformed")
        );
        for method in [None, Some("plain"), Some("other")] {
            assert_eq!(
                parse_code_challenge(Some(good), method),
                Err("Only code_challenge_method=S256 is supported")
            );
        }
        assert_eq!(
            parse_code_challenge(None, Some("S256")),
            Err("The code_challenge parameter is missing")
        );
    }
}
