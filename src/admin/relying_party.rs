//! The dashboard signs in as a relying party of ferrid itself: the
//! authorization code flow with PKCE against ferrid's own endpoints, with
//! the `openidconnect` crate, exactly as an outside application would. The
//! ID token it gets back must say that a second factor was proved.

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthenticationContextClass, AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, TokenResponse,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::dashboard::ADMIN_CLIENT_ID;
use crate::crypto::constant_time_eq;
use crate::domain::MFA_ACR;

/// What the dashboard keeps between sending the browser to `/authorize`
/// and its return: kept in the dashboard's sealed session.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

/// Why a return to the dashboard signed nobody in.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// No sign-in was started in this browser, or it was finished already.
    #[error("no sign-in was started here, or it was already finished")]
    NotStarted,
    /// `state` or `iss` (RFC 9207) do not match what was sent.
    #[error("the response does not belong to the sign-in started here")]
    Mismatch,
    /// ferrid answered with an OAuth error (the user cancelled, or the
    /// second factor could not be proved).
    #[error("the sign-in ended with `{0}`")]
    Denied(String),
    /// The ID token does not say that a second factor was proved.
    #[error("the sign-in did not prove a second factor")]
    NoSecondFactor,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// What came back to the callback.
#[derive(Clone, Debug, Default)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
}

fn http_client() -> anyhow::Result<openidconnect::reqwest::Client> {
    Ok(openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()?)
}

async fn client(
    issuer: &str,
    redirect_uri: &str,
    http: &openidconnect::reqwest::Client,
) -> anyhow::Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
> {
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.to_owned())?, http).await?;
    Ok(
        CoreClient::from_provider_metadata(metadata, ClientId::new(ADMIN_CLIENT_ID.into()), None)
            .set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned())?),
    )
}

/// Starts a sign-in: where to send the browser, and what to keep.
pub async fn start(issuer: &str, redirect_uri: &str) -> anyhow::Result<(String, PendingSignIn)> {
    let http = http_client()?;
    let client = client(issuer, redirect_uri, &http).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_auth_context_value(AuthenticationContextClass::new(MFA_ACR.to_owned()))
        .set_pkce_challenge(challenge)
        .url();
    Ok((
        url.to_string(),
        PendingSignIn {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
        },
    ))
}

/// Finishes a sign-in: checks the response against what was started,
/// exchanges the code, verifies the ID token and its `acr`; the user's id.
pub async fn finish(
    issuer: &str,
    redirect_uri: &str,
    pending: Option<PendingSignIn>,
    back: Callback,
) -> Result<Uuid, SignInError> {
    let Some(pending) = pending else {
        return Err(SignInError::NotStarted);
    };
    let state_ok = back
        .state
        .as_deref()
        .is_some_and(|s| constant_time_eq(s.as_bytes(), pending.state.as_bytes()));
    // RFC 9207: the response must come from the issuer that was asked.
    if !state_ok || back.iss.as_deref() != Some(issuer) {
        return Err(SignInError::Mismatch);
    }
    if let Some(error) = back.error {
        return Err(SignInError::Denied(error));
    }
    let Some(code) = back.code else {
        return Err(SignInError::Mismatch);
    };
    let http = http_client()?;
    let client = client(issuer, redirect_uri, &http).await?;
    let response = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(anyhow::Error::from)?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
        .request_async(&http)
        .await
        .map_err(|e| anyhow::anyhow!("exchanging the code: {e}"))?;
    let id_token = response
        .id_token()
        .ok_or_else(|| anyhow::anyhow!("no ID token in the response"))?;
    let claims = id_token
        .claims(&client.id_token_verifier(), &Nonce::new(pending.nonce))
        .map_err(|e| anyhow::anyhow!("verifying the ID token: {e}"))?;
    if claims.auth_context_ref().map(|acr| acr.as_str()) != Some(MFA_ACR) {
        return Err(SignInError::NoSecondFactor);
    }
    let sub = claims.subject().as_str();
    Uuid::parse_str(sub)
        .map_err(|_| SignInError::Unexpected(anyhow::anyhow!("the subject is not a user id")))
}
