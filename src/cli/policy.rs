//! `ferrid policy …`: show and change the sign-in policy.

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::str::FromStr;

use clap::{Args, Subcommand};
use ferrid::admin::policy::{self, PolicyChange, SetPolicyOutcome};
use ferrid::clock::{Clock, SystemClock};
use ferrid::config::Settings;
use ferrid::domain::{Connection, Factor, MfaMode, SignInPolicy};
use ferrid::{app, store};

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Show the policy in force.
    Show {
        /// Print JSON (the stored form).
        #[arg(long)]
        json: bool,
    },
    /// Change the policy: only the given parts change; the result is
    /// checked as a whole and is live on every instance at once.
    Set(SetArgs),
}

#[derive(Args)]
pub struct SetArgs {
    /// The codes that start a sign-in, comma-separated: sms, email.
    #[arg(long, value_name = "LIST", value_parser = parse_set::<Connection>)]
    first_factors: Option<BTreeSet<Connection>>,
    /// Whether a verified number or address without an account gets one: on or off.
    #[arg(long, value_name = "on|off", value_parser = parse_on_off)]
    signup: Option<bool>,
    /// When a second factor is asked for: off, optional or required.
    #[arg(long, value_name = "MODE", value_parser = str::parse::<MfaMode>)]
    mfa: Option<MfaMode>,
    /// The second factors allowed, comma-separated: totp, sms, email,
    /// recovery_code ("none" or "" for none).
    #[arg(long, value_name = "LIST", value_parser = parse_set::<Factor>)]
    second_factors: Option<BTreeSet<Factor>>,
    /// One account per phone number: on or off (off only while sms is not a first factor).
    #[arg(long, value_name = "on|off", value_parser = parse_on_off)]
    unique_phone: Option<bool>,
    /// Print JSON (the stored form).
    #[arg(long)]
    json: bool,
}

fn parse_on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("`{s}` is neither on nor off")),
    }
}

/// A comma-separated list; empty (or `none`) is the empty set.
fn parse_set<T: FromStr<Err = String> + Ord>(s: &str) -> Result<BTreeSet<T>, String> {
    if s.trim() == "none" {
        return Ok(BTreeSet::new());
    }
    s.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::parse)
        .collect()
}

/// Runs a `policy` command.
pub async fn run(command: PolicyCommand, settings: Settings) -> anyhow::Result<ExitCode> {
    let db = app::open_database(&settings).await?;
    store::migrate(&db).await?;
    let signup = settings.login.signup;
    match command {
        PolicyCommand::Show { json } => {
            print_policy(&policy::show(&db, signup).await?, json)?;
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::Set(args) => {
            let change = PolicyChange {
                first_factors: args.first_factors,
                signup: args.signup,
                mfa: args.mfa,
                second_factors: args.second_factors,
                unique_phone: args.unique_phone,
            };
            match policy::set(&db, signup, &change, SystemClock.now()).await? {
                SetPolicyOutcome::Changed { after, .. } => {
                    print_policy(&after, args.json)?;
                    Ok(ExitCode::SUCCESS)
                }
                SetPolicyOutcome::Unchanged(current) => {
                    if !args.json {
                        eprintln!("ferrid: the policy already says so; nothing changed");
                    }
                    print_policy(&current, args.json)?;
                    Ok(ExitCode::SUCCESS)
                }
                SetPolicyOutcome::Refused(problems) => {
                    eprintln!("ferrid: the sign-in policy was not changed:");
                    for problem in &problems {
                        eprintln!("  - {problem}");
                    }
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}

fn print_policy(p: &SignInPolicy, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(p)?);
        return Ok(());
    }
    let on_off = |b: bool| if b { "on" } else { "off" };
    println!("first_factors:  {}", list(&p.first_factors));
    println!("signup:         {}", on_off(p.signup));
    println!("mfa:            {}", p.mfa);
    println!("second_factors: {}", list(&p.second_factors));
    println!("unique_phone:   {}", on_off(p.unique_phone));
    Ok(())
}

/// Names, comma-separated, or `none`.
fn list<T: std::fmt::Display>(items: &BTreeSet<T>) -> String {
    if items.is_empty() {
        return "none".to_owned();
    }
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_with_spaces_and_empty_means_none() {
        assert_eq!(
            parse_set::<Factor>("totp, sms"),
            Ok(BTreeSet::from([Factor::Totp, Factor::Sms]))
        );
        assert_eq!(parse_set::<Factor>(""), Ok(BTreeSet::new()));
        assert_eq!(parse_set::<Factor>("none"), Ok(BTreeSet::new()));
        let err = parse_set::<Factor>("totp,yubikey").unwrap_err();
        assert!(err.contains("yubikey"), "{err}");
    }

    #[test]
    fn on_and_off_are_the_only_switches() {
        assert_eq!(parse_on_off("on"), Ok(true));
        assert_eq!(parse_on_off("off"), Ok(false));
        assert!(parse_on_off("yes").unwrap_err().contains("yes"));
    }
}
