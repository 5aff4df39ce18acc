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
                    .table(SsoSessions::Table)
                    .if_not_exists()
                    // SHA-256 of the opaque cookie value.
                    .col(string_len(SsoSessions::IdHash, 64).primary_key())
                    // The public session id, the `sid` claim.
                    .col(string_len_uniq(SsoSessions::Sid, 64))
                    .col(uuid(SsoSessions::UserId))
                    .col(timestamp_with_time_zone(SsoSessions::AuthTime))
                    .col(text(SsoSessions::Amr))
                    .col(string_null(SsoSessions::Acr))
                    .col(timestamp_with_time_zone(SsoSessions::CreatedAt))
                    .col(timestamp_with_time_zone(SsoSessions::ExpiresAt))
                    .col(timestamp_with_time_zone_null(SsoSessions::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SsoSessions::Table, SsoSessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SsoSessions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum SsoSessions {
    Table,
    IdHash,
    Sid,
    UserId,
    AuthTime,
    Amr,
    Acr,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}
