//! Authenticator-app secrets (RFC 6238: HMAC-SHA1, 6 digits, 30-second
//! steps, what every authenticator app supports) and recovery-code hashes.
//! The secrets leave this module only sealed, or as the base32 text and
//! `otpauth://` URI the enrollment page shows once.

use rand::RngCore;
use rand::rngs::OsRng;
use totp_rs::{Algorithm, Builder, Secret, Totp};
use uuid::Uuid;

use super::{MasterKey, Pepper};

/// Seconds per time step.
pub const TOTP_STEP_SECS: u64 = 30;
/// Digits of a code.
pub const TOTP_DIGITS: usize = 6;
/// 160 bits, the length RFC 4226 §4 recommends for HMAC-SHA1.
const SECRET_BYTES: usize = 20;

/// An authenticator app's shared secret. Its `Debug` never shows it.
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(REDACTED)")
    }
}

/// The associated data of a sealed secret: it opens only for its factor row.
fn context(factor_id: Uuid) -> String {
    format!("factors:{factor_id}")
}

impl TotpSecret {
    /// A fresh random secret from the OS CSPRNG.
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; SECRET_BYTES];
        OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Encrypts the secret under the master key, bound to its factor row.
    pub fn seal(&self, key: &MasterKey, factor_id: Uuid) -> anyhow::Result<String> {
        key.encrypt(&self.0, &context(factor_id))
    }

    /// Reverses [`TotpSecret::seal`].
    pub fn open(key: &MasterKey, factor_id: Uuid, sealed: &str) -> anyhow::Result<Self> {
        Ok(Self(key.decrypt(sealed, &context(factor_id))?))
    }

    fn totp(&self, issuer: Option<&str>, label: &str) -> anyhow::Result<Totp> {
        let mut builder = Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(TOTP_DIGITS as u8)
            .with_step_duration(TOTP_STEP_SECS)
            .with_skew(0)
            .with_secret(Secret::from(self.0.clone()));
        if !label.is_empty() {
            builder = builder.with_account_name(label.replace(':', " "));
        }
        builder
            .with_issuer(issuer.map(|i| i.replace(':', " ")))
            .build()
            .map_err(|e| anyhow::anyhow!("building the TOTP generator: {e}"))
    }

    /// The secret in base32 (RFC 4648, no padding), as apps accept it typed.
    pub fn base32(&self) -> String {
        Secret::from(self.0.clone())
            .to_base32()
            .trim_end_matches('=')
            .to_owned()
    }

    /// The `otpauth://totp/…` URI a QR code carries (Key URI Format).
    pub fn otpauth_uri(&self, issuer: &str, label: &str) -> anyhow::Result<String> {
        self.totp(Some(issuer), label)?
            .to_url()
            .map_err(|e| anyhow::anyhow!("building the otpauth URI: {e}"))
    }

    /// The time step within `skew` steps of `unix_secs` whose code is
    /// `code` (compared in constant time), the latest if several match.
    pub fn matching_step(&self, code: &str, unix_secs: i64, skew: i64) -> Option<i64> {
        let totp = self.totp(None, "").ok()?;
        let now_step = unix_secs.div_euclid(TOTP_STEP_SECS as i64);
        let mut found = None;
        // Every step is computed, matched or not, so that the time taken
        // does not tell which one matched.
        for step in (now_step - skew)..=(now_step + skew) {
            let Ok(at) = u64::try_from(step * TOTP_STEP_SECS as i64) else {
                continue;
            };
            if totp.check(code, at).is_some() {
                found = Some(step);
            }
        }
        found
    }
}

/// The pepper of recovery-code hashes, derived from the master key.
fn recovery_pepper(key: &MasterKey) -> Pepper {
    Pepper::new(key.derive("recovery-code-pepper"))
}

/// HMAC-SHA256(pepper, user id ‖ code), hex: how a recovery code is stored.
/// The code is normalised first (see [`normalize_recovery_code`]).
pub fn recovery_code_hash(key: &MasterKey, user_id: Uuid, normalized: &str) -> String {
    recovery_pepper(key).mac_hex(&[user_id.as_bytes(), normalized.as_bytes()])
}

/// The alphabet of recovery codes: lower-case letters and digits without
/// the look-alikes 0/o, 1/l/i (31 symbols, 4.95 bits each).
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// Symbols per recovery code: about 49.5 bits.
pub const RECOVERY_CODE_LEN: usize = 10;

/// A new recovery code, normalised (no dash): 10 symbols drawn uniformly.
pub fn generate_recovery_code() -> String {
    use rand::Rng;
    use rand::distributions::Uniform;
    let pick = Uniform::new(0, RECOVERY_ALPHABET.len());
    (0..RECOVERY_CODE_LEN)
        .map(|_| char::from(RECOVERY_ALPHABET[OsRng.sample(pick)]))
        .collect()
}

/// A typed recovery code as stored: lower case, without spaces or dashes.
pub fn normalize_recovery_code(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_for_its_row() {
        let key = MasterKey::generate();
        let secret = TotpSecret::generate();
        let id = Uuid::new_v4();
        let sealed = secret.seal(&key, id).unwrap();
        assert_eq!(TotpSecret::open(&key, id, &sealed).unwrap().0, secret.0);
        assert!(TotpSecret::open(&key, Uuid::new_v4(), &sealed).is_err());
        assert!(!format!("{secret:?}").contains(&secret.base32()));
    }

    #[test]
    fn the_rfc_6238_vector_matches_its_step() {
        // RFC 6238 Appendix B, SHA-1, T = 59 s: 94287082 (8 digits); the
        // 6-digit code is its last six.
        let secret = TotpSecret(b"12345678901234567890".to_vec());
        assert_eq!(secret.matching_step("287082", 59, 0), Some(1));
        assert_eq!(secret.matching_step("287082", 59 + 30, 1), Some(1));
        assert_eq!(secret.matching_step("287082", 59 + 60, 1), None);
        assert_eq!(secret.matching_step("28708", 59, 1), None);
    }

    #[test]
    fn the_uri_names_issuer_label_and_secret() {
        let secret = TotpSecret::generate();
        let uri = secret.otpauth_uri("ferrid", "+44 ••••• ••3456").unwrap();
        assert!(uri.starts_with("otpauth://totp/ferrid:"), "{uri}");
        assert!(uri.contains(&format!("secret={}", secret.base32())));
        assert!(uri.contains("issuer=ferrid"));
    }

    #[test]
    fn recovery_codes_are_ten_unambiguous_symbols_and_normalise() {
        let code = generate_recovery_code();
        assert_eq!(code.len(), RECOVERY_CODE_LEN);
        assert!(code.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)));
        assert_eq!(normalize_recovery_code(" AbCdE-fGh jk "), "abcdefghjk");
        let key = MasterKey::generate();
        let user = Uuid::new_v4();
        assert_ne!(
            recovery_code_hash(&key, user, "abcdefghjk"),
            recovery_code_hash(&key, Uuid::new_v4(), "abcdefghjk")
        );
    }
}
