//! `ferrid connection sms …`: show, change and test the SMS connection.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use ferrid::admin::sms_connection::{
    self, ConnectionChange, ConnectionError, ProviderChoice, TestSendReport,
};
use ferrid::config::Settings;
use ferrid::domain::MessageUsage;
use ferrid::otp::SharedRedis;
use ferrid::otp::pumping::{self, PumpingStats};
use ferrid::sms::TestNumber;
use ferrid::{app, store};
use secrecy::ExposeSecret;

#[derive(Subcommand)]
pub enum ConnectionCommand {
    /// The SMS connection.
    #[command(subcommand)]
    Sms(SmsCommand),
}

#[derive(Subcommand)]
pub enum SmsCommand {
    /// Show the connection (secrets only as "set").
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change the connection; checked before it is saved, live at once.
    Set(Box<SetArgs>),
    /// Send the generic message through the live provider and report its answer.
    Test {
        /// The number to send to, in E.164 form.
        #[arg(long)]
        to: String,
    },
    /// Message templates.
    #[command(subcommand)]
    Template(TemplateCommand),
    /// Codes sent and verified per country and number range within the
    /// pumping window, and the ranges throttled for SMS pumping (from Redis
    /// when configured, otherwise from the audit log).
    Stats {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum TemplateCommand {
    /// Validate and store a Liquid template for a usage (and language).
    Set {
        /// login, register, verify, generic or notice.
        #[arg(long, value_parser = str::parse::<MessageUsage>)]
        usage: MessageUsage,
        /// A BCP 47 language tag (fr, fr-FR …); without it, the usage's default text.
        #[arg(long)]
        lang: Option<String>,
        /// The template file.
        #[arg(long)]
        file: PathBuf,
    },
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("`{s}` is not a duration like 10m ({e})"))
}

fn parse_test_number(s: &str) -> Result<TestNumber, String> {
    let (phone, code) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not PHONE=CODE, like +15555550100=123456"))?;
    Ok(TestNumber {
        phone: phone.trim().replace([' ', '-'], ""),
        code: code.trim().to_owned(),
    })
}

#[derive(Args)]
pub struct SetArgs {
    /// outbox, twilio or webhook: exactly one is live.
    #[arg(long, value_parser = str::parse::<ProviderChoice>)]
    provider: Option<ProviderChoice>,
    /// Twilio Account SID (AC…).
    #[arg(long)]
    twilio_account_sid: Option<String>,
    /// Twilio auth token (stored encrypted; also FERRID_TWILIO_AUTH_TOKEN).
    #[arg(long, env = "FERRID_TWILIO_AUTH_TOKEN", hide_env_values = true)]
    twilio_auth_token: Option<String>,
    /// Twilio Messaging Service SID (MG…).
    #[arg(long)]
    twilio_messaging_service_sid: Option<String>,
    /// Twilio sender number, E.164.
    #[arg(long)]
    twilio_from: Option<String>,
    /// Twilio API base URL (default https://api.twilio.com).
    #[arg(long)]
    twilio_base_url: Option<String>,
    /// Webhook URL (https, or http on loopback).
    #[arg(long)]
    webhook_url: Option<String>,
    /// Webhook signing secret, whsec_… (stored encrypted; also FERRID_WEBHOOK_SECRET).
    #[arg(long, env = "FERRID_WEBHOOK_SECRET", hide_env_values = true)]
    webhook_secret: Option<String>,
    /// Provider request timeout (default 10s).
    #[arg(long, value_parser = parse_duration)]
    timeout: Option<std::time::Duration>,
    /// Digits in a code.
    #[arg(long)]
    otp_length: Option<u8>,
    /// Code lifetime (10m).
    #[arg(long, value_parser = parse_duration)]
    otp_ttl: Option<std::time::Duration>,
    /// Wrong codes before a challenge dies.
    #[arg(long)]
    max_attempts: Option<u32>,
    /// Regions numbers may be in, comma-separated ISO codes (US,FR,NL); empty for all.
    #[arg(long, value_delimiter = ',')]
    allowed_countries: Option<Vec<String>>,
    /// A test number with its fixed code, PHONE=CODE (repeatable; replaces the list).
    #[arg(long = "test-number", value_parser = parse_test_number)]
    test_numbers: Vec<TestNumber>,
    /// Remove every test number.
    #[arg(long, conflicts_with = "test_numbers")]
    clear_test_numbers: bool,
}

pub async fn run(command: ConnectionCommand, settings: Settings) -> anyhow::Result<ExitCode> {
    let ConnectionCommand::Sms(command) = command;
    let db = app::open_database(&settings).await?;
    store::migrate(&db).await?;
    let master_key = app::master_key(&settings)?;
    sms_connection::ensure(&db, &master_key, &settings)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let refused = |e: ConnectionError| -> anyhow::Result<ExitCode> {
        match e {
            ConnectionError::Unexpected(e) => Err(e),
            e => {
                eprintln!("ferrid: {e}");
                Ok(ExitCode::from(2))
            }
        }
    };
    match command {
        SmsCommand::Show { json } => {
            let current = sms_connection::show(&db).await?;
            let view = sms_connection::describe(&current);
            if json {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                print!("{}", super::to_toml(&view)?);
            }
            Ok(ExitCode::SUCCESS)
        }
        SmsCommand::Set(args) => {
            let change = ConnectionChange {
                provider: args.provider,
                twilio_account_sid: args.twilio_account_sid,
                twilio_auth_token: args.twilio_auth_token,
                twilio_messaging_service_sid: args.twilio_messaging_service_sid,
                twilio_from: args.twilio_from,
                twilio_base_url: args.twilio_base_url,
                webhook_url: args.webhook_url,
                webhook_secret: args.webhook_secret,
                timeout: args.timeout,
                otp_length: args.otp_length,
                otp_ttl: args.otp_ttl,
                max_attempts: args.max_attempts,
                allowed_countries: args.allowed_countries,
                test_numbers: if args.clear_test_numbers {
                    Some(vec![])
                } else if args.test_numbers.is_empty() {
                    None
                } else {
                    Some(args.test_numbers)
                },
            };
            let test_numbers = sms_connection::TestNumbers::from_settings(&settings);
            match sms_connection::set(&db, &master_key, change, test_numbers).await {
                Ok(saved) => {
                    println!("SMS connection saved: provider {}", saved.provider.name());
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => refused(e),
            }
        }
        SmsCommand::Test { to } => match sms_connection::test_send(&db, &master_key, &to).await {
            Ok(TestSendReport::Sent {
                provider,
                provider_id,
            }) => {
                println!(
                    "{provider} accepted the message{}",
                    provider_id
                        .map(|id| format!(" (id {id})"))
                        .unwrap_or_default()
                );
                Ok(ExitCode::SUCCESS)
            }
            Ok(TestSendReport::Failed { provider, error }) => {
                eprintln!("ferrid: {provider} did not send the message: {error}");
                Ok(ExitCode::FAILURE)
            }
            Err(e) => refused(e),
        },
        SmsCommand::Stats { json } => {
            let stats = pumping_stats(&db, &settings).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&stats)?);
            } else {
                print_stats(&stats);
            }
            Ok(ExitCode::SUCCESS)
        }
        SmsCommand::Template(TemplateCommand::Set { usage, lang, file }) => {
            let source = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?;
            match sms_connection::set_template(&db, usage, lang.as_deref(), &source).await {
                Ok(()) => {
                    println!(
                        "template {usage}/{} saved",
                        lang.as_deref().unwrap_or("default")
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => refused(e),
            }
        }
    }
}

/// The shared counts: Redis when configured and answering (what the
/// instances decide on), else the audit log (every instance's sends).
async fn pumping_stats(
    db: &store::DatabaseConnection,
    settings: &Settings,
) -> anyhow::Result<PumpingStats> {
    let rules = settings.sms.pumping.rules();
    if let Some(url) = &settings.redis_url {
        let redis = SharedRedis::open(url.expose_secret(), &settings.redis_prefix).await?;
        if !redis.is_degraded() {
            return pumping::stats_from_redis(&redis, rules.window).await;
        }
        eprintln!("ferrid: Redis does not answer; counting from the audit log instead");
    }
    pumping::stats_from_audit(db, &rules, chrono::Utc::now()).await
}

fn print_stats(stats: &PumpingStats) {
    let window = humantime::format_duration(std::time::Duration::from_secs(stats.window_secs));
    println!(
        "SMS codes over the last {window} (from the {}):",
        stats.source
    );
    println!(
        "{:<14} {:>8} {:>9} {:>7}",
        "destination", "sent", "verified", "ratio"
    );
    for row in &stats.destinations {
        let ratio = if row.sent == 0 {
            "-".to_owned()
        } else {
            format!("{:.2}", row.verified as f64 / row.sent as f64)
        };
        println!(
            "{:<14} {:>8} {:>9} {:>7}",
            row.destination, row.sent, row.verified, ratio
        );
    }
    if stats.throttled.is_empty() {
        println!("throttled ranges: none");
    } else {
        println!("throttled ranges (SMS pumping):");
        for t in &stats.throttled {
            let left = humantime::format_duration(std::time::Duration::from_secs(t.seconds_left));
            println!("{:<14} {left} left", t.prefix);
        }
    }
}
