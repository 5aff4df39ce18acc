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
                    // Set for a sign-in started by ferrid's own pages (the
                    // account area): where the browser goes once signed in,
                    // instead of back to an application with a code.
                    .add_column(string_len_null(LoginTransactions::ReturnTo, 32))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(LoginTransactions::Table)
                    .drop_column(LoginTransactions::ReturnTo)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum LoginTransactions {
    Table,
    ReturnTo,
}
