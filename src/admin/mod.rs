//! Use cases of the dashboard, the management API and the CLI.

pub mod admins;
pub mod audit;
pub mod clients;
pub mod dashboard;
pub mod demo;
pub mod directory;
pub mod keys;
pub mod maintenance;
pub mod outbox;
pub mod policy;
pub mod relying_party;
pub mod sms_connection;
pub mod sms_test;
pub mod template_editor;
pub mod templates;
pub mod users;
