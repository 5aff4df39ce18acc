//! The `ferrid` command line: a thin layer over the library's use cases.

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ferrid::config::{ConfigFile, Overrides, Settings};
use ferrid::telemetry;

use cli::admin::AdminCommand;
use cli::email::EmailCommand;
use cli::keys::KeysCommand;
use cli::outbox::OutboxCommand;
use cli::policy::PolicyCommand;
use cli::{client::ClientCommand, config::ConfigCommand, connection::ConnectionCommand};

/// ferrid: an OpenID Connect identity provider with passwordless SMS sign-in.
///
/// Settings come from built-in defaults, then `ferrid.toml`, then `FERRID_*`
/// environment variables (nested keys joined with `__`), then flags.
#[derive(Parser)]
#[command(name = "ferrid", version, about, long_about)]
struct Cli {
    /// Settings file (default: ./ferrid.toml when it exists).
    #[arg(long, global = true, env = "FERRID_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
    /// Dev mode: SQLite and a generated master key under data/, SMS codes in a local outbox,
    /// a demo application.
    #[arg(long, global = true)]
    dev: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve {
        /// Do not apply pending database migrations on start.
        #[arg(long)]
        no_migrate: bool,
    },
    /// Apply pending database migrations (safe to run again).
    Migrate,
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage applications (OAuth clients).
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage token signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage the SMS connection.
    #[command(subcommand)]
    Connection(ConnectionCommand),
    /// Manage the email templates.
    #[command(subcommand)]
    Email(EmailCommand),
    /// See the email outbox and send messages again.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// The sign-in policy: first factors, sign-up, MFA, second factors.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Who may sign in to the dashboard (/admin).
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let file = cli
        .config
        .clone()
        .map(ConfigFile::Explicit)
        .unwrap_or(ConfigFile::Default);
    let overrides = Overrides {
        dev: cli.dev.then_some(true),
    };
    let settings = match Settings::load(&file, &overrides) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("ferrid: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(settings.log_format);
    match run(cli.command, settings).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ferrid: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { no_migrate } => cli::server::serve(settings, no_migrate).await,
        Command::Migrate => cli::server::migrate(settings).await,
        Command::Config(command) => cli::config::run(command, &settings),
        Command::Client(command) => cli::client::run(command, settings).await,
        Command::Keys(command) => cli::keys::run(command, settings).await,
        Command::Connection(command) => cli::connection::run(command, settings).await,
        Command::Email(command) => cli::email::run(command, settings).await,
        Command::Outbox(command) => cli::outbox::run(command, settings).await,
        Command::Policy(command) => cli::policy::run(command, settings).await,
        Command::Admin(command) => cli::admin::run(command, settings).await,
    }
}
