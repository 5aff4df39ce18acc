#![allow(clippy::unwrap_used, clippy::expect_used)]

mod authorize;
mod cli;
mod configuration;
mod discovery;
mod health;
mod helpers;
mod keys;
mod login;
mod migrations;
mod sign_in;
mod token;
