use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(LoginTransactions::Table)
                    // The SSO session the consent page was shown to; set only
                    // while the sign-in waits at its consent step.
                    .add_column(string_len_null(LoginTransactions::ConsentSid, 64))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(LoginTransactions::Table)
                    .drop_column(LoginTransactions::ConsentSid)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum LoginTransactions {
    Table,
    ConsentSid,
}
