use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .if_not_exists()
                    .col(pk_uuid(Outbox::Id))
                    .col(string_len(Outbox::Kind, 32))
                    .col(text(Outbox::Payload))
                    .col(integer(Outbox::Attempts).default(0))
                    .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(Outbox::DeliveredAt))
                    .col(text_null(Outbox::LastError))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_due")
                    .table(Outbox::Table)
                    .col(Outbox::DeliveredAt)
                    .col(Outbox::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Outbox::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Outbox {
    Table,
    Id,
    Kind,
    Payload,
    Attempts,
    NextAttemptAt,
    DeliveredAt,
    LastError,
    CreatedAt,
}
