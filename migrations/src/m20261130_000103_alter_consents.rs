use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Consents::Table)
                    // Claims allowed through the `claims` parameter beyond
                    // those of the scope (JSON array of claim names).
                    .add_column(text(Consents::Claims).default("[]"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Consents::Table)
                    .drop_column(Consents::Claims)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Consents {
    Table,
    Claims,
}
