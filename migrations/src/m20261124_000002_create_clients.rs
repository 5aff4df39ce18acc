use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Clients::Table)
                    .if_not_exists()
                    .col(pk_uuid(Clients::Id))
                    .col(string_uniq(Clients::ClientId))
                    .col(string_null(Clients::SecretHash))
                    .col(string(Clients::Name))
                    .col(string_len(Clients::ClientType, 16))
                    // Lists are JSON arrays of strings: they are read whole, never queried into.
                    .col(text(Clients::RedirectUris))
                    .col(text(Clients::PostLogoutRedirectUris))
                    .col(text(Clients::AllowedOrigins))
                    .col(text(Clients::GrantTypes))
                    .col(text(Clients::Connections))
                    .col(boolean(Clients::FirstParty).default(false))
                    .col(boolean(Clients::RequireMfa).default(false))
                    .col(timestamp_with_time_zone(Clients::CreatedAt))
                    .col(timestamp_with_time_zone(Clients::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Clients::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Clients {
    Table,
    Id,
    ClientId,
    SecretHash,
    Name,
    ClientType,
    RedirectUris,
    PostLogoutRedirectUris,
    AllowedOrigins,
    GrantTypes,
    Connections,
    FirstParty,
    RequireMfa,
    CreatedAt,
    UpdatedAt,
}
