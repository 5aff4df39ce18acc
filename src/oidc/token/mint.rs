//! Minting tokens, the one place every grant's response is made: access
//! tokens (RFC 9068 JWT profile), ID tokens (OIDC Core §2) and refresh tokens
//! (opaque, stored hashed, in families).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::app::AppState;
use crate::crypto::keys::SignerSource;
use crate::crypto::{random_token, sha256_hex};
use crate::domain::Scope;
use crate::store::{
    self, ConnectionTrait, TransactionTrait, refresh_tokens::RefreshToken, users::User,
};

/// A user's sign-in that tokens are issued for.
pub struct UserGrant<'a> {
    pub client_id: &'a str,
    pub user: &'a User,
    pub scope: &'a Scope,
    pub nonce: Option<&'a str>,
    pub auth_time: DateTime<Utc>,
    pub amr: &'a [String],
    pub acr: Option<&'a str>,
    /// The SSO session, when the sign-in came through a browser.
    pub sid: Option<&'a str>,
    /// Claims the `claims` parameter asked for in the ID token.
    pub id_token_claims: &'a [String],
}

/// Whether, and in which family, to issue a refresh token.
pub enum Refresh {
    No,
    /// Start a new family; it ends `tokens.refresh_token_ttl` after the
    /// planned issue time, whatever the rotations.
    NewFamily {
        family_id: Uuid,
    },
    /// Continue a family: the token replaces `parent_hash`. The caller holds
    /// the family's lock in the transaction the token is stored in.
    Rotate {
        family_id: Uuid,
        parent_hash: String,
        family_expires_at: DateTime<Utc>,
    },
}

impl Refresh {
    /// The family a refresh token will be issued in, if any.
    pub fn family_id(&self) -> Option<Uuid> {
        match self {
            Self::No => None,
            Self::NewFamily { family_id, .. } | Self::Rotate { family_id, .. } => Some(*family_id),
        }
    }
}

/// The identity of a response's access token, chosen before anything is
/// stored or signed, so that it can be recorded where a replay racing the
/// issue will find it (RFC 6749 §4.1.2: a reused code revokes its tokens).
pub struct Planned {
    pub jti: String,
    pub issued_at: DateTime<Utc>,
    pub access_token_expires_at: DateTime<Utc>,
}

impl Planned {
    pub fn new(state: &AppState) -> Self {
        let issued_at = state.clock.now();
        Self {
            jti: random_token(),
            issued_at,
            access_token_expires_at: issued_at + state.settings.tokens.access_token_ttl.0,
        }
    }

    /// The absolute end of a refresh token family started by this issue.
    pub fn refresh_family_expires_at(&self, state: &AppState) -> DateTime<Utc> {
        self.issued_at + state.settings.tokens.refresh_token_ttl.0
    }
}

/// The token response of RFC 6749 §5.1 (with `id_token` for user grants).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub scope: String,
}

#[derive(Serialize)]
struct AccessTokenClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: String,
    client_id: &'a str,
    exp: i64,
    iat: i64,
    jti: &'a str,
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amr: Option<&'a [String]>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    acr: Option<&'a str>,
    azp: &'a str,
    at_hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<&'a str>,
    /// Claims asked for with the `claims` parameter.
    #[serde(flatten)]
    requested: serde_json::Map<String, serde_json::Value>,
}

/// OIDC Core §3.1.3.6: the left half of SHA-256 of the access token, base64url.
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// The claims of an access token for `sub`.
fn access_token_claims<'a>(
    state: &'a AppState,
    plan: &'a Planned,
    sub: &'a str,
    client_id: &'a str,
    scope: &Scope,
    user: Option<(DateTime<Utc>, &'a [String])>,
) -> AccessTokenClaims<'a> {
    let issuer = state.settings.issuer_base();
    AccessTokenClaims {
        iss: issuer,
        sub,
        aud: crate::oidc::access_token_audience(issuer),
        client_id,
        exp: plan.access_token_expires_at.timestamp(),
        iat: plan.issued_at.timestamp(),
        jti: &plan.jti,
        scope: scope.to_string(),
        auth_time: user.map(|(t, _)| t.timestamp()),
        amr: user.map(|(_, amr)| amr),
    }
}

/// Signs the access token and the ID token of one response with one key,
/// taken from `keys` once: fetched per signature, a rotation switching keys
/// in between would sign the two tokens of one response with different keys.
/// The ID token's `at_hash` is filled in from the signed access token.
fn sign_user_tokens(
    keys: &impl SignerSource,
    access: &AccessTokenClaims<'_>,
    mut id: IdTokenClaims<'_>,
) -> anyhow::Result<(String, String)> {
    let signer = keys.signer()?;
    let access_token = signer.sign_jwt("at+jwt", access)?;
    id.at_hash = at_hash(&access_token);
    let id_token = signer.sign_jwt("JWT", &id)?;
    Ok((access_token, id_token))
}

fn expires_in(state: &AppState) -> i64 {
    i64::try_from(state.settings.tokens.access_token_ttl.0.as_secs()).unwrap_or(i64::MAX)
}

/// Signs an access token and an ID token for a user, and stores a refresh
/// token (in a new family) when asked, in one transaction.
pub async fn issue_user_tokens(
    state: &AppState,
    grant: &UserGrant<'_>,
    refresh: Refresh,
) -> anyhow::Result<TokenResponse> {
    let txn = state.db.begin().await?;
    let response = issue_user_tokens_in(&txn, state, &Planned::new(state), grant, refresh).await?;
    txn.commit().await?;
    Ok(response)
}

/// Like [`issue_user_tokens`], with the access token's identity chosen by the
/// caller and the refresh token stored through `db` (the caller's transaction).
pub async fn issue_user_tokens_in(
    db: &impl ConnectionTrait,
    state: &AppState,
    plan: &Planned,
    grant: &UserGrant<'_>,
    refresh: Refresh,
) -> anyhow::Result<TokenResponse> {
    let sub = grant.user.id.to_string();
    let access = access_token_claims(
        state,
        plan,
        &sub,
        grant.client_id,
        grant.scope,
        Some((grant.auth_time, grant.amr)),
    );
    let now = plan.issued_at;
    let id = IdTokenClaims {
        iss: state.settings.issuer_base(),
        sub: sub.clone(),
        aud: grant.client_id,
        exp: (now + state.settings.tokens.id_token_ttl.0).timestamp(),
        iat: now.timestamp(),
        auth_time: grant.auth_time.timestamp(),
        nonce: grant.nonce,
        amr: grant.amr,
        acr: grant.acr,
        azp: grant.client_id,
        at_hash: String::new(),
        sid: grant.sid,
        requested: crate::oidc::claims::requested_claims(grant.user, grant.id_token_claims),
    };
    let (access_token, id_token) = sign_user_tokens(&state.keys, &access, id)?;
    let refresh_token = match refresh {
        Refresh::No => None,
        Refresh::NewFamily { family_id } => {
            let expires_at = plan.refresh_family_expires_at(state);
            store::refresh_token_families::insert(db, family_id, expires_at, now).await?;
            Some(store_refresh(db, state, plan, grant, family_id, None, expires_at).await?)
        }
        Refresh::Rotate {
            family_id,
            parent_hash,
            family_expires_at,
        } => Some(
            store_refresh(
                db,
                state,
                plan,
                grant,
                family_id,
                Some(parent_hash),
                family_expires_at,
            )
            .await?,
        ),
    };
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: expires_in(state),
        id_token: Some(id_token),
        refresh_token,
        scope: grant.scope.to_string(),
    })
}

async fn store_refresh(
    db: &impl ConnectionTrait,
    state: &AppState,
    plan: &Planned,
    grant: &UserGrant<'_>,
    family_id: Uuid,
    parent_hash: Option<String>,
    family_expires_at: DateTime<Utc>,
) -> anyhow::Result<String> {
    let now = plan.issued_at;
    let token = random_token();
    let idle_end = now + state.settings.tokens.refresh_token_idle_ttl.0;
    let record = RefreshToken {
        family_id,
        client_id: grant.client_id.to_owned(),
        user_id: grant.user.id,
        sid: grant.sid.map(str::to_owned),
        scope: grant.scope.to_string(),
        auth_time: grant.auth_time,
        amr: grant.amr.to_vec(),
        created_at: now,
        // Idle lifetime, never past the family's absolute end.
        expires_at: idle_end.min(family_expires_at),
        family_expires_at,
        rotated_at: None,
        revoked_at: None,
        access_token: Some((plan.jti.clone(), plan.access_token_expires_at)),
    };
    store::refresh_tokens::insert(db, sha256_hex(&token), parent_hash, &record).await?;
    Ok(token)
}

/// An access token for a client acting on its own behalf (client_credentials).
pub fn issue_client_token(
    state: &AppState,
    client_id: &str,
    scope: &Scope,
) -> anyhow::Result<TokenResponse> {
    let plan = Planned::new(state);
    let claims = access_token_claims(state, &plan, client_id, client_id, scope, None);
    let access_token = state.keys.signer()?.sign_jwt("at+jwt", &claims)?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: expires_in(state),
        id_token: None,
        refresh_token: None,
        scope: scope.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::crypto::MasterKey;
    use crate::crypto::keys::{KeyRing, KeyRole, SealedKey, Signer, generate_rsa_key};

    /// A key source that rotates on every fetch, as the ring does when a
    /// rotation switches keys between two fetches.
    struct RotatingKeys {
        rings: [KeyRing; 2],
        fetches: AtomicUsize,
    }

    impl RotatingKeys {
        fn new() -> Self {
            let ring = || {
                let master = MasterKey::generate();
                let key = generate_rsa_key(&master).unwrap();
                let ring = KeyRing::new(master);
                ring.install(&[SealedKey {
                    kid: &key.kid,
                    private_enc: &key.private_enc,
                    public_jwk: &key.public_jwk,
                    role: KeyRole::Signing,
                }])
                .unwrap();
                ring
            };
            Self {
                rings: [ring(), ring()],
                fetches: AtomicUsize::new(0),
            }
        }
    }

    impl SignerSource for RotatingKeys {
        fn signer(&self) -> anyhow::Result<Arc<Signer>> {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst);
            self.rings[n % 2].signer()
        }
    }

    fn kid(jwt: &str) -> String {
        jsonwebtoken::decode_header(jwt).unwrap().kid.unwrap()
    }

    #[test]
    fn both_tokens_of_one_response_are_signed_by_the_same_key_while_keys_rotate() {
        let keys = RotatingKeys::new();
        let first = keys.signer().unwrap().kid().to_owned();
        assert_ne!(
            keys.signer().unwrap().kid(),
            first,
            "the source must rotate"
        );

        let amr = vec!["sms".to_owned()];
        let access = AccessTokenClaims {
            iss: "https://id.example",
            sub: "user",
            aud: "https://id.example/userinfo".to_owned(),
            client_id: "app",
            exp: 2,
            iat: 1,
            jti: "jti",
            scope: "openid".to_owned(),
            auth_time: Some(1),
            amr: Some(&amr),
        };
        let id = IdTokenClaims {
            iss: "https://id.example",
            sub: "user".to_owned(),
            aud: "app",
            exp: 2,
            iat: 1,
            auth_time: 1,
            nonce: None,
            amr: &amr,
            acr: None,
            azp: "app",
            at_hash: String::new(),
            sid: None,
            requested: serde_json::Map::new(),
        };
        let (access_token, id_token) = sign_user_tokens(&keys, &access, id).unwrap();
        assert_eq!(kid(&access_token), kid(&id_token));
        assert_eq!(
            keys.fetches.load(Ordering::SeqCst),
            3,
            "one fetch per response"
        );
    }
}
