use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(pk_uuid(Users::Id))
                    // Unique by default: a phone number belongs to one user.
                    .col(string_len_null(Users::PhoneE164, 16).unique_key())
                    .col(timestamp_with_time_zone_null(Users::PhoneVerifiedAt))
                    .col(string_null(Users::Email))
                    .col(timestamp_with_time_zone_null(Users::EmailVerifiedAt))
                    .col(string_null(Users::Name))
                    .col(string_len_null(Users::Locale, 35))
                    .col(boolean(Users::Blocked).default(false))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Users::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    PhoneE164,
    PhoneVerifiedAt,
    Email,
    EmailVerifiedAt,
    Name,
    Locale,
    Blocked,
    CreatedAt,
    UpdatedAt,
}
