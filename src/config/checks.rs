//! The checks of each settings section: a bad value is refused with an
//! error naming its key.

use super::*;

pub(super) fn check_tokens(t: &TokenSettings) -> Result<(), ConfigError> {
    let positive = [
        ("tokens.access_token_ttl", t.access_token_ttl),
        ("tokens.id_token_ttl", t.id_token_ttl),
        ("tokens.authorization_code_ttl", t.authorization_code_ttl),
        ("tokens.refresh_token_ttl", t.refresh_token_ttl),
        ("tokens.refresh_token_idle_ttl", t.refresh_token_idle_ttl),
        ("tokens.login_transaction_ttl", t.login_transaction_ttl),
        ("tokens.sso_session_ttl", t.sso_session_ttl),
    ];
    for (key, span) in positive {
        if span.0.is_zero() {
            return Err(ConfigError::invalid(key, "must be longer than zero"));
        }
    }
    if t.authorization_code_ttl.0 > Duration::from_secs(60) {
        // ferrid's rule (RFC 6749 §4.1.2 recommends at most 10 minutes).
        return Err(ConfigError::invalid(
            "tokens.authorization_code_ttl",
            "must be 60s or less",
        ));
    }
    if t.key_publish_lead.0 > Duration::from_secs(30 * 24 * 3600) {
        // A rotated-in key waiting longer than that is a typo, not a plan.
        return Err(ConfigError::invalid(
            "tokens.key_publish_lead",
            "must be 30d or less",
        ));
    }
    Ok(())
}

pub(super) fn check_otp(o: &OtpSettings) -> Result<(), ConfigError> {
    if !(4..=10).contains(&o.length) {
        return Err(ConfigError::invalid(
            "otp.length",
            "must be between 4 and 10 digits",
        ));
    }
    if o.ttl.0.is_zero() {
        return Err(ConfigError::invalid("otp.ttl", "must be longer than zero"));
    }
    if o.max_attempts == 0 {
        return Err(ConfigError::invalid(
            "otp.max_attempts",
            "must be at least 1",
        ));
    }
    // The sweep forgets a recipient's last send after a day.
    if o.resend_cooldown.0 > Duration::from_secs(3600) {
        return Err(ConfigError::invalid(
            "otp.resend_cooldown",
            "must be 1h or less",
        ));
    }
    // NIST SP 800-63B §5.2.2: failed attempts on one account are capped.
    if o.max_failures_per_recipient == 0 {
        return Err(ConfigError::invalid(
            "otp.max_failures_per_recipient",
            "must be at least 1",
        ));
    }
    if o.failure_window.0.is_zero() {
        return Err(ConfigError::invalid(
            "otp.failure_window",
            "must be longer than zero",
        ));
    }
    if let Some(region) = &o.default_region
        && region.parse::<phonenumber::country::Id>().is_err()
    {
        return Err(ConfigError::invalid(
            "otp.default_region",
            format!("`{region}` is not an ISO 3166 region code like GB"),
        ));
    }
    Ok(())
}

pub(super) fn check_http(h: &HttpSettings) -> Result<(), ConfigError> {
    // Whole seconds: the `Keep-Alive: timeout=N` header announces seconds.
    let keep_alive = h.keep_alive.0;
    if keep_alive < Duration::from_secs(1)
        || keep_alive > Duration::from_secs(3600)
        || keep_alive.subsec_nanos() != 0
    {
        return Err(ConfigError::invalid(
            "http.keep_alive",
            "must be whole seconds between 1s and 1h (75s outlasts common client pools)",
        ));
    }
    let timeout = h.client_request_timeout.0;
    if timeout.is_zero() || timeout > Duration::from_secs(300) {
        return Err(ConfigError::invalid(
            "http.client_request_timeout",
            "must be longer than zero and at most 5m",
        ));
    }
    Ok(())
}

pub(super) fn check_sms(s: &SmsSettings) -> Result<(), ConfigError> {
    if s.breaker_failures == 0 {
        return Err(ConfigError::invalid(
            "sms.breaker_failures",
            "must be at least 1",
        ));
    }
    if s.breaker_cooldown.0.is_zero() {
        return Err(ConfigError::invalid(
            "sms.breaker_cooldown",
            "must be longer than zero",
        ));
    }
    let p = &s.pumping;
    for (key, span) in [
        ("sms.pumping.window", p.window),
        ("sms.pumping.throttle_for", p.throttle_for),
    ] {
        if span.0.is_zero() {
            return Err(ConfigError::invalid(key, "must be longer than zero"));
        }
    }
    if p.min_sends == 0 {
        return Err(ConfigError::invalid(
            "sms.pumping.min_sends",
            "must be at least 1",
        ));
    }
    if !(0.0..=1.0).contains(&p.min_verified_ratio) {
        return Err(ConfigError::invalid(
            "sms.pumping.min_verified_ratio",
            "must be between 0 and 1 (0.2 throttles a range where fewer than 1 in 5 codes are verified)",
        ));
    }
    Ok(())
}
