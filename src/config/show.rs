//! What `ferrid config check` prints: the effective settings as TOML, with
//! every secret replaced by "(set)".

use secrecy::SecretString;

use super::{MasterKeySource, Settings};

impl Settings {
    /// The effective settings as TOML, secrets replaced by "(set)"; an error,
    /// never empty text, when they cannot be written as TOML.
    pub fn to_redacted_toml(&self) -> Result<String, toml::ser::Error> {
        let secret = |s: &Option<SecretString>| s.as_ref().map(|_| "(set)".to_owned());
        let t = &self.tokens;
        let o = &self.otp;
        let value = serde_json::json!({
            "issuer": self.issuer_base(),
            "bind": self.bind.to_string(),
            "trusted_proxies": self.trusted_proxies.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "database_url": self.database_url.redacted(),
            "database_max_connections": self.database_max_connections,
            "redis_url": secret(&self.redis_url),
            "redis_prefix": self.redis_prefix,
            "master_key": match &self.master_key {
                MasterKeySource::Given(_) => "(set)".to_owned(),
                MasterKeySource::DevFile(path) => format!("(dev: kept in {})", path.display()),
            },
            "dev": self.dev,
            "data_dir": self.data_dir.display().to_string(),
            "log_format": self.log_format,
            "tokens": {
                "access_token_ttl": t.access_token_ttl.to_string(),
                "id_token_ttl": t.id_token_ttl.to_string(),
                "authorization_code_ttl": t.authorization_code_ttl.to_string(),
                "refresh_token_ttl": t.refresh_token_ttl.to_string(),
                "refresh_token_idle_ttl": t.refresh_token_idle_ttl.to_string(),
                "login_transaction_ttl": t.login_transaction_ttl.to_string(),
                "sso_session_ttl": t.sso_session_ttl.to_string(),
                "key_rotation_grace": t.key_rotation_grace.to_string(),
                "key_publish_lead": t.key_publish_lead.to_string(),
            },
            "cookies": { "secure": self.secure_cookies },
            "otp": {
                "length": o.length,
                "ttl": o.ttl.to_string(),
                "max_attempts": o.max_attempts,
                "resend_cooldown": o.resend_cooldown.to_string(),
                "max_sends_per_phone_per_hour": o.max_sends_per_phone_per_hour,
                "max_sends_per_ip_per_hour": o.max_sends_per_ip_per_hour,
                "max_sends_per_network_per_hour": o.max_sends_per_network_per_hour,
                "max_sends_per_minute": o.max_sends_per_minute,
                "circuit_breaker_cooldown": o.circuit_breaker_cooldown.to_string(),
                "default_region": o.default_region,
                "max_failures_per_recipient": o.max_failures_per_recipient,
                "failure_window": o.failure_window.to_string(),
            },
            "login": {
                "signup": self.login.signup,
                "max_pending_per_ip": self.login.max_pending_per_ip,
            },
            "account": { "reauth_window": self.account.reauth_window.to_string() },
            "http": {
                "keep_alive": self.http.keep_alive.to_string(),
                "client_request_timeout": self.http.client_request_timeout.to_string(),
            },
            "email": {
                "smtp_url": self.email.smtp_url.as_ref().map(super::SmtpUrl::redacted),
                "from": self.email.from,
                "max_attempts": self.email.max_attempts,
                "max_age": self.email.max_age.to_string(),
                "retry_base": self.email.retry_base.to_string(),
                "smtp_timeout": self.email.smtp_timeout.to_string(),
                "poll_interval": self.email.poll_interval.to_string(),
            },
            "sms": {
                "provider": self.sms.provider,
                "twilio_account_sid": self.sms.twilio_account_sid,
                "twilio_auth_token": secret(&self.sms.twilio_auth_token),
                "twilio_messaging_service_sid": self.sms.twilio_messaging_service_sid,
                "twilio_from": self.sms.twilio_from,
                "webhook_url": self.sms.webhook_url,
                "webhook_secret": secret(&self.sms.webhook_secret),
                "allow_test_numbers": self.sms.allow_test_numbers,
                "allowed_countries": self.sms.allowed_countries,
                "breaker_failures": self.sms.breaker_failures,
                "breaker_cooldown": self.sms.breaker_cooldown.to_string(),
                "pumping": {
                    "window": self.sms.pumping.window.to_string(),
                    "min_sends": self.sms.pumping.min_sends,
                    "min_verified_ratio": self.sms.pumping.min_verified_ratio,
                    "throttle_for": self.sms.pumping.throttle_for.to_string(),
                },
            },
        });
        toml::to_string_pretty(&strip_nulls(value))
    }
}

fn strip_nulls(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        other => other,
    }
}
