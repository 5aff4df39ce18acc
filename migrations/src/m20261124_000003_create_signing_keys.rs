use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SigningKeys::Table)
                    .if_not_exists()
                    .col(string_len(SigningKeys::Kid, 64).primary_key())
                    .col(string_len(SigningKeys::Alg, 16))
                    // AES-256-GCM under the master key: nonce ‖ ciphertext, base64.
                    .col(text(SigningKeys::PrivateEnc))
                    .col(text(SigningKeys::PublicJwk))
                    .col(string_len(SigningKeys::State, 16))
                    .col(timestamp_with_time_zone(SigningKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(SigningKeys::ActivatedAt))
                    .col(timestamp_with_time_zone_null(SigningKeys::RetiringAt))
                    .col(timestamp_with_time_zone_null(SigningKeys::RetireAfter))
                    .col(timestamp_with_time_zone_null(SigningKeys::RetiredAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SigningKeys::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum SigningKeys {
    Table,
    Kid,
    Alg,
    PrivateEnc,
    PublicJwk,
    State,
    CreatedAt,
    ActivatedAt,
    RetiringAt,
    RetireAfter,
    RetiredAt,
}
