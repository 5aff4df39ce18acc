use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The change a user asked for on the account page while it waits
        // for a code (re-authentication, or proof of a new number): one per
        // SSO session, so that it continues where it stopped.
        manager
            .create_table(
                Table::create()
                    .table(AccountActions::Table)
                    .if_not_exists()
                    .col(string_len(AccountActions::Sid, 64).primary_key())
                    .col(uuid(AccountActions::UserId))
                    .col(text(AccountActions::Action))
                    .col(uuid_null(AccountActions::ChallengeId))
                    .col(timestamp_with_time_zone(AccountActions::CreatedAt))
                    .col(timestamp_with_time_zone(AccountActions::ExpiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AccountActions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AccountActions {
    Table,
    Sid,
    UserId,
    Action,
    ChallengeId,
    CreatedAt,
    ExpiresAt,
}
