//! Use cases of the dashboard, the management API and the CLI.

pub mod audit;
pub mod clients;
pub mod demo;
pub mod maintenance;
pub mod outbox;
pub mod policy;
pub mod sms_connection;
pub mod templates;
pub mod users;
