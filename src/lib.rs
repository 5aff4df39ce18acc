pub mod admin;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod http;
pub mod startup;
pub mod store;
pub mod telemetry;
