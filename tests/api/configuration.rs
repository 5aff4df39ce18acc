use crate::helpers::run_ferrid;

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn files_in(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_bad_database_url_stops_the_start_naming_the_setting_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ferrid(
        dir.path(),
        &[("FERRID_DATABASE_URL", "nonsense://x")],
        &["serve", "--dev"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("database_url"), "{err}");
    assert!(
        files_in(dir.path()).is_empty(),
        "created {:?}",
        files_in(dir.path())
    );
}

#[test]
fn a_short_master_key_stops_the_start_naming_the_setting_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ferrid(dir.path(), &[("FERRID_MASTER_KEY", "short")], &["serve"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("master_key"), "{err}");
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn a_missing_master_key_outside_dev_mode_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ferrid(dir.path(), &[], &["serve"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("master_key"));
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn a_bad_value_in_the_file_names_its_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ferrid.toml"),
        "[otp]\nmax_attempts = \"many\"\n",
    )
    .unwrap();
    let out = run_ferrid(
        dir.path(),
        &[("FERRID_MASTER_KEY", KEY)],
        &["config", "check"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("max_attempts"), "{err}");
}

#[test]
fn environment_wins_over_the_file_which_wins_over_defaults() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("custom.toml"),
        "issuer = \"https://id.example.com\"\n[tokens]\naccess_token_ttl = \"5m\"\nid_token_ttl = \"20m\"\n",
    )
    .unwrap();
    let out = run_ferrid(
        dir.path(),
        &[
            ("FERRID_MASTER_KEY", KEY),
            ("FERRID_TOKENS__ID_TOKEN_TTL", "30m"),
        ],
        &["config", "check", "--config", "custom.toml"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("issuer = \"https://id.example.com\""),
        "{text}"
    );
    assert!(text.contains("access_token_ttl = \"5m\""), "{text}");
    assert!(text.contains("id_token_ttl = \"30m\""), "{text}");
    assert!(
        text.contains("refresh_token_ttl = \"30days\""),
        "default kept: {text}"
    );
}

#[test]
fn config_check_redacts_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ferrid(
        dir.path(),
        &[
            ("FERRID_MASTER_KEY", KEY),
            (
                "FERRID_DATABASE_URL",
                "postgres://ferrid:hunter2@db.internal/ferrid",
            ),
            ("FERRID_REDIS_URL", "redis://:redispass@cache:6379"),
        ],
        &["config", "check"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for secret in [KEY, "hunter2", "redispass"] {
        assert!(!text.contains(secret), "{secret} printed:\n{text}");
    }
    assert!(text.contains("db.internal"));
    assert!(
        files_in(dir.path()).is_empty(),
        "config check creates nothing"
    );
}

#[test]
fn an_explicit_config_file_that_does_not_exist_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ferrid(
        dir.path(),
        &[("FERRID_MASTER_KEY", KEY)],
        &["config", "check", "--config", "missing.toml"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.toml"));
}
