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

/// The tables the migrations create, named by their `mYYYYMMDD_HHMMSS_create_TABLE.rs` files.
fn tables_the_migrations_create() -> std::collections::BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/src");
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|entry| {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let stem = name.strip_suffix(".rs")?;
            let (_, table) = stem.split_once("_create_")?;
            Some(table.to_owned())
        })
        .collect()
}

#[tokio::test]
async fn migrations_create_every_table_of_the_data_model() {
    use ferrid::store::ConnectionTrait;
    let database = TestDatabase::create().await;
    let db = store::connect(&DatabaseUrl::parse(&database.url).unwrap(), 2)
        .await
        .unwrap();
    store::migrate(&db).await.unwrap();
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        _ => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'"
        }
    };
    let present: std::collections::BTreeSet<String> = db
        .query_all_raw(sea_orm::Statement::from_string(backend, sql))
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.try_get::<String>("", "name").unwrap())
        .filter(|name| name != "seaql_migrations")
        .collect();
    let expected = tables_the_migrations_create();
    // The data model's tables, whatever the files say: none may go missing.
    for table in [
        "users",
        "clients",
        "signing_keys",
        "otp_challenges",
        "login_transactions",
        "sso_sessions",
        "authorization_codes",
        "refresh_tokens",
        "refresh_token_families",
        "revoked_access_tokens",
        "consents",
        "otp_recipients",
        "audit_events",
        "outbox",
        "sms_outbox",
        "settings",
    ] {
        assert!(expected.contains(table), "no migration creates {table}");
    }
    assert_eq!(present, expected, "every created table, and nothing else");
    for table in &expected {
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
