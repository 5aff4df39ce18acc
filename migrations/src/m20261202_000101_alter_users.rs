use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::boolean;
use sea_orm_migration::sea_orm::{DatabaseBackend, DatabaseExecutor, sqlx};

/// A phone number belongs to one account only where it was saved while the
/// sign-in policy's `unique_phone` was on (`users.phone_unique`): the
/// column's plain unique constraint becomes a partial unique index, so that
/// with `unique_phone` off two accounts may each verify the same number as a
/// second factor.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // What `down` puts back instead of the column's constraint.
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS idx_users_phone_e164")
            .await?;
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                manager
                    .get_connection()
                    .execute_unprepared(
                        "ALTER TABLE users DROP CONSTRAINT IF EXISTS users_phone_e164_key",
                    )
                    .await?;
            }
            DatabaseBackend::Sqlite => rebuild_sqlite_users_without_unique_phone(manager).await?,
            other => {
                return Err(DbErr::Migration(format!(
                    "{other:?} is not a database ferrid supports"
                )));
            }
        }
        // Every number stored so far was unique.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(boolean(Users::PhoneUnique).default(true))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX IF NOT EXISTS idx_users_unique_phone \
             ON users (phone_e164) WHERE phone_unique",
        )
        .await?;
        // Finding a number's accounts (sign-in, the account page).
        db.execute_unprepared("CREATE INDEX IF NOT EXISTS idx_users_phone ON users (phone_e164)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS idx_users_phone")
            .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS idx_users_unique_phone")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::PhoneUnique)
                    .to_owned(),
            )
            .await?;
        // Fails, as it should, while a number is on two accounts.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX IF NOT EXISTS idx_users_phone_e164 ON users (phone_e164)",
        )
        .await?;
        Ok(())
    }
}

/// The column definition the users table was created with.
const UNIQUE_PHONE_COLUMN: &str = r#""phone_e164" varchar(16) NULL UNIQUE"#;
/// The same without the constraint.
const PLAIN_PHONE_COLUMN: &str = r#""phone_e164" varchar(16) NULL"#;

/// SQLite cannot drop a column's UNIQUE constraint: the table is rebuilt
/// without it (the procedure of <https://sqlite.org/lang_altertable.html>
/// §7). Foreign keys must be off while the old table is dropped, or its
/// rows' ON DELETE CASCADE would empty the tables that point at users; the
/// pragma is per connection and ignored inside a transaction, so the whole
/// rebuild runs on one connection taken from the pool.
async fn rebuild_sqlite_users_without_unique_phone(
    manager: &SchemaManager<'_>,
) -> Result<(), DbErr> {
    let DatabaseExecutor::Connection(db) = manager.get_connection() else {
        return Err(DbErr::Migration(
            "rebuilding users must not run inside a transaction on SQLite".into(),
        ));
    };
    let mut conn = db
        .get_sqlite_connection_pool()
        .acquire()
        .await
        .map_err(sqlx_err)?;
    let created: String =
        sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'")
            .fetch_one(&mut *conn)
            .await
            .map_err(sqlx_err)?;
    if !created.contains(UNIQUE_PHONE_COLUMN) {
        // Already without it: rebuilt once, then migrated down.
        return if created.contains(PLAIN_PHONE_COLUMN) {
            Ok(())
        } else {
            Err(DbErr::Migration(format!(
                "users: expected the column {UNIQUE_PHONE_COLUMN} in {created}"
            )))
        };
    }
    let rebuilt = created
        .replacen(UNIQUE_PHONE_COLUMN, PLAIN_PHONE_COLUMN, 1)
        .replacen(
            r#"CREATE TABLE "users""#,
            r#"CREATE TABLE "users_rebuilt""#,
            1,
        );
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT sql FROM sqlite_master \
         WHERE type = 'index' AND tbl_name = 'users' AND sql IS NOT NULL",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(sqlx_err)?;
    let mut script = vec![
        "BEGIN IMMEDIATE".to_owned(),
        rebuilt,
        "INSERT INTO users_rebuilt SELECT * FROM users".to_owned(),
        "DROP TABLE users".to_owned(),
        "ALTER TABLE users_rebuilt RENAME TO users".to_owned(),
    ];
    script.extend(indexes);
    sqlx::raw_sql("PRAGMA foreign_keys = OFF")
        .execute(&mut *conn)
        .await
        .map_err(sqlx_err)?;
    let outcome = run_rebuild(&mut conn, &script).await;
    if outcome.is_err() {
        let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
    }
    sqlx::raw_sql("PRAGMA foreign_keys = ON")
        .execute(&mut *conn)
        .await
        .map_err(sqlx_err)?;
    outcome
}

async fn run_rebuild(
    conn: &mut sqlx::pool::PoolConnection<sqlx::Sqlite>,
    script: &[String],
) -> Result<(), DbErr> {
    for statement in script {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.as_str()))
            .execute(&mut **conn)
            .await
            .map_err(sqlx_err)?;
    }
    let broken: Vec<(String,)> = sqlx::query_as("PRAGMA foreign_key_check")
        .fetch_all(&mut **conn)
        .await
        .map_err(sqlx_err)?;
    if let Some((table,)) = broken.first() {
        return Err(DbErr::Migration(format!(
            "rebuilding users broke a foreign key of {table}"
        )));
    }
    sqlx::raw_sql("COMMIT")
        .execute(&mut **conn)
        .await
        .map_err(sqlx_err)?;
    Ok(())
}

fn sqlx_err(e: sqlx::Error) -> DbErr {
    DbErr::Migration(format!("rebuilding users: {e}"))
}

#[derive(DeriveIden)]
enum Users {
    Table,
    PhoneUnique,
}
