use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The dev outbox: SMS messages kept instead of sent.
        manager
            .create_table(
                Table::create()
                    .table(SmsOutbox::Table)
                    .if_not_exists()
                    .col(pk_uuid(SmsOutbox::Id))
                    .col(string_len(SmsOutbox::ToE164, 16))
                    .col(text(SmsOutbox::Body))
                    .col(timestamp_with_time_zone(SmsOutbox::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sms_outbox_created_at")
                    .table(SmsOutbox::Table)
                    .col(SmsOutbox::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SmsOutbox::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SmsOutbox {
    Table,
    Id,
    ToE164,
    Body,
    CreatedAt,
}
