use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Second factors with a secret (authenticator apps): the secret
        // sealed under the master key, pending until a first valid code
        // (`verified_at`), and the last accepted time step, which a code
        // must pass to be accepted (no replay). One per user and kind.
        manager
            .create_table(
                Table::create()
                    .table(Factors::Table)
                    .if_not_exists()
                    .col(uuid(Factors::Id).primary_key())
                    .col(uuid(Factors::UserId))
                    .col(string_len(Factors::Kind, 16))
                    .col(text(Factors::SecretEnc))
                    .col(timestamp_with_time_zone(Factors::CreatedAt))
                    .col(timestamp_with_time_zone_null(Factors::VerifiedAt))
                    .col(big_integer_null(Factors::LastUsedStep))
                    .col(timestamp_with_time_zone_null(Factors::LastUsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Factors::Table, Factors::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_factors_user_kind")
                    .table(Factors::Table)
                    .col(Factors::UserId)
                    .col(Factors::Kind)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Factors::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Factors {
    Table,
    Id,
    UserId,
    Kind,
    SecretEnc,
    CreatedAt,
    VerifiedAt,
    LastUsedStep,
    LastUsedAt,
}
