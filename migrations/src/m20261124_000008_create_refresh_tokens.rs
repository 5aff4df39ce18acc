use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .if_not_exists()
                    .col(string_len(RefreshTokens::TokenHash, 64).primary_key())
                    .col(uuid(RefreshTokens::FamilyId))
                    .col(string_len_null(RefreshTokens::ParentHash, 64))
                    .col(string(RefreshTokens::ClientId))
                    .col(uuid(RefreshTokens::UserId))
                    .col(string_len_null(RefreshTokens::Sid, 64))
                    .col(text(RefreshTokens::Scope))
                    .col(timestamp_with_time_zone(RefreshTokens::AuthTime))
                    .col(text(RefreshTokens::Amr))
                    .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                    .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::RotatedAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RefreshTokens::Table, RefreshTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_refresh_tokens_family")
                    .table(RefreshTokens::Table)
                    .col(RefreshTokens::FamilyId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RefreshTokens::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum RefreshTokens {
    Table,
    TokenHash,
    FamilyId,
    ParentHash,
    ClientId,
    UserId,
    Sid,
    Scope,
    AuthTime,
    Amr,
    CreatedAt,
    ExpiresAt,
    RotatedAt,
    RevokedAt,
}
