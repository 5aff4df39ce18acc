//! ID tokens handed back to ferrid as hints (`id_token_hint` at /authorize
//! and /end_session): ours if the signature, issuer and type check out;
//! expired ones still count (OIDC RP-Initiated Logout §2).

use serde::Deserialize;

use crate::crypto::keys::KeyRing;

/// What a valid hint tells.
#[derive(Debug, Clone)]
pub struct IdTokenHint {
    pub sub: String,
    /// The client the ID token was issued to.
    pub audience: String,
    pub sid: Option<String>,
}

#[derive(Deserialize)]
struct HintClaims {
    sub: String,
    aud: String,
    sid: Option<String>,
}

/// The hint's claims, or `None` when it is not an ID token of ours.
pub fn verify(keys: &KeyRing, issuer: &str, token: &str) -> Option<IdTokenHint> {
    let mut validation = crate::crypto::keys::validation(issuer, "");
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["iss", "sub", "aud"]);
    let claims: HintClaims = keys.verify(token, "JWT", &validation).ok()?;
    Some(IdTokenHint {
        sub: claims.sub,
        audience: claims.aud,
        sid: claims.sid,
    })
}
