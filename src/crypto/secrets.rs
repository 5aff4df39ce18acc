use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// 32 random bytes from the OS, base64url: authorization codes, opaque
/// tokens, client secrets, session ids (256 bits, well over the 96-bit
/// entropy the OpenID conformance suite measures).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `len` random characters of `A-Z a-z 0-9` (5.95 bits each): public
/// identifiers that are safe anywhere, such as a command line, where a
/// leading `-` would be read as a flag.
pub fn random_alphanumeric(len: usize) -> String {
    use rand::Rng;
    use rand::distributions::Alphanumeric;
    OsRng
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// SHA-256, hex: how high-entropy secrets (codes, tokens, client secrets) are stored.
pub fn sha256_hex(value: &str) -> String {
    hex(&Sha256::digest(value.as_bytes()))
}

/// Whether `value` hashes to `expected_hex`, compared in constant time.
pub fn verify_sha256_hex(value: &str, expected_hex: &str) -> bool {
    constant_time_eq(sha256_hex(value).as_bytes(), expected_hex.as_bytes())
}

/// Constant-time equality of two byte strings.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A server-side secret for HMAC: the pepper of low-entropy OTP hashes and
/// the key of CSRF tokens. Derived from the master key per purpose.
#[derive(Clone)]
pub struct Pepper([u8; 32]);

impl std::fmt::Debug for Pepper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pepper(REDACTED)")
    }
}

impl Pepper {
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// HMAC-SHA256 over the parts joined by a separator, hex.
    pub fn mac_hex(&self, parts: &[&[u8]]) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                mac.update(b"\x1f");
            }
            mac.update(part);
        }
        hex(&mac.finalize().into_bytes())
    }

    /// Whether the HMAC of `parts` equals `expected_hex`, in constant time.
    pub fn verify_hex(&self, parts: &[&[u8]], expected_hex: &str) -> bool {
        constant_time_eq(self.mac_hex(parts).as_bytes(), expected_hex.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_tokens_are_43_chars_of_base64url_and_differ() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(a, random_token());
    }

    #[test]
    fn alphanumeric_ids_never_start_with_a_dash() {
        for _ in 0..1000 {
            let id = random_alphanumeric(22);
            assert_eq!(id.len(), 22);
            assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
        }
    }

    #[test]
    fn sha256_verification_accepts_only_the_same_value() {
        let h = sha256_hex("abc");
        assert_eq!(
            h,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(verify_sha256_hex("abc", &h));
        assert!(!verify_sha256_hex("abd", &h));
    }

    #[test]
    fn pepper_mac_separates_parts() {
        let p = Pepper::new([7; 32]);
        assert_ne!(p.mac_hex(&[b"ab", b"c"]), p.mac_hex(&[b"a", b"bc"]));
        let m = p.mac_hex(&[b"id", b"123456"]);
        assert!(p.verify_hex(&[b"id", b"123456"], &m));
        assert!(!p.verify_hex(&[b"id", b"123457"], &m));
    }
}
