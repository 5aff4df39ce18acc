//! The authorization endpoint's rules (RFC 6749 §4.1.1, OIDC Core §3.1.2).

mod request;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use url::Url;

use super::error::{ErrorCode, OAuthError};
use crate::app::AppState;
use crate::crypto::{random_token, sha256_hex};
pub use crate::domain::{AuthorizationRequest, Prompt, ResponseMode};
use crate::domain::{Moment, Scope, SecondStep, uncovered_claims};
use crate::session::{self, SsoSession};
use crate::store::{self, ConnectionTrait, authorization_codes::CodeGrant};
pub use request::{Parsed, parse};

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
            request.redirect_uri.as_str(),
            request.response_mode,
            error,
            request.state.as_deref(),
            issuer,
        )
    }
}

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
    /// The user must sign in: the hosted login takes the request over.
    NeedsSignIn(Box<AuthorizationRequest>),
    /// Signed in with the SSO session `sid`, but the user must allow the
    /// client first.
    NeedsConsent {
        request: Box<AuthorizationRequest>,
        sid: String,
    },
    /// Signed in, but the request needs a second factor the session has not
    /// proved (step-up): the hosted login asks for it.
    NeedsSecondFactor {
        request: Box<AuthorizationRequest>,
        session: SsoSession,
    },
}

/// Handles an authorization request given as name/value pairs (query or
/// form): parses it, then decides. `session_token` is the SSO cookie's
/// value, if any.
pub async fn authorize(
    state: &AppState,
    params: &[(String, String)],
    session_token: Option<&str>,
) -> anyhow::Result<AuthorizeOutcome> {
    let request = match request::parse(state, params).await? {
        Parsed::Untrusted(reason) => return Ok(AuthorizeOutcome::Untrusted(reason)),
        Parsed::Invalid(response) => return Ok(AuthorizeOutcome::Respond(response)),
        Parsed::Valid(request) => request,
    };
    let fail = |code: ErrorCode, description: &'static str| {
        Ok(AuthorizeOutcome::Respond(AuthorizationResponse::error(
            &request,
            &OAuthError::new(code, description),
            state.settings.issuer_base(),
        )))
    };

    let session = match session_token {
        Some(token) => session::current(state, token).await?,
        None => None,
    };
    let now = state.clock.now();
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
            match session::second_step(&state.db, state, &request, Moment::Session, &session)
                .await?
            {
                SecondStep::Complete => {}
                SecondStep::Unmet => return Ok(AuthorizeOutcome::Respond(unmet(state, &request))),
                SecondStep::Ask(_) | SecondStep::Enroll if prompt.none => {
                    return fail(
                        ErrorCode::InteractionRequired,
                        "The request needs a second factor",
                    );
                }
                SecondStep::Ask(_) | SecondStep::Enroll => {
                    return Ok(AuthorizeOutcome::NeedsSecondFactor { request, session });
                }
            }
            if needs_consent(&state.db, &request, session.user_id).await? {
                if prompt.none {
                    return fail(
                        ErrorCode::ConsentRequired,
                        "The user has not allowed this client",
                    );
                }
                return Ok(AuthorizeOutcome::NeedsConsent {
                    request,
                    sid: session.sid,
                });
            }
            return Ok(AuthorizeOutcome::Respond(
                issue_code(&state.db, state, &request, &session).await?,
            ));
        }
        (Prompt { none: true, .. }, None) => {
            return fail(ErrorCode::LoginRequired, "The user is not signed in");
        }
        (_, None) => {}
    }
    Ok(AuthorizeOutcome::NeedsSignIn(request))
}

/// What the authorization request gets once the user has signed in.
#[derive(Debug)]
pub enum SignedInAnswer {
    /// Back to the application with a code.
    Respond(AuthorizationResponse),
    /// The user must allow the client first (the consent page).
    NeedsConsent,
}

/// Answers the request for a session just opened at the hosted login: a
/// code, unless the user must allow the client first.
/// Reads and writes through `db` (the sign-in's transaction).
pub async fn answer_signed_in(
    db: &impl ConnectionTrait,
    state: &AppState,
    request: &AuthorizationRequest,
    session: &SsoSession,
) -> anyhow::Result<SignedInAnswer> {
    if needs_consent(db, request, session.user_id).await? {
        return Ok(SignedInAnswer::NeedsConsent);
    }
    Ok(SignedInAnswer::Respond(
        issue_code(db, state, request, session).await?,
    ))
}

/// Whether the user must be asked before the client gets the request's scopes.
pub async fn needs_consent(
    db: &impl ConnectionTrait,
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
        store::consents::find_granted(db, user_id, request.client_id.as_str()).await?
    else {
        return Ok(true);
    };
    let granted_scope = Scope::parse_known(&granted.scope);
    // Claims asked for one by one count as much as scopes: each must be
    // covered by a granted scope or have been allowed by name.
    let claims_covered = uncovered_claims(&granted_scope, &request.id_token_claims)
        .iter()
        .all(|c| granted.claims.contains(c));
    Ok(!(granted_scope.contains_all(&request.scope) && claims_covered))
}

/// Issues an authorization code for a signed-in session and builds the
/// response to the application (with `iss`, RFC 9207). The code is stored
/// through `db`.
pub async fn issue_code(
    db: &impl ConnectionTrait,
    state: &AppState,
    request: &AuthorizationRequest,
    session: &SsoSession,
) -> anyhow::Result<AuthorizationResponse> {
    let code = random_token();
    let now = state.clock.now();
    let grant = CodeGrant {
        client_id: request.client_id.as_str().to_owned(),
        user_id: session.user_id,
        sid: session.sid.clone(),
        redirect_uri: request.redirect_uri.as_str().to_owned(),
        scope: request.scope.to_string(),
        nonce: request.nonce.clone(),
        code_challenge: request
            .code_challenge
            .as_ref()
            .map(|c| c.as_str().to_owned()),
        auth_time: session.auth_time,
        amr: session.amr.clone(),
        acr: session.acr.clone(),
        expires_at: now + state.settings.tokens.authorization_code_ttl.0,
        id_token_claims: request.id_token_claims.clone(),
    };
    store::authorization_codes::insert(db, sha256_hex(&code), &grant, now).await?;
    let mut params = vec![("code".to_owned(), code)];
    if let Some(s) = &request.state {
        params.push(("state".to_owned(), s.clone()));
    }
    params.push(("iss".to_owned(), state.settings.issuer_base().to_owned()));
    Ok(AuthorizationResponse {
        redirect_uri: request.redirect_uri.as_str().to_owned(),
        params,
        mode: request.response_mode,
    })
}

/// The authentication the request asked for as essential cannot be given.
pub fn unmet(state: &AppState, request: &AuthorizationRequest) -> AuthorizationResponse {
    AuthorizationResponse::error(
        request,
        &OAuthError::new(
            ErrorCode::UnmetAuthenticationRequirements,
            "The authentication the request requires cannot be performed",
        ),
        state.settings.issuer_base(),
    )
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
    fn s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
