//! The authorization endpoint's rules (RFC 6749 §4.1.1, OIDC Core §3.1.2).

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use url::Url;

use super::error::{ErrorCode, OAuthError};
use crate::app::AppState;
use crate::crypto::{random_token, sha256_hex};
use crate::domain::{ClientId, ClientType, GrantType, PhoneNumber, Scope};
use crate::login::Begun;
use crate::store::{self, authorization_codes::CodeGrant, sso_sessions::SsoSession};

/// A validated authorization request, kept in the login transaction while
/// the user signs in.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub client_name: String,
    pub redirect_uri: String,
    pub scope: Scope,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
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

/// The authorization response: parameters for the client's redirect URI,
/// sent in the query or as an auto-submitted form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationResponse {
    pub redirect_uri: String,
    pub params: Vec<(String, String)>,
    pub mode: ResponseMode,
}

impl AuthorizationResponse {
    /// The redirect URI with the parameters in its query (its own query kept).
    pub fn to_query_url(&self) -> anyhow::Result<Url> {
        let mut url = Url::parse(&self.redirect_uri)?;
        {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in &self.params {
                pairs.append_pair(k, v);
            }
        }
        Ok(url)
    }

    fn error(request: &AuthorizationRequest, error: &OAuthError, issuer: &str) -> Self {
        error_response(
            &request.redirect_uri,
            request.response_mode,
            error,
            request.state.as_deref(),
            issuer,
        )
    }
}

/// The `acr` of a sign-in with an SMS code.
pub const ACR_SMS: &str = "urn:ferrid:acr:sms";

/// Why the request cannot even be answered at the redirect URI: shown on
/// ferrid's own error page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UntrustedRequest {
    MissingClientId,
    UnknownClient,
    MissingRedirectUri,
    UnregisteredRedirectUri,
}

impl UntrustedRequest {
    pub fn message(self) -> &'static str {
        match self {
            Self::MissingClientId => {
                "The application did not say who it is (client_id is missing)."
            }
            Self::UnknownClient => {
                "The application that sent you here is not registered with this sign-in service."
            }
            Self::MissingRedirectUri => {
                "The application did not say where to send you back (redirect_uri is missing)."
            }
            Self::UnregisteredRedirectUri => {
                "The application asked to send you back to an address it has not registered, so we stopped here."
            }
        }
    }
}

/// The result of an authorization request.
#[derive(Debug)]
pub enum AuthorizeOutcome {
    /// OIDC Core §3.1.2.6: before the client and its redirect URI are
    /// trusted, an error must not be sent to the URI — an attacker could
    /// otherwise use ferrid as an open redirector.
    Untrusted(UntrustedRequest),
    /// Back to the application: with a code, or with an error.
    Respond(AuthorizationResponse),
    /// The user must sign in; the browser keeps the transaction id.
    Login { transaction_id: String },
    /// Signed in, but the user must allow the client first.
    Consent { transaction_id: String },
    /// This address already has `login.max_pending_per_ip` sign-ins
    /// pending: nothing is stored, ferrid's own page says so (429).
    TooManyPending,
}

/// Handles an authorization request given as name/value pairs (query or
/// form). `session_token` is the SSO cookie's value, if any; `client_ip`
/// counts the sign-ins this address keeps pending.
pub async fn authorize(
    state: &AppState,
    params: &[(String, String)],
    session_token: Option<&str>,
    client_ip: Option<&str>,
) -> anyhow::Result<AuthorizeOutcome> {
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
        return Ok(AuthorizeOutcome::Untrusted(
            UntrustedRequest::MissingClientId,
        ));
    };
    if count("client_id") > 1 {
        return Ok(AuthorizeOutcome::Untrusted(UntrustedRequest::UnknownClient));
    }
    let Ok(client_id) = ClientId::parse(raw_client_id) else {
        return Ok(AuthorizeOutcome::Untrusted(UntrustedRequest::UnknownClient));
    };
    let Some(client) = store::clients::find_by_client_id(&state.db, &client_id).await? else {
        return Ok(AuthorizeOutcome::Untrusted(UntrustedRequest::UnknownClient));
    };
    if count("redirect_uri") > 1 {
        return Ok(AuthorizeOutcome::Untrusted(
            UntrustedRequest::UnregisteredRedirectUri,
        ));
    }
    let redirect_uri = match map.get("redirect_uri") {
        // Exact string comparison, query included (OAuth 2.0 Security BCP §4.1.3).
        Some(given) => match client.redirect_uris.iter().find(|r| r.as_str() == *given) {
            Some(r) => r.clone(),
            None => {
                return Ok(AuthorizeOutcome::Untrusted(
                    UntrustedRequest::UnregisteredRedirectUri,
                ));
            }
        },
        None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
        None => {
            return Ok(AuthorizeOutcome::Untrusted(
                UntrustedRequest::MissingRedirectUri,
            ));
        }
    };

    // From here on the redirect URI is trusted: errors go back to it.
    let oversized = super::request_limits::oversized_parameter(params);
    // An oversized state is not echoed back: the error would carry it.
    let state_param = map
        .get("state")
        .filter(|_| !matches!(oversized, Some(("state", _))))
        .map(|s| (*s).to_owned());
    let issuer = state.settings.issuer_base();
    let response_mode = match map.get("response_mode") {
        Some(&"form_post") => ResponseMode::FormPost,
        _ => ResponseMode::Query,
    };
    let fail = |code: ErrorCode, description: &'static str| {
        Ok(AuthorizeOutcome::Respond(error_response(
            redirect_uri.as_str(),
            response_mode,
            &OAuthError::new(code, description),
            state_param.as_deref(),
            issuer,
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
    if !client.connections.iter().any(|c| c == "sms") {
        return fail(
            ErrorCode::UnauthorizedClient,
            "No sign-in connection is enabled for this client",
        );
    }
    let code_challenge = match (map.get("code_challenge"), map.get("code_challenge_method")) {
        (None, None) => None,
        (Some(challenge), Some(&"S256")) if is_s256_challenge(challenge) => {
            Some((*challenge).to_owned())
        }
        (Some(_), Some(&"S256")) => {
            return fail(ErrorCode::InvalidRequest, "The code_challenge is malformed");
        }
        (Some(_), None) | (Some(_), Some(&"plain")) => {
            return fail(
                ErrorCode::InvalidRequest,
                "Only code_challenge_method=S256 is supported",
            );
        }
        (Some(_), Some(_)) => {
            return fail(
                ErrorCode::InvalidRequest,
                "Only code_challenge_method=S256 is supported",
            );
        }
        (None, Some(_)) => {
            return fail(
                ErrorCode::InvalidRequest,
                "The code_challenge parameter is missing",
            );
        }
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
    let id_token_hint_sub = match map.get("id_token_hint") {
        None => None,
        Some(hint) => match super::id_token_hint::verify(state, hint) {
            Some(h) if h.audience == client.client_id.as_str() => Some(h.sub),
            _ => {
                return fail(
                    ErrorCode::InvalidRequest,
                    "The id_token_hint is not a valid ID token for this client",
                );
            }
        },
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

    let request = AuthorizationRequest {
        client_id: client.client_id.as_str().to_owned(),
        client_name: client.name.as_str().to_owned(),
        redirect_uri: redirect_uri.as_str().to_owned(),
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
    };

    let session = match session_token {
        Some(token) => current_session(state, token).await?,
        None => None,
    };
    let now = Utc::now();
    let session = session.filter(|s| match request.max_age {
        // OIDC Core §3.1.2.1: re-authenticate when auth_time is older than max_age.
        Some(max_age) => {
            (now - s.auth_time).num_seconds() <= i64::try_from(max_age).unwrap_or(i64::MAX)
        }
        None => true,
    });
    // A hint naming someone else: this session is not the one wanted.
    let session = session.filter(|s| {
        request
            .id_token_hint_sub
            .as_ref()
            .is_none_or(|sub| *sub == s.user_id.to_string())
    });
    match (request.prompt, session) {
        (Prompt { login: true, .. }, _) => {}
        (prompt, Some(session)) => {
            if needs_consent(state, &request, session.user_id).await? {
                if prompt.none {
                    return fail(
                        ErrorCode::ConsentRequired,
                        "The user has not allowed this client",
                    );
                }
                let step = crate::login::Step::Consent { sid: &session.sid };
                return Ok(
                    match crate::login::begin(state, &request, step, client_ip).await? {
                        Begun::Started(transaction_id) => {
                            AuthorizeOutcome::Consent { transaction_id }
                        }
                        Begun::TooManyPending => AuthorizeOutcome::TooManyPending,
                    },
                );
            }
            return Ok(AuthorizeOutcome::Respond(
                issue_code(state, &request, &session).await?,
            ));
        }
        (Prompt { none: true, .. }, None) => {
            return fail(ErrorCode::LoginRequired, "The user is not signed in");
        }
        (_, None) => {}
    }
    Ok(
        match crate::login::begin(state, &request, crate::login::Step::SignIn, client_ip).await? {
            Begun::Started(transaction_id) => AuthorizeOutcome::Login { transaction_id },
            Begun::TooManyPending => AuthorizeOutcome::TooManyPending,
        },
    )
}

/// Whether the user must be asked before the client gets the request's scopes.
pub async fn needs_consent(
    state: &AppState,
    request: &AuthorizationRequest,
    user_id: uuid::Uuid,
) -> anyhow::Result<bool> {
    if request.prompt.consent {
        return Ok(true);
    }
    if request.first_party {
        return Ok(false);
    }
    let Some(granted) =
        store::consents::find_granted(&state.db, user_id, &request.client_id).await?
    else {
        return Ok(true);
    };
    let granted_scope = Scope::parse_known(&granted.scope);
    // Claims asked for one by one count as much as scopes: each must be
    // covered by a granted scope or have been allowed by name.
    let claims_covered = super::claims::uncovered_claims(&granted_scope, &request.id_token_claims)
        .iter()
        .all(|c| granted.claims.contains(c));
    Ok(!(granted_scope.contains_all(&request.scope) && claims_covered))
}

/// The claims of the request that its scope does not cover: the consent
/// page names them and the consent remembers them.
pub fn claims_beyond_scope(request: &AuthorizationRequest) -> Vec<String> {
    super::claims::uncovered_claims(&request.scope, &request.id_token_claims)
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
                .filter(|name| super::claims::scope_of_claim(name).is_some())
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names.dedup();
    Ok(names)
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

/// RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is 43 characters.
fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The SSO session behind a cookie value, if it is live and its user may sign in.
pub async fn current_session(state: &AppState, token: &str) -> anyhow::Result<Option<SsoSession>> {
    let Some(session) =
        store::sso_sessions::find_live(&state.db, &sha256_hex(token), Utc::now()).await?
    else {
        return Ok(None);
    };
    let user = store::users::find_by_id(&state.db, session.user_id).await?;
    Ok(user.filter(|u| !u.blocked).map(|_| session))
}

/// Issues an authorization code for a signed-in session and builds the
/// response to the application (with `iss`, RFC 9207).
pub async fn issue_code(
    state: &AppState,
    request: &AuthorizationRequest,
    session: &SsoSession,
) -> anyhow::Result<AuthorizationResponse> {
    let code = random_token();
    let now = Utc::now();
    let grant = CodeGrant {
        client_id: request.client_id.clone(),
        user_id: session.user_id,
        sid: session.sid.clone(),
        redirect_uri: request.redirect_uri.clone(),
        scope: request.scope.to_string(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        auth_time: session.auth_time,
        amr: session.amr.clone(),
        acr: session.acr.clone(),
        expires_at: now + state.settings.tokens.authorization_code_ttl.0,
        id_token_claims: request.id_token_claims.clone(),
    };
    store::authorization_codes::insert(&state.db, sha256_hex(&code), &grant, now).await?;
    let mut params = vec![("code".to_owned(), code)];
    if let Some(s) = &request.state {
        params.push(("state".to_owned(), s.clone()));
    }
    params.push(("iss".to_owned(), state.settings.issuer_base().to_owned()));
    Ok(AuthorizationResponse {
        redirect_uri: request.redirect_uri.clone(),
        params,
        mode: request.response_mode,
    })
}

/// The user said no: `access_denied` back to the client.
pub fn access_denied(state: &AppState, request: &AuthorizationRequest) -> AuthorizationResponse {
    AuthorizationResponse::error(
        request,
        &OAuthError::new(ErrorCode::AccessDenied, "The user denied the request"),
        state.settings.issuer_base(),
    )
}

/// The response carrying an error (RFC 6749 §4.1.2.1, with `iss` per RFC 9207).
pub fn error_response(
    redirect_uri: &str,
    mode: ResponseMode,
    error: &OAuthError,
    state: Option<&str>,
    issuer: &str,
) -> AuthorizationResponse {
    let mut params = vec![
        ("error".to_owned(), error.code.as_str().to_owned()),
        ("error_description".to_owned(), error.description.to_owned()),
    ];
    if let Some(s) = state {
        params.push(("state".to_owned(), s.to_owned()));
    }
    params.push(("iss".to_owned(), issuer.to_owned()));
    AuthorizationResponse {
        redirect_uri: redirect_uri.to_owned(),
        params,
        mode,
    }
}

/// BASE64URL(SHA256(verifier)), to compare with a stored challenge.
pub fn s256(verifier: &str) -> String {
    use sha2::{Digest, Sha256};
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
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
    fn s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(is_s256_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!is_s256_challenge("short"));
    }
}
