//! Stored email templates (a setting), rendering with them, and queueing
//! the result.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    BUILTIN_LANGUAGES, DEFAULT_LANGUAGE, EmailTemplateError, EmailVars, TemplateSet, defaults,
    validate,
};
use crate::audit;
use crate::domain::{EmailAddress, EmailUsage};
use crate::email::{self, NewMail, RenderedEmail};
use crate::messages::LanguagePreference;
use crate::store::{self, ConnectionTrait, StoreError};

/// The setting that holds the stored templates: usage → language → source.
pub const EMAIL_TEMPLATES_KEY: &str = "email_templates";

type Stored = BTreeMap<String, BTreeMap<String, String>>;

async fn load(conn: &impl ConnectionTrait) -> anyhow::Result<TemplateSet> {
    let stored: Stored = match store::settings::find(conn, EMAIL_TEMPLATES_KEY).await? {
        Some(setting) => serde_json::from_str(&setting.value)?,
        None => Stored::new(),
    };
    Ok(TemplateSet { stored })
}

/// Renders a usage's email for a user's language (the one they last used
/// on ferrid's pages, a BCP 47 tag): subject, text part, HTML part.
pub async fn render_email(
    conn: &impl ConnectionTrait,
    usage: EmailUsage,
    language: &str,
    vars: &EmailVars,
) -> anyhow::Result<RenderedEmail> {
    load(conn).await?.render(usage, language, vars)
}

/// An email to render and queue.
#[derive(Clone, Copy, Debug)]
pub struct Notice<'a> {
    pub to: &'a EmailAddress,
    /// The user it is about, for the audit trail.
    pub user_id: Option<Uuid>,
    pub usage: EmailUsage,
    /// The user's language (a BCP 47 tag).
    pub language: &'a str,
    pub vars: &'a EmailVars,
    /// For a code: when it expires (the mail is abandoned after).
    pub expires_at: Option<DateTime<Utc>>,
}

/// Renders a notice and writes it to the outbox through `conn`, normally
/// the transaction of the change it reports (see `email::enqueue`); the
/// message id. Wake the worker (`state.mail.wake()`) after the commit.
pub async fn queue_email(
    conn: &impl ConnectionTrait,
    notice: Notice<'_>,
    now: DateTime<Utc>,
) -> anyhow::Result<Uuid> {
    let content = render_email(conn, notice.usage, notice.language, notice.vars).await?;
    let mail = NewMail {
        to: notice.to.clone(),
        user_id: notice.user_id,
        usage: notice.usage,
        content,
        expires_at: notice.expires_at,
    };
    Ok(email::enqueue(conn, mail, now).await?)
}

/// Why a template was not saved.
#[derive(Debug, thiserror::Error)]
pub enum SetTemplateError {
    #[error("`{0}` is not a language tag like fr or fr-FR")]
    Language(String),
    #[error("template {usage}/{language}: {error}")]
    Template {
        usage: EmailUsage,
        language: String,
        error: EmailTemplateError,
    },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for SetTemplateError {
    fn from(e: StoreError) -> Self {
        Self::Unexpected(e.into())
    }
}

/// Validates and stores the template of a usage for a language (`None`:
/// the default text, which replaces the English one and serves languages
/// without a text of their own).
pub async fn set_template(
    conn: &impl ConnectionTrait,
    usage: EmailUsage,
    language: Option<&str>,
    source: &str,
    now: DateTime<Utc>,
) -> Result<(), SetTemplateError> {
    let language = language.unwrap_or(DEFAULT_LANGUAGE).to_owned();
    if language != DEFAULT_LANGUAGE
        && LanguagePreference::from_sources(Some(&language), None, None).first()
            != Some(language.as_str())
    {
        return Err(SetTemplateError::Language(language));
    }
    validate(source).map_err(|error| SetTemplateError::Template {
        usage,
        language: language.clone(),
        error,
    })?;
    let mut set = load(conn).await?;
    set.stored
        .entry(usage.as_str().to_owned())
        .or_default()
        .insert(language.clone(), source.to_owned());
    let value = serde_json::to_string(&set.stored).map_err(anyhow::Error::from)?;
    store::settings::upsert(conn, EMAIL_TEMPLATES_KEY, &value, now).await?;
    audit::record(
        conn,
        now,
        "email.template_changed",
        None,
        None,
        None,
        serde_json::json!({ "usage": usage, "language": language }),
    )
    .await;
    Ok(())
}

/// Where a shown template comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TemplateOrigin {
    BuiltIn,
    Stored,
}

/// A template as `ferrid email template show` prints it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ShownTemplate {
    pub usage: EmailUsage,
    pub language: String,
    pub origin: TemplateOrigin,
    pub source: String,
}

/// The templates of a usage (or all) in a language (or all that have one):
/// stored ones, and built-in ones that no stored one replaces. With a
/// language, the one a user of that language gets.
pub async fn show_templates(
    conn: &impl ConnectionTrait,
    usage: Option<EmailUsage>,
    language: Option<&str>,
) -> anyhow::Result<Vec<ShownTemplate>> {
    let set = load(conn).await?;
    let usages: Vec<EmailUsage> = match usage {
        Some(u) => vec![u],
        None => EmailUsage::ALL.to_vec(),
    };
    let mut out = Vec::new();
    for usage in usages {
        let stored = set.stored.get(usage.as_str());
        if let Some(language) = language {
            let (source, written_in) = set.pick(usage, language);
            let is_stored = stored.is_some_and(|s| s.get(&written_in) == Some(&source));
            out.push(ShownTemplate {
                usage,
                language: written_in,
                origin: if is_stored {
                    TemplateOrigin::Stored
                } else {
                    TemplateOrigin::BuiltIn
                },
                source,
            });
            continue;
        }
        for lang in BUILTIN_LANGUAGES {
            let replaced = stored.is_some_and(|s| {
                s.contains_key(lang) || (lang == "en" && s.contains_key(DEFAULT_LANGUAGE))
            });
            if !replaced && let Some(source) = defaults::builtin(usage, lang) {
                out.push(ShownTemplate {
                    usage,
                    language: lang.to_owned(),
                    origin: TemplateOrigin::BuiltIn,
                    source,
                });
            }
        }
        for (lang, source) in stored.into_iter().flatten() {
            out.push(ShownTemplate {
                usage,
                language: lang.clone(),
                origin: TemplateOrigin::Stored,
                source: source.clone(),
            });
        }
    }
    Ok(out)
}
