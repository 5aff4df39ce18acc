//! Minting tokens: the access token (RFC 9068 JWT profile) and the ID token
//! (OIDC Core §2), signed by the ring's active key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::crypto::random_token;
use crate::domain::Scope;
use crate::startup::AppState;
use crate::store::users::User;

/// Who and what a set of tokens is for.
pub struct TokenGrant<'a> {
    pub client_id: &'a str,
    pub user: &'a User,
    pub scope: &'a Scope,
    pub nonce: Option<&'a str>,
    pub auth_time: DateTime<Utc>,
    pub amr: &'a [String],
    pub sid: &'a str,
}

/// The token response of RFC 6749 §5.1 plus `id_token`.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub id_token: String,
    pub scope: String,
    #[serde(skip)]
    pub jti: String,
    #[serde(skip)]
    pub access_token_expires_at: DateTime<Utc>,
}

#[derive(Serialize)]
struct AccessTokenClaims<'a> {
    iss: &'a str,
    sub: String,
    aud: String,
    client_id: &'a str,
    exp: i64,
    iat: i64,
    jti: &'a str,
    scope: String,
    auth_time: i64,
    amr: &'a [String],
}

#[derive(Serialize)]
struct IdTokenClaims<'a> {
    iss: &'a str,
    sub: String,
    aud: &'a str,
    exp: i64,
    iat: i64,
    auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    amr: &'a [String],
    azp: &'a str,
    at_hash: String,
    sid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number_verified: Option<bool>,
}

/// OIDC Core §3.1.3.6: the left half of SHA-256 of the access token, base64url.
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// Signs an access token and an ID token for the grant.
pub fn issue_tokens(state: &AppState, grant: &TokenGrant<'_>) -> anyhow::Result<TokenResponse> {
    let signer = state.keys.signer()?;
    let issuer = state.settings.issuer_base();
    let now = Utc::now();
    let access_ttl = state.settings.tokens.access_token_ttl.0;
    let access_exp = now + access_ttl;
    let jti = random_token();
    let access_token = signer.sign_jwt(
        "at+jwt",
        &AccessTokenClaims {
            iss: issuer,
            sub: grant.user.id.to_string(),
            aud: super::access_token_audience(issuer),
            client_id: grant.client_id,
            exp: access_exp.timestamp(),
            iat: now.timestamp(),
            jti: &jti,
            scope: grant.scope.to_string(),
            auth_time: grant.auth_time.timestamp(),
            amr: grant.amr,
        },
    )?;
    let with_phone = grant.scope.contains("phone");
    let phone = grant.user.phone.as_ref().filter(|_| with_phone);
    let id_token = signer.sign_jwt(
        "JWT",
        &IdTokenClaims {
            iss: issuer,
            sub: grant.user.id.to_string(),
            aud: grant.client_id,
            exp: (now + state.settings.tokens.id_token_ttl.0).timestamp(),
            iat: now.timestamp(),
            auth_time: grant.auth_time.timestamp(),
            nonce: grant.nonce,
            amr: grant.amr,
            azp: grant.client_id,
            at_hash: at_hash(&access_token),
            sid: grant.sid,
            phone_number: phone.map(|p| p.as_str()),
            phone_number_verified: phone.map(|_| grant.user.phone_verified_at.is_some()),
        },
    )?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: i64::try_from(access_ttl.as_secs()).unwrap_or(i64::MAX),
        id_token,
        scope: grant.scope.to_string(),
        jti,
        access_token_expires_at: access_exp,
    })
}
