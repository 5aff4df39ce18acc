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
                    .table(AuthorizationCodes::Table)
                    .if_not_exists()
                    // SHA-256 of the code: a high-entropy token needs no pepper.
                    .col(string_len(AuthorizationCodes::CodeHash, 64).primary_key())
                    .col(string(AuthorizationCodes::ClientId))
                    .col(uuid(AuthorizationCodes::UserId))
                    .col(string_len(AuthorizationCodes::Sid, 64))
                    .col(text(AuthorizationCodes::RedirectUri))
                    .col(text(AuthorizationCodes::Scope))
                    .col(text_null(AuthorizationCodes::Nonce))
                    .col(string_len_null(AuthorizationCodes::CodeChallenge, 128))
                    .col(timestamp_with_time_zone(AuthorizationCodes::AuthTime))
                    .col(text(AuthorizationCodes::Amr))
                    .col(string_null(AuthorizationCodes::Acr))
                    .col(timestamp_with_time_zone(AuthorizationCodes::CreatedAt))
                    .col(timestamp_with_time_zone(AuthorizationCodes::ExpiresAt))
                    .col(timestamp_with_time_zone_null(
                        AuthorizationCodes::ConsumedAt,
                    ))
                    // What the exchange issued, so that a replay can revoke it.
                    .col(string_len_null(AuthorizationCodes::AccessTokenJti, 64))
                    .col(timestamp_with_time_zone_null(
                        AuthorizationCodes::AccessTokenExpiresAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AuthorizationCodes::Table, AuthorizationCodes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuthorizationCodes::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum AuthorizationCodes {
    Table,
    CodeHash,
    ClientId,
    UserId,
    Sid,
    RedirectUri,
    Scope,
    Nonce,
    CodeChallenge,
    AuthTime,
    Amr,
    Acr,
    CreatedAt,
    ExpiresAt,
    ConsumedAt,
    AccessTokenJti,
    AccessTokenExpiresAt,
}
