use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // An email address is verified on one account at most, whatever
        // its case; addresses still waiting for their code are not on the
        // user row at all. Partial expression indexes exist on SQLite
        // (3.9+) and PostgreSQL with this same statement.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX IF NOT EXISTS idx_users_verified_email \
             ON users (lower(email)) WHERE email_verified_at IS NOT NULL",
        )
        .await?;
        // Codes by email: finding an address's older codes to end them.
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS idx_otp_challenges_email ON otp_challenges (email)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS idx_otp_challenges_email")
            .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS idx_users_verified_email")
            .await?;
        Ok(())
    }
}
