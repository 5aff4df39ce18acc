use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A sign-in between its two factors: whose it is once the first factor
/// was proved, the methods proved so far, and the SSO session a step-up
/// started from. (SQLite adds one column per statement.)
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            uuid_null(LoginTransactions::UserId),
            text_null(LoginTransactions::Proven),
            string_len_null(LoginTransactions::StepUpSid, 64),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(LoginTransactions::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            LoginTransactions::UserId,
            LoginTransactions::Proven,
            LoginTransactions::StepUpSid,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(LoginTransactions::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum LoginTransactions {
    Table,
    UserId,
    Proven,
    StepUpSid,
}
