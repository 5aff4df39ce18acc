//! `ferrid keys …`: list and rotate the token signing keys.

use std::process::ExitCode;

use clap::Subcommand;
use ferrid::config::Settings;
use ferrid::{app, oidc, store};

#[derive(Subcommand)]
pub enum KeysCommand {
    /// List signing keys: kid, algorithm, state (next, active, retiring, retired) and dates.
    List,
    /// Add a new signing key: published at once, signing after `tokens.key_publish_lead`;
    /// the previous one then stays published for `tokens.key_rotation_grace`.
    Rotate {
        /// Sign with the new key at once (a compromised key): relying parties
        /// that cached the key set refuse new tokens until they fetch it again.
        #[arg(long)]
        now: bool,
    },
}

/// Runs a `keys` command.
pub async fn run(command: KeysCommand, settings: Settings) -> anyhow::Result<ExitCode> {
    let db = app::open_database(&settings).await?;
    store::migrate(&db).await?;
    match command {
        KeysCommand::List => {
            let all = oidc::keys::list_keys(&db, chrono::Utc::now()).await?;
            if all.is_empty() {
                println!("no signing keys yet (one is made when ferrid first starts)");
            } else {
                let time = |t: chrono::DateTime<chrono::Utc>| {
                    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                };
                println!(
                    "{:<45} {:<6} {:<9} {:<21} {:<21} RETIRE AFTER",
                    "KID", "ALG", "STATE", "CREATED", "SIGNS FROM"
                );
                for (k, status) in all {
                    println!(
                        "{:<45} {:<6} {:<9} {:<21} {:<21} {}",
                        k.kid,
                        k.alg,
                        status.as_str(),
                        time(k.created_at),
                        time(k.activates_at()),
                        k.retire_after.map(time).unwrap_or_else(|| "-".into())
                    );
                }
            }
        }
        KeysCommand::Rotate { now } => {
            let master_key = app::master_key(&settings)?;
            let grace = settings.tokens.key_rotation_grace;
            let lead = settings.tokens.key_publish_lead;
            let activation = if now {
                oidc::keys::Activation::Now
            } else {
                oidc::keys::Activation::AfterLead(lead.0)
            };
            let (kid, signs_from) =
                oidc::keys::rotate(&db, &master_key, activation, grace.0, chrono::Utc::now())
                    .await?;
            let signs_from = signs_from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            if now {
                println!("new active key: {kid}");
                println!(
                    "it signs at once; running instances pick it up within 10s, and relying parties that cached the key set refuse new tokens until they fetch it again"
                );
            } else {
                println!("new key: {kid} (next; published now, signs from {signs_from})");
                println!(
                    "every instance switches to it at {signs_from} (tokens.key_publish_lead = {lead})"
                );
            }
            println!("the previous key stays published until {grace} after the switch");
        }
    }
    Ok(ExitCode::SUCCESS)
}
