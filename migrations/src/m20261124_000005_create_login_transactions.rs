use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LoginTransactions::Table)
                    .if_not_exists()
                    // SHA-256 of the opaque id the browser carries.
                    .col(string_len(LoginTransactions::IdHash, 64).primary_key())
                    .col(string(LoginTransactions::ClientId))
                    .col(text(LoginTransactions::RedirectUri))
                    // The validated authorization request, as JSON.
                    .col(text(LoginTransactions::Request))
                    .col(uuid_null(LoginTransactions::ChallengeId))
                    .col(string_len_null(LoginTransactions::PhoneE164, 16))
                    .col(timestamp_with_time_zone(LoginTransactions::CreatedAt))
                    .col(timestamp_with_time_zone(LoginTransactions::ExpiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LoginTransactions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum LoginTransactions {
    Table,
    IdHash,
    ClientId,
    RedirectUri,
    Request,
    ChallengeId,
    PhoneE164,
    CreatedAt,
    ExpiresAt,
}
