//! The OpenID Provider metadata (OIDC Discovery 1.0 §3), built from
//! openidconnect's typed metadata and serialized once at start.

use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGrantType,
    CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm,
    CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthUrl, AuthenticationContextClass, IssuerUrl, JsonWebKeySetUrl,
    LanguageTag, ProviderMetadata, ResponseTypes, Scope, TokenUrl, UserInfoUrl,
};
use serde::{Deserialize, Serialize};

use crate::domain::{AuthMethod, PASSWORDLESS_OTP_GRANT, SUPPORTED_SCOPES};

/// Languages of the hosted pages.
pub const UI_LOCALES: &[&str] = &["en"];

/// Members the typed metadata lacks: PKCE and revocation/introspection
/// (RFC 8414 §2), logout (RP-Initiated Logout §2.1) and RFC 9207.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct FerridMetadata {
    pub code_challenge_methods_supported: Vec<String>,
    pub authorization_response_iss_parameter_supported: bool,
    pub end_session_endpoint: String,
    pub revocation_endpoint: String,
    pub revocation_endpoint_auth_methods_supported: Vec<String>,
    pub introspection_endpoint: String,
    pub introspection_endpoint_auth_methods_supported: Vec<String>,
}

impl AdditionalProviderMetadata for FerridMetadata {}

type FerridProviderMetadata = ProviderMetadata<
    FerridMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// The discovery document's bytes for this issuer.
pub fn discovery_document(issuer: &str) -> anyhow::Result<Vec<u8>> {
    let metadata = FerridProviderMetadata::new(
        IssuerUrl::new(issuer.to_owned())?,
        AuthUrl::new(format!("{issuer}/authorize"))?,
        JsonWebKeySetUrl::new(format!("{issuer}/jwks.json"))?,
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public],
        vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256],
        FerridMetadata {
            code_challenge_methods_supported: vec!["S256".into()],
            authorization_response_iss_parameter_supported: true,
            end_session_endpoint: format!("{issuer}/end_session"),
            revocation_endpoint: format!("{issuer}/revoke"),
            revocation_endpoint_auth_methods_supported: vec![
                "client_secret_basic".into(),
                "client_secret_post".into(),
                "none".into(),
            ],
            introspection_endpoint: format!("{issuer}/introspect"),
            introspection_endpoint_auth_methods_supported: vec![
                "client_secret_basic".into(),
                "client_secret_post".into(),
            ],
        },
    )
    .set_token_endpoint(Some(TokenUrl::new(format!("{issuer}/token"))?))
    .set_userinfo_endpoint(Some(UserInfoUrl::new(format!("{issuer}/userinfo"))?))
    .set_scopes_supported(Some(
        SUPPORTED_SCOPES
            .iter()
            .map(|s| Scope::new((*s).to_owned()))
            .collect(),
    ))
    .set_response_modes_supported(Some(vec![
        CoreResponseMode::Query,
        CoreResponseMode::FormPost,
    ]))
    .set_grant_types_supported(Some(vec![
        CoreGrantType::AuthorizationCode,
        CoreGrantType::RefreshToken,
        CoreGrantType::ClientCredentials,
        CoreGrantType::Extension(PASSWORDLESS_OTP_GRANT.to_owned()),
    ]))
    .set_acr_values_supported(Some(
        AuthMethod::acr_values_supported()
            .into_iter()
            .map(|acr| AuthenticationContextClass::new(acr.to_owned()))
            .collect(),
    ))
    .set_display_values_supported(Some(vec![CoreAuthDisplay::Page, CoreAuthDisplay::Popup]))
    .set_claims_locales_supported(Some(
        UI_LOCALES
            .iter()
            .map(|l| LanguageTag::new((*l).to_owned()))
            .collect(),
    ))
    .set_token_endpoint_auth_methods_supported(Some(vec![
        CoreClientAuthMethod::ClientSecretBasic,
        CoreClientAuthMethod::ClientSecretPost,
        CoreClientAuthMethod::None,
    ]))
    .set_claims_supported(Some(
        [
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "amr",
            "azp",
            "at_hash",
            "sid",
            "phone_number",
            "phone_number_verified",
        ]
        .iter()
        .map(|c| CoreClaimName::new((*c).to_owned()))
        .collect(),
    ))
    .set_ui_locales_supported(Some(
        UI_LOCALES
            .iter()
            .map(|l| LanguageTag::new((*l).to_owned()))
            .collect(),
    ))
    .set_request_parameter_supported(Some(false))
    .set_request_uri_parameter_supported(Some(false))
    .set_claims_parameter_supported(Some(true));
    Ok(serde_json::to_vec(&metadata)?)
}
