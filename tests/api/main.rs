#![allow(clippy::unwrap_used, clippy::expect_used)]

mod authorize;
mod cli;
mod configuration;
mod health;
mod helpers;
mod login;
mod migrations;
mod sign_in;
mod token;
