//! Signing keys: RSA-2048 generated with the `rsa` crate, stored sealed under
//! the master key, used for RS256 through an aws-lc-rs key pair parsed once
//! per key (parsing the DER per token would cost two thirds of the signing
//! rate), and published as a JWKS whose bytes are computed once per change.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use anyhow::Context;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rsa::pkcs8::EncodePrivateKey;
use rsa::traits::PublicKeyParts;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::MasterKey;

/// The only algorithm ferrid signs with.
pub const ALG: &str = "RS256";

/// A freshly generated key, ready to store.
pub struct GeneratedKey {
    pub kid: String,
    /// PKCS#8 DER sealed with [`MasterKey::encrypt`].
    pub private_enc: String,
    /// The public JWK, JSON.
    pub public_jwk: String,
}

/// A stored key handed to the ring.
pub struct SealedKey<'a> {
    pub kid: &'a str,
    pub private_enc: &'a str,
    pub public_jwk: &'a str,
    /// Signs new tokens (exactly one key does); the others only verify.
    pub role: KeyRole,
}

/// What a published key is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyRole {
    Signing,
    VerifyOnly,
}

fn seal_context(kid: &str) -> String {
    format!("signing_key:{kid}")
}

/// Generates an RSA-2048 key pair and seals its private half.
pub fn generate_rsa_key(master_key: &MasterKey) -> anyhow::Result<GeneratedKey> {
    let private =
        rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).context("generating an RSA key")?;
    let n = URL_SAFE_NO_PAD.encode(private.n().to_bytes_be());
    let e = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
    let kid = jwk_thumbprint(&n, &e);
    let jwk =
        serde_json::json!({ "kty": "RSA", "use": "sig", "alg": ALG, "kid": kid, "n": n, "e": e });
    let der = private.to_pkcs8_der().context("encoding the private key")?;
    let private_enc = master_key.encrypt(der.as_bytes(), &seal_context(&kid))?;
    Ok(GeneratedKey {
        kid,
        private_enc,
        public_jwk: jwk.to_string(),
    })
}

/// RFC 7638 JWK thumbprint of an RSA key: SHA-256 over the required members
/// in lexicographic order, without white space.
pub fn jwk_thumbprint(n: &str, e: &str) -> String {
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// Signs JWTs with one parsed key.
pub struct Signer {
    kid: String,
    key_pair: RsaKeyPair,
    rng: SystemRandom,
}

impl Signer {
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// A compact JWS: `base64url(header).base64url(claims).base64url(signature)`.
    pub fn sign_jwt(&self, typ: &str, claims: &impl Serialize) -> anyhow::Result<String> {
        let header = serde_json::json!({ "alg": ALG, "typ": typ, "kid": self.kid });
        let mut jwt = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?);
        jwt.push('.');
        jwt.push_str(&URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims)?));
        let mut signature = vec![0u8; self.key_pair.public_modulus_len()];
        self.key_pair
            .sign(&RSA_PKCS1_SHA256, &self.rng, jwt.as_bytes(), &mut signature)
            .map_err(|_| anyhow::anyhow!("RS256 signing failed"))?;
        jwt.push('.');
        jwt.push_str(&URL_SAFE_NO_PAD.encode(signature));
        Ok(jwt)
    }
}

/// Why a JWT of ours was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token was signed by an unknown key")]
    UnknownKey,
    #[error("the token's type is not {0}")]
    WrongType(&'static str),
    #[error("the token is invalid: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
}

struct KeySet {
    /// kids with their roles: when it differs from the stored keys, reload.
    fingerprint: Vec<(String, KeyRole)>,
    signer: Option<Arc<Signer>>,
    verifiers: HashMap<String, DecodingKey>,
    jwks_json: Arc<[u8]>,
}

/// The keys in use, swapped whole when rotation changes them.
pub struct KeyRing {
    master_key: MasterKey,
    current: RwLock<Arc<KeySet>>,
}

impl KeyRing {
    /// An empty ring; [`KeyRing::install`] fills it.
    pub fn new(master_key: MasterKey) -> Self {
        Self {
            master_key,
            current: RwLock::new(Arc::new(KeySet {
                fingerprint: Vec::new(),
                signer: None,
                verifiers: HashMap::new(),
                jwks_json: Arc::from(br#"{"keys":[]}"#.as_slice()),
            })),
        }
    }

    fn snapshot(&self) -> Arc<KeySet> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces the ring's keys with `keys` when they differ from what it
    /// holds; unchanged keys are not decrypted or parsed again.
    pub fn install(&self, keys: &[SealedKey<'_>]) -> anyhow::Result<()> {
        let fingerprint: Vec<(String, KeyRole)> =
            keys.iter().map(|k| (k.kid.to_owned(), k.role)).collect();
        let old = self.snapshot();
        if old.fingerprint == fingerprint {
            return Ok(());
        }
        let mut signer = None;
        let mut verifiers = HashMap::new();
        let mut jwks = Vec::new();
        for key in keys {
            let jwk: serde_json::Value =
                serde_json::from_str(key.public_jwk).context("stored JWK is not JSON")?;
            let (n, e) = match (jwk["n"].as_str(), jwk["e"].as_str()) {
                (Some(n), Some(e)) => (n, e),
                _ => anyhow::bail!("stored JWK {} has no n/e", key.kid),
            };
            verifiers.insert(key.kid.to_owned(), DecodingKey::from_rsa_components(n, e)?);
            jwks.push(jwk);
            if key.role == KeyRole::Signing {
                let reused = old.signer.as_ref().filter(|s| s.kid == key.kid).cloned();
                signer = Some(match reused {
                    Some(s) => s,
                    None => Arc::new(self.open_signer(key)?),
                });
            }
        }
        let jwks_json: Arc<[u8]> = serde_json::to_vec(&serde_json::json!({ "keys": jwks }))?.into();
        let set = Arc::new(KeySet {
            fingerprint,
            signer,
            verifiers,
            jwks_json,
        });
        match self.current.write() {
            Ok(mut guard) => *guard = set,
            Err(poisoned) => *poisoned.into_inner() = set,
        }
        Ok(())
    }

    fn open_signer(&self, key: &SealedKey<'_>) -> anyhow::Result<Signer> {
        let der = self
            .master_key
            .decrypt(key.private_enc, &seal_context(key.kid))?;
        let key_pair = RsaKeyPair::from_pkcs8(&der)
            .map_err(|e| anyhow::anyhow!("signing key {}: {e}", key.kid))?;
        Ok(Signer {
            kid: key.kid.to_owned(),
            key_pair,
            rng: SystemRandom::new(),
        })
    }

    /// The key that signs new tokens.
    pub fn signer(&self) -> anyhow::Result<Arc<Signer>> {
        self.snapshot()
            .signer
            .clone()
            .context("no active signing key")
    }

    /// `{"keys":[…]}` with every published key, computed once per change.
    pub fn jwks_json(&self) -> Arc<[u8]> {
        self.snapshot().jwks_json.clone()
    }

    /// Verifies a JWT of ours: signature by a published key, `typ`, and the
    /// checks in `validation` (expiry, issuer, audience).
    pub fn verify<T: DeserializeOwned>(
        &self,
        token: &str,
        typ: &'static str,
        validation: &Validation,
    ) -> Result<T, VerifyError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
        if header.alg != Algorithm::RS256 {
            return Err(VerifyError::Malformed);
        }
        if !header
            .typ
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(typ))
        {
            return Err(VerifyError::WrongType(typ));
        }
        let kid = header.kid.ok_or(VerifyError::UnknownKey)?;
        let set = self.snapshot();
        let key = set.verifiers.get(&kid).ok_or(VerifyError::UnknownKey)?;
        Ok(jsonwebtoken::decode::<T>(token, key, validation)?.claims)
    }
}

/// Where the key that signs new tokens comes from. A response signs all its
/// tokens with one fetch, so a rotation cannot split them between two keys.
pub trait SignerSource {
    /// The key that signs new tokens now.
    fn signer(&self) -> anyhow::Result<Arc<Signer>>;
}

impl SignerSource for KeyRing {
    fn signer(&self) -> anyhow::Result<Arc<Signer>> {
        KeyRing::signer(self)
    }
}

/// A validation for RS256 tokens of this issuer and audience. `exp` must be
/// present, but whether it has passed is the caller's to check on the
/// application's clock (jsonwebtoken would read the system's).
pub fn validation(issuer: &str, audience: &str) -> Validation {
    let mut v = Validation::new(Algorithm::RS256);
    v.set_issuer(&[issuer]);
    v.set_audience(&[audience]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    v.validate_exp = false;
    v.leeway = 0;
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_matches_rfc_7638_example() {
        // RFC 7638 §3.1.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        assert_eq!(
            jwk_thumbprint(n, "AQAB"),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn a_generated_key_signs_tokens_that_verify_and_the_jwks_has_no_private_members() {
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
        let exp = chrono::Utc::now().timestamp() + 60;
        let claims = serde_json::json!({ "iss": "https://id", "aud": "a", "sub": "u", "exp": exp });
        let jwt = ring.signer().unwrap().sign_jwt("at+jwt", &claims).unwrap();
        let back: serde_json::Value = ring
            .verify(&jwt, "at+jwt", &validation("https://id", "a"))
            .unwrap();
        assert_eq!(back["sub"], "u");
        assert!(matches!(
            ring.verify::<serde_json::Value>(&jwt, "JWT", &validation("https://id", "a")),
            Err(VerifyError::WrongType(_))
        ));
        assert!(
            ring.verify::<serde_json::Value>(&jwt, "at+jwt", &validation("https://id", "b"))
                .is_err()
        );

        let jwks: serde_json::Value = serde_json::from_slice(&ring.jwks_json()).unwrap();
        let published = &jwks["keys"][0];
        assert_eq!(published["kid"], key.kid.as_str());
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(published.get(private).is_none(), "{private} published");
        }
    }
}
