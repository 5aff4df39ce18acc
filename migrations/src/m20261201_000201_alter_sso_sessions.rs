use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

// SQLite alters one column per statement.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // What the account page shows of a session: the browser's user
        // agent, the /24 or /48 network it signed in from (never the full
        // address), and when it was last used.
        for column in [
            string_len_null(SsoSessions::UserAgent, 512),
            string_len_null(SsoSessions::Network, 64),
            timestamp_with_time_zone_null(SsoSessions::LastSeenAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SsoSessions::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_sso_sessions_user_id")
                    .table(SsoSessions::Table)
                    .col(SsoSessions::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_sso_sessions_user_id")
                    .table(SsoSessions::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            SsoSessions::UserAgent,
            SsoSessions::Network,
            SsoSessions::LastSeenAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SsoSessions::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum SsoSessions {
    Table,
    UserId,
    UserAgent,
    Network,
    LastSeenAt,
}
