//! `ferrid admin …`: who may sign in to the dashboard.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use ferrid::admin::admins::{self, AdminOutcome, AdminRole, AdminTarget, Created};
use ferrid::clock::{Clock, SystemClock};
use ferrid::config::Settings;
use ferrid::domain::{EmailAddress, PhoneNumber};
use ferrid::{app, store};
use uuid::Uuid;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Make a user an admin; a number or address nobody holds yet gets a
    /// new account with it verified.
    Grant(TargetArgs),
    /// Take the dashboard away from a user.
    Revoke(TargetArgs),
}

/// Exactly one of the three.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct TargetArgs {
    /// The user's phone number, in international format (+…).
    #[arg(long, value_parser = parse_phone)]
    phone: Option<PhoneNumber>,
    /// The user's email address.
    #[arg(long, value_parser = parse_email)]
    email: Option<EmailAddress>,
    /// The user's id.
    #[arg(long = "user", value_name = "ID", value_parser = parse_id)]
    user: Option<Uuid>,
}

impl TargetArgs {
    fn target(self) -> anyhow::Result<AdminTarget> {
        match (self.phone, self.email, self.user) {
            (Some(phone), _, _) => Ok(AdminTarget::Phone(phone)),
            (_, Some(email), _) => Ok(AdminTarget::Email(email)),
            (_, _, Some(id)) => Ok(AdminTarget::User(id)),
            _ => anyhow::bail!("name the user with --phone, --email or --user"),
        }
    }
}

fn parse_phone(s: &str) -> Result<PhoneNumber, String> {
    PhoneNumber::parse(s, None).map_err(|e| format!("`{s}`: {e}"))
}

fn parse_email(s: &str) -> Result<EmailAddress, String> {
    EmailAddress::parse(s).map_err(|e| format!("`{s}`: {e}"))
}

fn parse_id(s: &str) -> Result<Uuid, String> {
    Uuid::parse_str(s).map_err(|_| format!("`{s}` is not a user id (a UUID)"))
}

/// Runs an `admin` command.
pub async fn run(command: AdminCommand, settings: Settings) -> anyhow::Result<ExitCode> {
    let db = app::open_database(&settings).await?;
    store::migrate(&db).await?;
    let (args, role) = match command {
        AdminCommand::Grant(args) => (args, AdminRole::Granted),
        AdminCommand::Revoke(args) => (args, AdminRole::Revoked),
    };
    let target = args.target()?;
    match admins::set_role(&db, &target, role, SystemClock.now()).await? {
        AdminOutcome::Changed { user, created } => {
            if created == Created::Yes {
                println!("created user {}", user.id);
            }
            match role {
                AdminRole::Granted => println!("user {} is an admin", user.id),
                AdminRole::Revoked => println!("user {} is no longer an admin", user.id),
            }
            Ok(ExitCode::SUCCESS)
        }
        AdminOutcome::Unchanged(user) => {
            match role {
                AdminRole::Granted => println!("user {} is already an admin", user.id),
                AdminRole::Revoked => println!("user {} is not an admin", user.id),
            }
            Ok(ExitCode::SUCCESS)
        }
        AdminOutcome::NoSuchUser => {
            eprintln!("ferrid: no such user");
            Ok(ExitCode::FAILURE)
        }
    }
}
