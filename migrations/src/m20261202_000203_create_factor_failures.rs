use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Wrong second-factor codes per user in the current failure
        // window, counted by conditional updates so that parallel guesses
        // cannot pass the limit.
        manager
            .create_table(
                Table::create()
                    .table(FactorFailures::Table)
                    .if_not_exists()
                    .col(uuid(FactorFailures::UserId).primary_key())
                    .col(integer(FactorFailures::Failures))
                    .col(timestamp_with_time_zone(FactorFailures::WindowStartedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(FactorFailures::Table, FactorFailures::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FactorFailures::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum FactorFailures {
    Table,
    UserId,
    Failures,
    WindowStartedAt,
}
