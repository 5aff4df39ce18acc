//! `spawn_app()` and friends: each test gets its own server on a free port
//! and its own database, chosen by `FERRID_TEST_DATABASE_URL`:
//! absent, a temporary SQLite file; a `postgres://` URL, a fresh database
//! created on that server and dropped when the test ends.

use std::net::TcpListener;
use std::path::PathBuf;

use ferrid::config::{ConfigFile, Overrides, RawSettings, Settings};
use ferrid::crypto::MasterKey;
use ferrid::startup::{Application, MigrateOnStart};
use ferrid::store::{ConnectionTrait, DatabaseConnection};

/// A database that exists for one test.
pub struct TestDatabase {
    pub url: String,
    kind: Kind,
}

enum Kind {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A fresh, empty database on the backend the environment asks for.
    pub async fn create() -> Self {
        match std::env::var("FERRID_TEST_DATABASE_URL") {
            Ok(admin_url) if admin_url.starts_with("postgres") => {
                let name = format!("ferrid_test_{}", uuid::Uuid::new_v4().simple());
                let admin = sea_orm::Database::connect(&admin_url)
                    .await
                    .expect("connect to test PostgreSQL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let url = replace_database(&admin_url, &name);
                Self {
                    url,
                    kind: Kind::Postgres { admin_url, name },
                }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("ferrid.db").display()
                );
                Self {
                    url,
                    kind: Kind::Sqlite(dir),
                }
            }
        }
    }
}

fn replace_database(url: &str, name: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("test database URL");
    parsed.set_path(&format!("/{name}"));
    parsed.to_string()
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Kind::Postgres { admin_url, name } = &self.kind {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime: use a thread with its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    if let Ok(admin) = sea_orm::Database::connect(&admin_url).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// A running ferrid for one test.
pub struct TestApp {
    pub address: String,
    pub db: DatabaseConnection,
    pub client: reqwest::Client,
    /// Kept so that the database lives as long as the app.
    _database: TestDatabase,
}

/// Settings for a test: dev mode, a random master key, the test database.
pub fn test_settings(database_url: &str, port: u16) -> RawSettings {
    let env = vec![
        ("FERRID_DEV".to_owned(), "true".to_owned()),
        ("FERRID_DATABASE_URL".to_owned(), database_url.to_owned()),
        (
            "FERRID_MASTER_KEY".to_owned(),
            MasterKey::generate().to_base64(),
        ),
        (
            "FERRID_ISSUER".to_owned(),
            format!("http://127.0.0.1:{port}"),
        ),
        ("FERRID_BIND".to_owned(), format!("127.0.0.1:{port}")),
    ];
    RawSettings::load(&ConfigFile::None, env, &Overrides::default()).expect("test settings")
}

/// Starts ferrid in dev mode on its own database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts ferrid with the test settings changed by `adjust`.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut RawSettings)) -> TestApp {
    let database = TestDatabase::create().await;
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().expect("local addr").port();
    let mut raw = test_settings(&database.url, port);
    adjust(&mut raw);
    let settings = Settings::from_raw(raw).expect("valid test settings");
    let app = Application::build_on(settings, listener, MigrateOnStart::Yes)
        .await
        .expect("build the application");
    let db = app.db();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("http client");
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        db,
        client,
        _database: database,
    }
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request")
    }
}

/// The path of the ferrid binary built for these tests.
pub fn ferrid_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ferrid"))
}

/// Runs the ferrid binary with only the given `FERRID_*` variables set (the
/// test environment's own are removed), in `dir`.
pub fn run_ferrid(
    dir: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> std::process::Output {
    let mut cmd = std::process::Command::new(ferrid_bin());
    cmd.current_dir(dir).args(args);
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("FERRID_")) {
        cmd.env_remove(key);
    }
    cmd.env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run the ferrid binary")
}
