use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per recipient (phone number): when a code was last sent to
        // it, whichever form or API asked. The resend cooldown is claimed on
        // this row with a conditional update, so concurrent requests on any
        // instance send one code.
        manager
            .create_table(
                Table::create()
                    .table(OtpRecipients::Table)
                    .if_not_exists()
                    .col(string(OtpRecipients::Recipient).primary_key())
                    .col(timestamp_with_time_zone(OtpRecipients::LastSentAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OtpRecipients::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum OtpRecipients {
    Table,
    Recipient,
    LastSentAt,
}
