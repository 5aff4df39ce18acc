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
                    // The address a sign-in's code went to by email, as
                    // `phone_e164` holds the number of a code by SMS.
                    .add_column(string_len_null(LoginTransactions::Email, 254))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(LoginTransactions::Table)
                    .drop_column(LoginTransactions::Email)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum LoginTransactions {
    Table,
    Email,
}
