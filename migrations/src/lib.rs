//! ferrid's schema, one migration a file, written with sea-query builders so
//! that the same DDL runs on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_users;
mod m20261124_000002_create_clients;
mod m20261124_000003_create_signing_keys;
mod m20261124_000004_create_otp_challenges;
mod m20261124_000005_create_login_transactions;
mod m20261124_000006_create_sso_sessions;
mod m20261124_000007_create_authorization_codes;
mod m20261124_000008_create_refresh_tokens;
mod m20261124_000009_create_audit_events;
mod m20261124_000010_create_outbox;
mod m20261124_000011_create_settings;
mod m20261124_000012_create_sms_outbox;
mod m20261124_000013_create_revoked_access_tokens;
mod m20261124_000014_alter_clients;
mod m20261124_000015_create_consents;
mod m20261124_000016_alter_refresh_tokens;
mod m20261130_000101_alter_clients;
mod m20261130_000102_alter_login_transactions;
mod m20261130_000103_alter_consents;
mod m20261130_000201_create_refresh_token_families;
mod m20261130_000301_create_otp_recipients;
mod m20261201_000101_recreate_outbox;
mod m20261201_000201_alter_sso_sessions;
mod m20261201_000202_alter_audit_events;
mod m20261201_000203_alter_login_transactions;
mod m20261201_000204_create_revert_tokens;
mod m20261201_000205_create_account_actions;
mod m20261201_000401_alter_users;
mod m20261202_000101_alter_users;
mod m20261202_000201_create_factors;
mod m20261202_000202_create_recovery_codes;
mod m20261202_000203_create_factor_failures;
mod m20261202_000301_alter_login_transactions;
mod m20261202_000401_alter_login_transactions;
mod m20261203_000201_alter_users;

/// Every migration of ferrid's schema, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_users::Migration),
            Box::new(m20261124_000002_create_clients::Migration),
            Box::new(m20261124_000003_create_signing_keys::Migration),
            Box::new(m20261124_000004_create_otp_challenges::Migration),
            Box::new(m20261124_000005_create_login_transactions::Migration),
            Box::new(m20261124_000006_create_sso_sessions::Migration),
            Box::new(m20261124_000007_create_authorization_codes::Migration),
            Box::new(m20261124_000008_create_refresh_tokens::Migration),
            Box::new(m20261124_000009_create_audit_events::Migration),
            Box::new(m20261124_000010_create_outbox::Migration),
            Box::new(m20261124_000011_create_settings::Migration),
            Box::new(m20261124_000012_create_sms_outbox::Migration),
            Box::new(m20261124_000013_create_revoked_access_tokens::Migration),
            Box::new(m20261124_000014_alter_clients::Migration),
            Box::new(m20261124_000015_create_consents::Migration),
            Box::new(m20261124_000016_alter_refresh_tokens::Migration),
            Box::new(m20261130_000101_alter_clients::Migration),
            Box::new(m20261130_000102_alter_login_transactions::Migration),
            Box::new(m20261130_000103_alter_consents::Migration),
            Box::new(m20261130_000201_create_refresh_token_families::Migration),
            Box::new(m20261130_000301_create_otp_recipients::Migration),
            Box::new(m20261201_000101_recreate_outbox::Migration),
            Box::new(m20261201_000201_alter_sso_sessions::Migration),
            Box::new(m20261201_000202_alter_audit_events::Migration),
            Box::new(m20261201_000203_alter_login_transactions::Migration),
            Box::new(m20261201_000204_create_revert_tokens::Migration),
            Box::new(m20261201_000205_create_account_actions::Migration),
            Box::new(m20261201_000401_alter_users::Migration),
            Box::new(m20261202_000101_alter_users::Migration),
            Box::new(m20261202_000201_create_factors::Migration),
            Box::new(m20261202_000202_create_recovery_codes::Migration),
            Box::new(m20261202_000203_create_factor_failures::Migration),
            Box::new(m20261202_000301_alter_login_transactions::Migration),
            Box::new(m20261202_000401_alter_login_transactions::Migration),
            Box::new(m20261203_000201_alter_users::Migration),
        ]
    }
}
