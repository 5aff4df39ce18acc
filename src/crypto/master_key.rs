use std::fmt;
use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, OsRng};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

const NONCE_LEN: usize = 12;

/// The 32-byte key that encrypts secrets at rest (AES-256-GCM) and derives
/// the peppers. Its `Debug` never shows the bytes.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(REDACTED)")
    }
}

impl MasterKey {
    /// Parses 32 bytes written in standard base64.
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| "not valid base64 (expected 32 random bytes, base64)".to_owned())?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|v: Vec<u8>| format!("decodes to {} bytes; 32 are required", v.len()))?;
        Ok(Self(bytes))
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        let key = Aes256Gcm::generate_key(OsRng);
        Self(key.into())
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Encrypts with a fresh nonce; the output is `nonce ‖ ciphertext`, base64.
    /// `context` is bound as associated data so a ciphertext cannot be moved
    /// to another column or row.
    pub fn encrypt(&self, plaintext: &[u8], context: &str) -> anyhow::Result<String> {
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.0));
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(
                &nonce,
                aes_gcm::aead::Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(STANDARD.encode(out))
    }

    /// Reverses [`MasterKey::encrypt`]; fails on a wrong key, context or tampering.
    pub fn decrypt(&self, sealed: &str, context: &str) -> anyhow::Result<Vec<u8>> {
        let bytes = STANDARD
            .decode(sealed)
            .context("sealed value is not base64")?;
        if bytes.len() < NONCE_LEN {
            anyhow::bail!("sealed value is too short");
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.0));
        cipher
            .decrypt(
                Nonce::from_slice(nonce),
                aes_gcm::aead::Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("decryption failed: wrong master key or tampered value"))
    }

    /// A purpose-specific 32-byte key derived with HMAC-SHA256, so one master
    /// key can pepper OTP hashes and sign CSRF tokens without reuse.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        let mut mac =
            <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The 64 bytes that seal the dashboard's session cookie (32 to sign,
    /// 32 to encrypt), derived like [`derive`](Self::derive): the same on
    /// every instance that shares the master key, never the key itself.
    pub fn dashboard_session_key(&self) -> [u8; 64] {
        let mut key = [0u8; 64];
        key[..32].copy_from_slice(&self.derive("dashboard-session:signing"));
        key[32..].copy_from_slice(&self.derive("dashboard-session:encryption"));
        key
    }
}

/// Dev mode only: reads the master key kept in `path`, or creates it (0600).
pub fn load_or_create_dev_master_key(path: &Path) -> anyhow::Result<MasterKey> {
    if path.exists() {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        return MasterKey::from_base64(&text)
            .map_err(|p| anyhow::anyhow!("{}: {p}", path.display()));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let key = MasterKey::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(key.to_base64().as_bytes())?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypt_then_decrypt_round_trips_and_binds_the_context() {
        let key = MasterKey::generate();
        let sealed = key.encrypt(b"secret", "signing_keys:abc").unwrap();
        assert_eq!(key.decrypt(&sealed, "signing_keys:abc").unwrap(), b"secret");
        assert!(key.decrypt(&sealed, "signing_keys:other").is_err());
        assert!(
            MasterKey::generate()
                .decrypt(&sealed, "signing_keys:abc")
                .is_err()
        );
    }

    #[test]
    fn base64_key_must_be_32_bytes() {
        assert!(MasterKey::from_base64("short").is_err());
        assert!(MasterKey::from_base64(&STANDARD.encode([0u8; 16])).is_err());
        let key = MasterKey::generate();
        assert!(MasterKey::from_base64(&key.to_base64()).is_ok());
    }

    #[test]
    fn dev_key_file_is_created_once_with_private_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/master.key");
        let first = load_or_create_dev_master_key(&path).unwrap();
        let second = load_or_create_dev_master_key(&path).unwrap();
        assert_eq!(first.to_base64(), second.to_base64());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
