use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    // One transaction on one connection, on SQLite too: a pooled SQLite
    // connection that read the schema before the table was dropped would
    // still see its old index (and refuse a new one of the same name).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The first `outbox` (kind + payload) was never written to; the
        // email outbox replaces it with one row per message, rendered, and
        // the state of its delivery.
        manager
            .drop_table(Table::drop().table(Outbox::Table).if_exists().to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(pk_uuid(Outbox::Id))
                    .col(string_len(Outbox::Channel, 16))
                    .col(string_len(Outbox::Recipient, 320))
                    .col(uuid_null(Outbox::UserId))
                    .col(string_len(Outbox::Usage, 32))
                    .col(string_len(Outbox::Language, 35))
                    .col(text(Outbox::Subject))
                    .col(text(Outbox::BodyText))
                    .col(text(Outbox::BodyHtml))
                    // queued | sending | sent | failed | abandoned
                    .col(string_len(Outbox::Status, 16))
                    .col(integer(Outbox::Attempts).default(0))
                    .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(Outbox::LockedUntil))
                    // Set by each claim: the worker holding the lease
                    // finishes the message only while this is still its own.
                    .col(uuid_null(Outbox::ClaimToken))
                    .col(timestamp_with_time_zone_null(Outbox::ExpiresAt))
                    .col(text_null(Outbox::LastError))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    // When it was queued or last queued again by an operator:
                    // `email.max_age` counts from here.
                    .col(timestamp_with_time_zone(Outbox::QueuedAt))
                    .col(timestamp_with_time_zone_null(Outbox::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_status_due")
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_created")
                    .table(Outbox::Table)
                    .col(Outbox::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Outbox::Table).to_owned())
            .await?;
        // The first shape back, for the migration before this one to drop.
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(pk_uuid(Outbox::Id))
                    .col(string_len(Alias::new("kind"), 32))
                    .col(text(Alias::new("payload")))
                    .col(integer(Outbox::Attempts).default(0))
                    .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(Alias::new("delivered_at")))
                    .col(text_null(Outbox::LastError))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Channel,
    Recipient,
    UserId,
    Usage,
    Language,
    Subject,
    BodyText,
    BodyHtml,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    ClaimToken,
    ExpiresAt,
    LastError,
    CreatedAt,
    QueuedAt,
    SentAt,
}
