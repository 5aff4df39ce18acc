//! `ferrid outbox …`: see the email outbox and send a message again.

use std::process::ExitCode;

use clap::Subcommand;
use ferrid::admin::outbox;
use ferrid::config::Settings;
use ferrid::domain::OutboxStatus;
use ferrid::email::RetryError;
use ferrid::{app, store};

#[derive(Subcommand)]
pub enum OutboxCommand {
    /// The newest messages first: status, attempts, next attempt, last error
    /// (addresses masked, bodies never shown).
    List {
        /// queued, sending, sent, failed or abandoned.
        #[arg(long)]
        status: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Queue a failed, abandoned or waiting message again, due now, with its
    /// attempts and age counted afresh.
    Retry {
        /// The message id (from `ferrid outbox list`).
        id: String,
    },
}

pub async fn run(command: OutboxCommand, settings: Settings) -> anyhow::Result<ExitCode> {
    // Checked before the database is opened: a typo is answered at once.
    let status = match &command {
        OutboxCommand::List {
            status: Some(s), ..
        } => match s.parse::<OutboxStatus>() {
            Ok(status) => Some(status),
            Err(e) => {
                eprintln!("ferrid: {e}");
                return Ok(ExitCode::from(2));
            }
        },
        _ => None,
    };
    let id = match &command {
        OutboxCommand::Retry { id } => match uuid::Uuid::parse_str(id) {
            Ok(id) => Some(id),
            Err(_) => {
                eprintln!("ferrid: `{id}` is not a message id (see `ferrid outbox list`)");
                return Ok(ExitCode::from(2));
            }
        },
        OutboxCommand::List { .. } => None,
    };
    let db = app::open_database(&settings).await?;
    store::migrate(&db).await?;
    match (command, id) {
        (OutboxCommand::List { json, .. }, _) => {
            let entries = outbox::list(&db, status).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&entries)?);
                return Ok(ExitCode::SUCCESS);
            }
            if entries.is_empty() {
                println!("the outbox is empty");
                return Ok(ExitCode::SUCCESS);
            }
            let time = |t: chrono::DateTime<chrono::Utc>| {
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            };
            println!(
                "{:<36} {:<9} {:<14} {:<28} {:>8} {:<20} LAST ERROR",
                "ID", "STATUS", "USAGE", "TO", "ATTEMPTS", "NEXT ATTEMPT"
            );
            for e in entries {
                let next = match e.status {
                    OutboxStatus::Queued => time(e.next_attempt_at),
                    _ => "-".to_owned(),
                };
                println!(
                    "{:<36} {:<9} {:<14} {:<28} {:>8} {:<20} {}",
                    e.id,
                    e.status,
                    e.usage,
                    e.to,
                    e.attempts,
                    next,
                    e.last_error.as_deref().unwrap_or("-")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        (OutboxCommand::Retry { .. }, Some(id)) => {
            match outbox::retry(&db, id, chrono::Utc::now()).await {
                Ok(_) => {
                    println!("message {id} queued again");
                    Ok(ExitCode::SUCCESS)
                }
                Err(RetryError::Store(e)) => Err(e.into()),
                Err(e) => {
                    eprintln!("ferrid: {e}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        (OutboxCommand::Retry { id, .. }, None) => {
            anyhow::bail!("`{id}` is not a message id")
        }
    }
}
