//! `ferrid email template …`: set and show the email templates.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use ferrid::config::Settings;
use ferrid::domain::EmailUsage;
use ferrid::messages::email::{self as templates, SetTemplateError, TemplateOrigin};
use ferrid::{app, store};

#[derive(Subcommand)]
pub enum EmailCommand {
    /// Email templates: a `Subject:` line, a blank line, then the body, in Liquid.
    #[command(subcommand)]
    Template(TemplateCommand),
}

#[derive(Subcommand)]
pub enum TemplateCommand {
    /// Validate and store the template of a usage (and language).
    Set {
        /// verify_email, reauth, sign_in, sign_up, factor_added, factor_changed
        /// or factor_removed.
        #[arg(long, value_parser = str::parse::<EmailUsage>)]
        usage: EmailUsage,
        /// A BCP 47 language tag (fr, fr-FR …); without it, the default text,
        /// which replaces the English one and serves languages without their own.
        #[arg(long)]
        lang: Option<String>,
        /// The template file.
        #[arg(long)]
        file: PathBuf,
    },
    /// Show the templates (built-in and stored); with --lang, the one a user
    /// of that language gets.
    Show {
        #[arg(long, value_parser = str::parse::<EmailUsage>)]
        usage: Option<EmailUsage>,
        #[arg(long)]
        lang: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(command: EmailCommand, settings: Settings) -> anyhow::Result<ExitCode> {
    let EmailCommand::Template(command) = command;
    let db = app::open_database(&settings).await?;
    store::migrate(&db).await?;
    match command {
        TemplateCommand::Set { usage, lang, file } => {
            let source = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?;
            let now = chrono::Utc::now();
            match templates::set_template(&db, usage, lang.as_deref(), &source, now).await {
                Ok(()) => {
                    println!(
                        "email template {usage}/{} saved",
                        lang.as_deref().unwrap_or(templates::DEFAULT_LANGUAGE)
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(SetTemplateError::Unexpected(e)) => Err(e),
                Err(e) => {
                    eprintln!("ferrid: {e}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        TemplateCommand::Show { usage, lang, json } => {
            if let Some(lang) = &lang
                && ferrid::messages::LanguagePreference::from_sources(Some(lang), None, None)
                    .first()
                    .is_none()
            {
                eprintln!("ferrid: `{lang}` is not a language tag like fr or fr-FR");
                return Ok(ExitCode::from(2));
            }
            let shown = templates::show_templates(&db, usage, lang.as_deref()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&shown)?);
                return Ok(ExitCode::SUCCESS);
            }
            for t in shown {
                let origin = match t.origin {
                    TemplateOrigin::BuiltIn => "built-in",
                    TemplateOrigin::Stored => "stored",
                };
                println!("== {} ({}, {origin}) ==", t.usage, t.language);
                println!("{}", t.source.trim_end());
                println!();
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
