//! Use cases of the dashboard, the management API and the CLI.

pub mod admins;
pub mod clients;
pub mod demo;
pub mod maintenance;
pub mod outbox;
pub mod policy;
pub mod sms_connection;
