//! Storage: sea-orm entities (private to each module) and the queries on
//! them, one module per aggregate. Functions take `&impl ConnectionTrait` so
//! they work inside a transaction, and return plain records.

pub mod account_actions;
pub mod audit_events;
pub mod authorization_codes;
pub mod client_cache;
pub mod clients;
pub mod consents;
pub mod factor_failures;
pub mod factors;
pub mod login_transactions;
pub mod otp_challenges;
pub mod otp_recipients;
pub mod outbox;
pub mod recovery_codes;
pub mod refresh_token_families;
pub mod refresh_tokens;
pub mod revert_tokens;
pub mod revoked_access_tokens;
pub mod settings;
pub mod signing_keys;
pub mod sms_outbox;
pub mod sso_sessions;
pub mod users;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DbErr, EntityTrait, RuntimeErr, Select, SelectTwo, SqlErr,
};
pub use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionSession, TransactionTrait,
};

use crate::config::{DatabaseBackend, DatabaseUrl};

/// A storage failure: a broken unique rule is told apart from the rest.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("already exists")]
    Conflict,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Self::Conflict,
            _ => Self::Unexpected(anyhow::Error::new(err)),
        }
    }
}

/// Whether an error says the database is away (down, restarting, not
/// answering), rather than that a query was wrong: the request is answered
/// 503 with `Retry-After`, and the pool reconnects by itself when the
/// database is back. This is the one place that knows what such errors
/// look like.
pub fn is_unavailable(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        if let Some(StoreError::Unexpected(inner)) = e.downcast_ref::<StoreError>() {
            return is_unavailable(inner);
        }
        if let Some(db) = e.downcast_ref::<DbErr>() {
            return match db {
                DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
                DbErr::Exec(RuntimeErr::SqlxError(sqlx))
                | DbErr::Query(RuntimeErr::SqlxError(sqlx)) => sqlx_unavailable(sqlx),
                _ => false,
            };
        }
        if let Some(sqlx) = e.downcast_ref::<sea_orm::sqlx::Error>() {
            return sqlx_unavailable(sqlx);
        }
        false
    })
}

fn sqlx_unavailable(err: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match err {
        Error::Io(_) | Error::Tls(_) | Error::PoolTimedOut | Error::PoolClosed => true,
        Error::WorkerCrashed => true,
        // SQLSTATE class 08 (connection exception) and 57P01-57P03 (admin
        // shutdown, crash shutdown, cannot connect now): a server going down
        // or starting up.
        Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

/// How long a pooled connection may sit unused before it is checked again
/// before use.
const IDLE_BEFORE_CHECK: Duration = Duration::from_secs(30);

/// Opens a pool on the database the URL names. SQLite gets WAL mode,
/// foreign keys and a busy timeout; its folder is created when missing.
pub async fn connect(
    url: &DatabaseUrl,
    max_connections: u32,
) -> anyhow::Result<DatabaseConnection> {
    if let Some(dir) = url.sqlite_parent_dir() {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut options = ConnectOptions::new(url.as_str());
    options
        .max_connections(max_connections)
        // Short, so that while the database is away a request fails in a
        // few seconds with a 503 instead of hanging; the pool opens new
        // connections by itself when the database is back. Waiting for a
        // connection under a burst (a new PostgreSQL backend per connection,
        // on busy cores) needs more room than connecting does.
        .connect_timeout(Duration::from_secs(3))
        .acquire_timeout(Duration::from_secs(5))
        // sqlx checks a connection by default each time it hands it out: a
        // round trip before every statement (a `Sync` on PostgreSQL, a trip
        // to the worker thread on SQLite), about 30 per sign-in. It also
        // checks each connection as it comes back (not configurable), and a
        // statement on a connection the server dropped fails at once as an
        // I/O error (a 503) and that connection is closed, not reused. So
        // only a connection idle long enough for a firewall or the server to
        // have dropped it is checked before use.
        .test_before_acquire_if_idle_for(IDLE_BEFORE_CHECK)
        .sqlx_logging(false);
    if url.backend() == DatabaseBackend::Sqlite {
        options.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    }
    Database::connect(options)
        .await
        .with_context(|| format!("connecting to {}", url.redacted()))
}

/// Sees the SQL of every statement run through a connection.
pub type StatementObserver = Arc<dyn Fn(&str) + Send + Sync>;

/// Has `observer` see every statement run through `db`, its clones made
/// from now on and the transactions they begin (tests hold the sign-in to
/// a statement budget with it).
pub fn observe_statements(db: &mut DatabaseConnection, observer: StatementObserver) {
    db.set_metric_callback(move |info| observer(&info.statement.sql));
}

/// Starts a transaction that will write. On SQLite it takes the write lock
/// at once (`BEGIN IMMEDIATE`), so that a transaction that reads before it
/// writes waits in the busy handler for another process's writer instead of
/// failing when it upgrades; PostgreSQL ignores the mode.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// The first row a lookup finds, for lookups that match one row or a
/// handful: a key, a unique column, a recipient's open codes. Use it rather
/// than sea-orm's `one()`, which appends `LIMIT ?` with the limit as a bound
/// value. SQLite (3.47 and later) reads a bound `LIMIT` while it plans, so
/// it marks the statement as depending on that value and prepares it again
/// on every run: 5.5 % of a sign-in's CPU (`docs/performance.md`).
async fn first<E: EntityTrait>(
    select: Select<E>,
    db: &impl ConnectionTrait,
) -> Result<Option<E::Model>, DbErr> {
    Ok(select.all(db).await?.into_iter().next())
}

/// [`first`] for a lookup that reads a second table beside the first.
async fn first_pair<E: EntityTrait, F: EntityTrait>(
    select: SelectTwo<E, F>,
    db: &impl ConnectionTrait,
) -> Result<Option<(E::Model, Option<F::Model>)>, DbErr> {
    Ok(select.all(db).await?.into_iter().next())
}

/// Applies pending migrations; running it again changes nothing.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await.context("applying migrations")
}

/// Names of migrations not yet applied.
pub async fn pending_migrations(db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    let pending = Migrator::get_pending_migrations(db)
        .await
        .context("reading migration state")?;
    Ok(pending.iter().map(|m| m.name().to_owned()).collect())
}

/// Whether the database answers a trivial query.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

/// Encodes a list column (JSON array of strings).
fn to_json_list<T: AsRef<str>>(items: &[T]) -> String {
    serde_json::to_string(&items.iter().map(AsRef::as_ref).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

/// Decodes a list column written by [`to_json_list`].
fn from_json_list(text: &str) -> anyhow::Result<Vec<String>> {
    serde_json::from_str(text).context("list column is not a JSON array of strings")
}
