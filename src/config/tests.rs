use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn load(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    Settings::from_raw(RawSettings::load(
        &ConfigFile::None,
        env(pairs),
        &Overrides::default(),
    )?)
}

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

#[test]
fn defaults_need_a_master_key_outside_dev() {
    let err = load(&[]).unwrap_err().to_string();
    assert!(err.contains("master_key"), "{err}");
}

#[test]
fn dev_mode_keeps_the_master_key_in_the_data_dir() {
    let s = load(&[("FERRID_DEV", "true")]).unwrap();
    assert!(matches!(s.master_key, MasterKeySource::DevFile(ref p) if p.ends_with("master.key")));
    assert!(!s.secure_cookies);
}

#[test]
fn env_overrides_nested_keys() {
    let s = load(&[
        ("FERRID_MASTER_KEY", KEY),
        ("FERRID_TOKENS__ACCESS_TOKEN_TTL", "15m"),
        ("FERRID_OTP__MAX_ATTEMPTS", "3"),
    ])
    .unwrap();
    assert_eq!(s.tokens.access_token_ttl.0, Duration::from_secs(900));
    assert_eq!(s.otp.max_attempts, 3);
    assert!(s.secure_cookies);
}

#[test]
fn a_bad_database_url_names_the_key() {
    let err = load(&[
        ("FERRID_MASTER_KEY", KEY),
        ("FERRID_DATABASE_URL", "nonsense://x"),
    ])
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("database_url") && err.contains("nonsense"),
        "{err}"
    );
}

#[test]
fn a_short_master_key_names_the_key() {
    let err = load(&[("FERRID_MASTER_KEY", "short")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("master_key"), "{err}");
}

#[test]
fn an_unparseable_duration_names_the_key() {
    let err = load(&[("FERRID_MASTER_KEY", KEY), ("FERRID_OTP__TTL", "soon")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("otp.ttl") || err.contains("ttl"), "{err}");
}

#[test]
fn http_issuer_is_refused_outside_dev_unless_loopback() {
    let err = load(&[
        ("FERRID_MASTER_KEY", KEY),
        ("FERRID_ISSUER", "http://id.example.com"),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("issuer"), "{err}");
    assert!(
        load(&[
            ("FERRID_MASTER_KEY", KEY),
            ("FERRID_ISSUER", "http://localhost:9000")
        ])
        .is_ok()
    );
}

#[test]
fn sqlite_parent_dir_is_found() {
    let url = DatabaseUrl::parse("sqlite://data/ferrid.db?mode=rwc").unwrap();
    assert_eq!(url.sqlite_parent_dir(), Some(PathBuf::from("data")));
    assert_eq!(
        DatabaseUrl::parse("sqlite::memory:")
            .unwrap()
            .sqlite_parent_dir(),
        None
    );
}

#[test]
fn redacted_output_hides_secrets() {
    let s = load(&[
        ("FERRID_MASTER_KEY", KEY),
        ("FERRID_DATABASE_URL", "postgres://u:hunter2@db/ferrid"),
    ])
    .unwrap();
    let out = s.to_redacted_toml().unwrap();
    assert!(!out.contains("hunter2") && !out.contains(KEY), "{out}");
    assert!(out.contains("master_key = \"(set)\""), "{out}");
}

#[test]
fn trusted_proxies_parse_addresses_and_networks_and_name_a_bad_entry() {
    let s = load(&[
        ("FERRID_MASTER_KEY", KEY),
        ("FERRID_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7, ::1"),
    ])
    .unwrap();
    assert_eq!(s.trusted_proxies.len(), 3);
    let err = load(&[
        ("FERRID_MASTER_KEY", KEY),
        ("FERRID_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local"),
    ])
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("trusted_proxies") && err.contains("proxy.local"),
        "{err}"
    );
}

#[test]
fn the_key_publish_lead_defaults_to_ten_minutes_and_a_bad_one_names_the_key() {
    let s = load(&[("FERRID_MASTER_KEY", KEY)]).unwrap();
    assert_eq!(s.tokens.key_publish_lead.0, Duration::from_secs(600));
    assert!(
        s.to_redacted_toml()
            .unwrap()
            .contains("key_publish_lead = \"10m\""),
        "{}",
        s.to_redacted_toml().unwrap()
    );
    let err = load(&[
        ("FERRID_MASTER_KEY", KEY),
        ("FERRID_TOKENS__KEY_PUBLISH_LEAD", "90d"),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("tokens.key_publish_lead"), "{err}");
}

#[test]
fn the_failure_budget_has_defaults_is_shown_and_a_bad_value_names_its_key() {
    let s = load(&[("FERRID_MASTER_KEY", KEY)]).unwrap();
    assert_eq!(s.otp.max_failures_per_recipient, 20);
    assert_eq!(s.otp.failure_window.0, Duration::from_secs(24 * 3600));
    let out = s.to_redacted_toml().unwrap();
    assert!(
        out.contains("max_failures_per_recipient = 20") && out.contains("failure_window"),
        "{out}"
    );
    for (key, value, named) in [
        (
            "FERRID_OTP__MAX_FAILURES_PER_RECIPIENT",
            "0",
            "otp.max_failures_per_recipient",
        ),
        ("FERRID_OTP__FAILURE_WINDOW", "0s", "otp.failure_window"),
        ("FERRID_OTP__RESEND_COOLDOWN", "2h", "otp.resend_cooldown"),
    ] {
        let err = load(&[("FERRID_MASTER_KEY", KEY), (key, value)])
            .unwrap_err()
            .to_string();
        assert!(err.contains(named), "{err}");
    }
}

#[test]
fn pending_sign_ins_per_address_default_to_30_and_must_be_positive() {
    let s = load(&[("FERRID_MASTER_KEY", KEY)]).unwrap();
    assert_eq!(s.login.max_pending_per_ip, 30);
    assert!(
        s.to_redacted_toml()
            .unwrap()
            .contains("max_pending_per_ip = 30")
    );
    let s = load(&[
        ("FERRID_MASTER_KEY", KEY),
        ("FERRID_LOGIN__MAX_PENDING_PER_IP", "5"),
    ])
    .unwrap();
    assert_eq!(s.login.max_pending_per_ip, 5);
    let err = load(&[
        ("FERRID_MASTER_KEY", KEY),
        ("FERRID_LOGIN__MAX_PENDING_PER_IP", "0"),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("login.max_pending_per_ip"), "{err}");
}

#[test]
fn the_sms_provider_breaker_has_defaults_and_names_a_bad_key() {
    let s = load(&[("FERRID_MASTER_KEY", KEY)]).unwrap();
    assert_eq!(s.sms.breaker_failures, 5);
    assert_eq!(s.sms.breaker_cooldown.0, Duration::from_secs(60));
    let toml = s.to_redacted_toml().unwrap();
    assert!(toml.contains("breaker_failures = 5"), "{toml}");
    let err = load(&[
        ("FERRID_MASTER_KEY", KEY),
        ("FERRID_SMS__BREAKER_FAILURES", "0"),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("sms.breaker_failures"), "{err}");
    let err = load(&[
        ("FERRID_MASTER_KEY", KEY),
        ("FERRID_SMS__BREAKER_COOLDOWN", "0s"),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("sms.breaker_cooldown"), "{err}");
}

#[test]
fn pumping_detection_has_defaults_shown_by_config_check_and_names_a_bad_key() {
    let s = load(&[("FERRID_MASTER_KEY", KEY)]).unwrap();
    let p = &s.sms.pumping;
    assert_eq!(p.window.0, Duration::from_secs(3600));
    assert_eq!(p.min_sends, 20);
    assert!((p.min_verified_ratio - 0.2).abs() < f64::EPSILON);
    assert_eq!(p.throttle_for.0, Duration::from_secs(3600));
    let toml = s.to_redacted_toml().unwrap();
    assert!(toml.contains("[sms.pumping]"), "{toml}");
    assert!(toml.contains("min_verified_ratio = 0.2"), "{toml}");
    let s = load(&[
        ("FERRID_MASTER_KEY", KEY),
        ("FERRID_SMS__PUMPING__MIN_SENDS", "50"),
    ])
    .unwrap();
    assert_eq!(s.sms.pumping.min_sends, 50);
    for (key, value, named) in [
        (
            "FERRID_SMS__PUMPING__MIN_VERIFIED_RATIO",
            "1.5",
            "sms.pumping.min_verified_ratio",
        ),
        (
            "FERRID_SMS__PUMPING__MIN_SENDS",
            "0",
            "sms.pumping.min_sends",
        ),
        ("FERRID_SMS__PUMPING__WINDOW", "0s", "sms.pumping.window"),
        (
            "FERRID_SMS__PUMPING__THROTTLE_FOR",
            "0s",
            "sms.pumping.throttle_for",
        ),
    ] {
        let err = load(&[("FERRID_MASTER_KEY", KEY), (key, value)])
            .unwrap_err()
            .to_string();
        assert!(err.contains(named), "{key}: {err}");
    }
}

#[test]
fn keep_alive_defaults_to_75s_is_shown_and_bad_values_name_the_key() {
    let s = load(&[("FERRID_MASTER_KEY", KEY)]).unwrap();
    assert_eq!(s.http.keep_alive.0, Duration::from_secs(75));
    assert_eq!(s.http.client_request_timeout.0, Duration::from_secs(10));
    let toml = s.to_redacted_toml().unwrap();
    assert!(toml.contains("keep_alive = \"1m 15s\""), "{toml}");
    assert!(toml.contains("client_request_timeout = \"10s\""), "{toml}");
    let s = load(&[
        ("FERRID_MASTER_KEY", KEY),
        ("FERRID_HTTP__KEEP_ALIVE", "2m"),
        ("FERRID_HTTP__CLIENT_REQUEST_TIMEOUT", "3s"),
    ])
    .unwrap();
    assert_eq!(s.http.keep_alive.0, Duration::from_secs(120));
    assert_eq!(s.http.client_request_timeout.0, Duration::from_secs(3));
    for (key, value, named) in [
        ("FERRID_HTTP__KEEP_ALIVE", "0s", "http.keep_alive"),
        ("FERRID_HTTP__KEEP_ALIVE", "1500ms", "http.keep_alive"),
        ("FERRID_HTTP__KEEP_ALIVE", "2h", "http.keep_alive"),
        (
            "FERRID_HTTP__CLIENT_REQUEST_TIMEOUT",
            "0s",
            "http.client_request_timeout",
        ),
        (
            "FERRID_HTTP__CLIENT_REQUEST_TIMEOUT",
            "10m",
            "http.client_request_timeout",
        ),
    ] {
        let err = load(&[("FERRID_MASTER_KEY", KEY), (key, value)])
            .unwrap_err()
            .to_string();
        assert!(err.contains(named), "{value}: {err}");
    }
}

#[test]
fn the_pool_is_one_connection_on_sqlite_and_at_least_ten_on_postgres_by_default() {
    let s = load(&[("FERRID_MASTER_KEY", KEY)]).unwrap();
    assert_eq!(s.database_max_connections, 1);
    let s = load(&[
        ("FERRID_MASTER_KEY", KEY),
        ("FERRID_DATABASE_URL", "postgres://db.internal/ferrid"),
    ])
    .unwrap();
    assert!(s.database_max_connections >= 10);
}

#[test]
fn the_pool_size_is_taken_from_the_environment() {
    let s = load(&[
        ("FERRID_MASTER_KEY", KEY),
        ("FERRID_DATABASE_MAX_CONNECTIONS", "4"),
    ])
    .unwrap();
    assert_eq!(s.database_max_connections, 4);
    let shown = s.to_redacted_toml().unwrap();
    assert!(shown.contains("database_max_connections = 4"), "{shown}");
}

#[test]
fn a_pool_of_zero_or_fewer_connections_names_the_key() {
    for bad in ["0", "-3", "100000"] {
        let err = load(&[
            ("FERRID_MASTER_KEY", KEY),
            ("FERRID_DATABASE_MAX_CONNECTIONS", bad),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("database_max_connections") && err.contains(bad),
            "{bad}: {err}"
        );
    }
}

#[test]
fn a_pool_size_that_is_not_a_number_names_the_key() {
    let err = load(&[
        ("FERRID_MASTER_KEY", KEY),
        ("FERRID_DATABASE_MAX_CONNECTIONS", "lots"),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("database_max_connections"), "{err}");
}
