use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A Standard Webhooks signing secret: `whsec_` followed by base64 bytes
/// (other text is used as raw bytes). Its `Debug` hides it.
#[derive(Clone)]
pub struct WebhookKey(Vec<u8>);

impl std::fmt::Debug for WebhookKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookKey(REDACTED)")
    }
}

impl WebhookKey {
    pub fn parse(secret: &str) -> Result<Self, String> {
        let bytes = match secret.strip_prefix("whsec_") {
            Some(b64) => STANDARD
                .decode(b64)
                .map_err(|_| "the part after whsec_ is not base64".to_owned())?,
            None => secret.as_bytes().to_vec(),
        };
        if bytes.len() < 16 {
            return Err("the webhook secret must be at least 16 bytes".into());
        }
        Ok(Self(bytes))
    }

    /// base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), the `v1` signature.
    pub fn sign(&self, id: &str, timestamp: &str, body: &[u8]) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        STANDARD.encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_standard_webhooks_reference_vector() {
        // From the Standard Webhooks specification's examples.
        let key = WebhookKey::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = key.sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265330",
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn short_or_malformed_secrets_are_refused() {
        assert!(WebhookKey::parse("short").is_err());
        assert!(WebhookKey::parse("whsec_!!!").is_err());
    }
}
