use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per refresh token family: every rotation locks it and checks
        // that it is not revoked, and revoking the family locks it too, so a
        // rotation racing a replay can never leave a live child behind.
        manager
            .create_table(
                Table::create()
                    .table(RefreshTokenFamilies::Table)
                    .if_not_exists()
                    .col(uuid(RefreshTokenFamilies::FamilyId).primary_key())
                    .col(timestamp_with_time_zone(RefreshTokenFamilies::CreatedAt))
                    .col(timestamp_with_time_zone(RefreshTokenFamilies::LastUsedAt))
                    .col(timestamp_with_time_zone(RefreshTokenFamilies::ExpiresAt))
                    .col(timestamp_with_time_zone_null(
                        RefreshTokenFamilies::RevokedAt,
                    ))
                    .to_owned(),
            )
            .await?;
        // The families that exist already.
        let existing = Query::select()
            .column(RefreshTokens::FamilyId)
            .expr(Expr::col(RefreshTokens::CreatedAt).min())
            .expr(Expr::col(RefreshTokens::CreatedAt).max())
            .expr(Func::coalesce([
                Expr::col(RefreshTokens::FamilyExpiresAt).max(),
                Expr::col(RefreshTokens::ExpiresAt).max(),
            ]))
            .expr(Expr::col(RefreshTokens::RevokedAt).max())
            .from(RefreshTokens::Table)
            .group_by_col(RefreshTokens::FamilyId)
            .to_owned();
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(RefreshTokenFamilies::Table)
                    .columns([
                        RefreshTokenFamilies::FamilyId,
                        RefreshTokenFamilies::CreatedAt,
                        RefreshTokenFamilies::LastUsedAt,
                        RefreshTokenFamilies::ExpiresAt,
                        RefreshTokenFamilies::RevokedAt,
                    ])
                    .select_from(existing)
                    .map_err(|e| DbErr::Migration(e.to_string()))?
                    .to_owned(),
            )
            .await?;
        // The access token issued with each refresh token, so that revoking
        // the family denies those still live.
        manager
            .alter_table(
                Table::alter()
                    .table(RefreshTokens::Table)
                    .add_column(string_len_null(RefreshTokens::AccessTokenJti, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(RefreshTokens::Table)
                    .add_column(timestamp_with_time_zone_null(
                        RefreshTokens::AccessTokenExpiresAt,
                    ))
                    .to_owned(),
            )
            .await?;
        // How long a used code is kept so that a replay is still recognised:
        // until what it issued has expired.
        manager
            .alter_table(
                Table::alter()
                    .table(AuthorizationCodes::Table)
                    .add_column(timestamp_with_time_zone_null(AuthorizationCodes::KeepUntil))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuthorizationCodes::Table)
                    .drop_column(AuthorizationCodes::KeepUntil)
                    .to_owned(),
            )
            .await?;
        for column in [
            RefreshTokens::AccessTokenExpiresAt,
            RefreshTokens::AccessTokenJti,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(RefreshTokens::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(RefreshTokenFamilies::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum RefreshTokenFamilies {
    Table,
    FamilyId,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    FamilyId,
    CreatedAt,
    ExpiresAt,
    FamilyExpiresAt,
    RevokedAt,
    AccessTokenJti,
    AccessTokenExpiresAt,
}

#[derive(DeriveIden)]
enum AuthorizationCodes {
    Table,
    KeepUntil,
}
