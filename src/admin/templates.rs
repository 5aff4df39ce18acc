//! Message templates set and previewed through the management API: the
//! same checks as `ferrid connection template` and `ferrid email template`,
//! and a refusal names the Liquid error and its line.

use std::str::FromStr;

use crate::app::AppState;
use crate::domain::{ClientId, EmailUsage, MessageUsage};
use crate::messages::email::{self, EmailTemplateError, SetTemplateError};
use crate::messages::{TemplateError, preview_template};

/// Where a template's messages go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Sms,
    Email,
}

impl FromStr for Channel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sms" => Ok(Self::Sms),
            "email" => Ok(Self::Email),
            other => Err(format!("`{other}` is not a channel (sms, email)")),
        }
    }
}

/// Why a template was refused; nothing was saved.
#[derive(Debug, thiserror::Error)]
pub enum TemplateProblem {
    #[error("`{0}` is not a usage of this channel")]
    UnknownUsage(String),
    #[error("`{0}` is not a language tag like fr or fr-FR")]
    Language(String),
    #[error("{message}")]
    Invalid {
        message: String,
        /// The line of the template the error is on, when Liquid names it.
        line: Option<usize>,
    },
}

/// What a template makes with sample values.
#[derive(Debug)]
pub struct Preview {
    /// An email's subject.
    pub subject: Option<String>,
    pub body: String,
}

/// The line a Liquid message names (`--> 5:4`).
fn line_of(message: &str) -> Option<usize> {
    message
        .split("--> ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.trim().parse().ok())
}

pub(crate) fn sms_problem(error: &TemplateError) -> TemplateProblem {
    let message = error.to_string();
    TemplateProblem::Invalid {
        line: line_of(&message),
        message,
    }
}

pub(crate) fn email_problem(error: &EmailTemplateError) -> TemplateProblem {
    let line = match error {
        EmailTemplateError::NoSubject => Some(1),
        EmailTemplateError::SyntaxAt { line, .. }
        | EmailTemplateError::UnknownVariable { line, .. } => Some(*line),
        EmailTemplateError::Syntax(m) | EmailTemplateError::Render(m) => line_of(m),
    };
    TemplateProblem::Invalid {
        message: error.to_string(),
        line,
    }
}

/// The language key to store under: `default` is the fallback text.
fn language_key(language: &str) -> Option<&str> {
    (language != "default").then_some(language)
}

/// Validates and stores a template of `channel` for `usage` and `language`.
pub async fn put_template(
    state: &AppState,
    by: &ClientId,
    channel: Channel,
    usage: &str,
    language: &str,
    source: &str,
) -> anyhow::Result<Result<(), TemplateProblem>> {
    let saved = save_template(state, channel, usage, language, source).await?;
    if saved.is_ok() {
        crate::audit::record_by_client(
            &state.db,
            state.clock.now(),
            by.as_str(),
            "admin.template.changed",
            None,
            None,
            changed_details(channel, usage, language),
        )
        .await;
    }
    Ok(saved)
}

/// What the audit event of a changed template says.
pub fn changed_details(channel: Channel, usage: &str, language: &str) -> serde_json::Value {
    serde_json::json!({ "channel": channel.as_str(), "usage": usage, "language": language })
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Email => "email",
        }
    }
}

/// Validates and stores a template, without the caller's audit event.
pub async fn save_template(
    state: &AppState,
    channel: Channel,
    usage: &str,
    language: &str,
    source: &str,
) -> anyhow::Result<Result<(), TemplateProblem>> {
    let now = state.clock.now();
    let saved = match channel {
        Channel::Sms => {
            let Ok(usage) = usage.parse::<MessageUsage>() else {
                return Ok(Err(TemplateProblem::UnknownUsage(usage.to_owned())));
            };
            use crate::admin::sms_connection::{ConnectionError, set_template};
            match set_template(&state.db, usage, language_key(language), source).await {
                Ok(()) => Ok(()),
                Err(ConnectionError::Template { error, .. }) => Err(sms_problem(&error)),
                Err(ConnectionError::Invalid(_)) => {
                    Err(TemplateProblem::Language(language.to_owned()))
                }
                Err(ConnectionError::Unexpected(e)) => return Err(e),
            }
        }
        Channel::Email => {
            let Ok(usage) = usage.parse::<EmailUsage>() else {
                return Ok(Err(TemplateProblem::UnknownUsage(usage.to_owned())));
            };
            match email::set_template(&state.db, usage, language_key(language), source, now).await {
                Ok(()) => Ok(()),
                Err(SetTemplateError::Template { error, .. }) => Err(email_problem(&error)),
                Err(SetTemplateError::Language(l)) => Err(TemplateProblem::Language(l)),
                Err(SetTemplateError::Unexpected(e)) => return Err(e),
            }
        }
    };
    Ok(saved)
}

/// What a template of `channel` makes with sample values, without saving it.
pub fn preview(channel: Channel, source: &str) -> Result<Preview, TemplateProblem> {
    match channel {
        Channel::Sms => preview_template(source)
            .map(|body| Preview {
                subject: None,
                body,
            })
            .map_err(|e| sms_problem(&e)),
        Channel::Email => email::preview(source)
            .map(|(subject, body)| Preview {
                subject: Some(subject),
                body,
            })
            .map_err(|e| email_problem(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_liquid_error_names_its_line() {
        let Err(TemplateProblem::Invalid { line, .. }) = preview(Channel::Sms, "Hi\n{{ code ")
        else {
            panic!("a broken template previews");
        };
        assert_eq!(line, Some(2));
    }
}
