use ferrid::config::DatabaseUrl;
use ferrid::store;

use crate::helpers::{TestDatabase, run_ferrid};

#[tokio::test]
async fn migrations_apply_on_a_fresh_database_and_again_without_change() {
    let database = TestDatabase::create().await;
    let db = store::connect(&DatabaseUrl::parse(&database.url).unwrap(), 2)
        .await
        .unwrap();
    assert!(!store::pending_migrations(&db).await.unwrap().is_empty());
    store::migrate(&db).await.unwrap();
    assert!(store::pending_migrations(&db).await.unwrap().is_empty());
    store::migrate(&db).await.unwrap();
    assert!(store::pending_migrations(&db).await.unwrap().is_empty());
    db.close().await.unwrap();
}

#[tokio::test]
async fn migrations_create_every_table_of_the_data_model() {
    let database = TestDatabase::create().await;
    let db = store::connect(&DatabaseUrl::parse(&database.url).unwrap(), 2)
        .await
        .unwrap();
    store::migrate(&db).await.unwrap();
    use ferrid::store::ConnectionTrait;
    for table in [
        "users",
        "clients",
        "signing_keys",
        "otp_challenges",
        "login_transactions",
        "sso_sessions",
        "authorization_codes",
        "refresh_tokens",
        "audit_events",
        "outbox",
        "settings",
    ] {
        db.execute_unprepared(&format!("SELECT COUNT(*) FROM {table}"))
            .await
            .unwrap_or_else(|e| panic!("table {table}: {e}"));
    }
    db.close().await.unwrap();
}

#[tokio::test]
async fn ferrid_migrate_runs_twice_in_a_row() {
    let database = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let key = ferrid::crypto::MasterKey::generate().to_base64();
    let env = [
        ("FERRID_DATABASE_URL", database.url.as_str()),
        ("FERRID_MASTER_KEY", key.as_str()),
    ];
    let first = run_ferrid(dir.path(), &env, &["migrate"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        String::from_utf8_lossy(&first.stdout).contains("applied m20261124_000001_create_users")
    );
    let second = run_ferrid(dir.path(), &env, &["migrate"]);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert!(String::from_utf8_lossy(&second.stdout).contains("up to date"));
}
