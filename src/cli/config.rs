//! `ferrid config …`: inspect the configuration.

use std::process::ExitCode;

use clap::Subcommand;
use ferrid::config::Settings;

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Validate the settings and print the effective values, secrets redacted.
    Check,
}

/// Runs a `config` command.
pub fn run(command: ConfigCommand, settings: &Settings) -> anyhow::Result<ExitCode> {
    match command {
        ConfigCommand::Check => {
            print!("{}", settings.to_redacted_toml()?);
            eprintln!("configuration is valid");
            Ok(ExitCode::SUCCESS)
        }
    }
}
