use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // "This wasn't me" links: the SHA-256 of the random token, the
        // change it undoes, single use, for a limited time.
        manager
            .create_table(
                Table::create()
                    .table(RevertTokens::Table)
                    .if_not_exists()
                    .col(string_len(RevertTokens::TokenHash, 64).primary_key())
                    .col(uuid(RevertTokens::UserId))
                    .col(text(RevertTokens::Change))
                    .col(timestamp_with_time_zone(RevertTokens::CreatedAt))
                    .col(timestamp_with_time_zone(RevertTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(RevertTokens::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RevertTokens::Table, RevertTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_revert_tokens_expires_at")
                    .table(RevertTokens::Table)
                    .col(RevertTokens::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RevertTokens::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum RevertTokens {
    Table,
    TokenHash,
    UserId,
    Change,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}
