use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .if_not_exists()
                    .col(pk_uuid(AuditEvents::Id))
                    .col(timestamp_with_time_zone(AuditEvents::At))
                    .col(string_len(AuditEvents::Kind, 64))
                    .col(string_null(AuditEvents::Actor))
                    .col(string_null(AuditEvents::Subject))
                    .col(string_null(AuditEvents::ClientId))
                    .col(string_len_null(AuditEvents::Ip, 45))
                    .col(text(AuditEvents::Details))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_events_at")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEvents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum AuditEvents {
    Table,
    Id,
    At,
    Kind,
    Actor,
    Subject,
    ClientId,
    Ip,
    Details,
}
