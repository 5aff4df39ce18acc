//! `database_max_connections`: the pool size, checked before anything starts.

use crate::helpers::run_ferrid;

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

#[test]
fn a_pool_of_zero_connections_stops_the_start_naming_the_setting_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ferrid(
        dir.path(),
        &[("FERRID_DATABASE_MAX_CONNECTIONS", "0")],
        &["serve", "--dev"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("database_max_connections"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn config_check_shows_the_pool_size_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ferrid.toml"),
        "database_max_connections = 7\n",
    )
    .unwrap();
    let out = run_ferrid(
        dir.path(),
        &[("FERRID_MASTER_KEY", KEY)],
        &["config", "check"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("database_max_connections = 7"), "{text}");
}
