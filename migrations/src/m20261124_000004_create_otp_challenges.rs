use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OtpChallenges::Table)
                    .if_not_exists()
                    .col(pk_uuid(OtpChallenges::Id))
                    .col(string_len(OtpChallenges::Purpose, 16))
                    .col(string_len_null(OtpChallenges::PhoneE164, 16))
                    .col(string_null(OtpChallenges::Email))
                    .col(uuid_null(OtpChallenges::UserId))
                    // HMAC-SHA256(pepper, id ‖ code): the code itself is never stored.
                    .col(string_len(OtpChallenges::CodeHmac, 64))
                    .col(timestamp_with_time_zone(OtpChallenges::ExpiresAt))
                    .col(integer(OtpChallenges::Attempts).default(0))
                    .col(integer(OtpChallenges::MaxAttempts))
                    .col(timestamp_with_time_zone_null(OtpChallenges::ConsumedAt))
                    .col(integer(OtpChallenges::SendCount).default(1))
                    .col(timestamp_with_time_zone(OtpChallenges::LastSentAt))
                    .col(string_null(OtpChallenges::ClientId))
                    .col(string_len_null(OtpChallenges::Ip, 45))
                    .col(timestamp_with_time_zone(OtpChallenges::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_otp_challenges_phone")
                    .table(OtpChallenges::Table)
                    .col(OtpChallenges::PhoneE164)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OtpChallenges::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum OtpChallenges {
    Table,
    Id,
    Purpose,
    PhoneE164,
    Email,
    UserId,
    CodeHmac,
    ExpiresAt,
    Attempts,
    MaxAttempts,
    ConsumedAt,
    SendCount,
    LastSentAt,
    ClientId,
    Ip,
    CreatedAt,
}
