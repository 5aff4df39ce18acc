#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod configuration;
mod health;
mod helpers;
mod migrations;
