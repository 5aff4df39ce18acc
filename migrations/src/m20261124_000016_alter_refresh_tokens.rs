use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The family's absolute end: rotation never extends past it.
        manager
            .alter_table(
                Table::alter()
                    .table(RefreshTokens::Table)
                    .add_column(timestamp_with_time_zone_null(
                        RefreshTokens::FamilyExpiresAt,
                    ))
                    .to_owned(),
            )
            .await?;
        // The refresh token family a code issued, so that a replayed code revokes it.
        manager
            .alter_table(
                Table::alter()
                    .table(AuthorizationCodes::Table)
                    .add_column(uuid_null(AuthorizationCodes::RefreshFamilyId))
                    .to_owned(),
            )
            .await?;
        // Claims the `claims` parameter asked for in the ID token (JSON array).
        manager
            .alter_table(
                Table::alter()
                    .table(AuthorizationCodes::Table)
                    .add_column(text_null(AuthorizationCodes::IdTokenClaims))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuthorizationCodes::Table)
                    .drop_column(AuthorizationCodes::RefreshFamilyId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(RefreshTokens::Table)
                    .drop_column(RefreshTokens::FamilyExpiresAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    FamilyExpiresAt,
}

#[derive(DeriveIden)]
enum AuthorizationCodes {
    Table,
    RefreshFamilyId,
    IdTokenClaims,
}
