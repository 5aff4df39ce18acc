#![allow(clippy::unwrap_used, clippy::expect_used)]

mod authorize;
mod cli;
mod configuration;
mod conformance;
mod connection_cli;
mod discovery;
mod flows;
mod health;
mod helpers;
mod keys;
mod login;
mod logout;
mod migrations;
mod sign_in;
mod sms_providers;
mod token;
