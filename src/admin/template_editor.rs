//! The dashboard's message-templates editor: every template of each
//! channel, one template's source, a preview with sample values or a real
//! user's (with the SMS segment count), and saving with the same checks
//! as the management API, audit-logged with the admin's id.

use uuid::Uuid;

use super::directory::{self, UserQuery};
use super::templates::{
    Channel, Preview, TemplateProblem, changed_details, email_problem, save_template, sms_problem,
};
use crate::app::AppState;
use crate::domain::{EmailUsage, MessageUsage};
use crate::messages::email::{self, TemplateOrigin};
use crate::messages::segments::{SmsLength, sms_length};
use crate::messages::{
    DEFAULT_LANGUAGE_KEY, MAX_SEGMENTS, default_template, default_translations,
    preview_template_for,
};
use crate::store::{ConnectionTrait, DatabaseConnection};

/// One template in the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateEntry {
    pub channel: Channel,
    pub usage: &'static str,
    pub language: String,
    /// Stored by an admin, rather than ferrid's own text.
    pub stored: bool,
}

/// Every SMS template: the stored ones, and ferrid's own that none replaces.
pub async fn sms_templates(db: &DatabaseConnection) -> anyhow::Result<Vec<TemplateEntry>> {
    let settings = super::sms_connection::show(db).await?;
    let mut out = Vec::new();
    for usage in MessageUsage::ALL {
        let stored = settings.templates.get(usage.as_str());
        let has = |lang: &str| stored.is_some_and(|s| s.contains_key(lang));
        let mut builtin = vec![DEFAULT_LANGUAGE_KEY];
        builtin.extend(default_translations(usage).iter().map(|(l, _)| *l));
        for lang in builtin.into_iter().filter(|l| !has(l)) {
            out.push(TemplateEntry {
                channel: Channel::Sms,
                usage: usage.as_str(),
                language: lang.to_owned(),
                stored: false,
            });
        }
        for lang in stored.into_iter().flat_map(|s| s.keys()) {
            out.push(TemplateEntry {
                channel: Channel::Sms,
                usage: usage.as_str(),
                language: lang.clone(),
                stored: true,
            });
        }
    }
    Ok(out)
}

/// Every email template, stored or ferrid's own.
pub async fn email_templates(db: &impl ConnectionTrait) -> anyhow::Result<Vec<TemplateEntry>> {
    Ok(email::show_templates(db, None, None)
        .await?
        .into_iter()
        .map(|t| TemplateEntry {
            channel: Channel::Email,
            usage: t.usage.as_str(),
            language: t.language,
            stored: t.origin == TemplateOrigin::Stored,
        })
        .collect())
}

/// The source the editor starts from: the stored template, else ferrid's
/// own; `None` when the usage is not one of the channel's.
pub async fn source_of(
    db: &DatabaseConnection,
    channel: Channel,
    usage: &str,
    language: &str,
) -> anyhow::Result<Option<String>> {
    match channel {
        Channel::Sms => {
            let Ok(usage) = usage.parse::<MessageUsage>() else {
                return Ok(None);
            };
            let settings = super::sms_connection::show(db).await?;
            let stored = settings
                .templates
                .get(usage.as_str())
                .and_then(|s| s.get(language))
                .cloned();
            let builtin = default_translations(usage)
                .iter()
                .find(|(l, _)| *l == language)
                .map_or_else(|| default_template(usage), |(_, t)| *t);
            Ok(Some(stored.unwrap_or_else(|| builtin.to_owned())))
        }
        Channel::Email => {
            let Ok(usage) = usage.parse::<EmailUsage>() else {
                return Ok(None);
            };
            let lang = (language != email::DEFAULT_LANGUAGE).then_some(language);
            let shown = email::show_templates(db, Some(usage), lang.or(Some("en"))).await?;
            Ok(shown.into_iter().next().map(|t| t.source))
        }
    }
}

/// Whose data a preview uses.
#[derive(Clone, Debug, Default)]
pub struct PreviewFor {
    pub phone: String,
    pub language: Option<String>,
}

/// A preview, and what its SMS costs.
#[derive(Debug)]
pub struct EditorPreview {
    pub preview: Preview,
    pub length: Option<SmsLength>,
    /// The SMS takes more segments than a template may.
    pub too_long: bool,
}

/// Why a preview for a user could not be made.
#[derive(Debug)]
pub enum PreviewOutcome {
    Shown(EditorPreview),
    Invalid(TemplateProblem),
    /// No user has that id, number or address.
    NoSuchUser,
}

/// The user a preview is asked for (an id, a number or an address).
pub async fn preview_user(
    db: &impl ConnectionTrait,
    who: &str,
) -> anyhow::Result<Option<PreviewFor>> {
    let query = UserQuery::parse(who);
    if matches!(query, UserQuery::Newest | UserQuery::Unrecognised) {
        return Ok(None);
    }
    let found = directory::search(db, &query).await?;
    Ok(found.into_iter().next().map(|u| PreviewFor {
        phone: u
            .phone
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| SAMPLE_PHONE.to_owned()),
        language: u.locale,
    }))
}

const SAMPLE_PHONE: &str = "+447400123456";

/// What `source` makes, with sample values or those of `user`.
pub fn preview(channel: Channel, source: &str, user: Option<&PreviewFor>) -> PreviewOutcome {
    let language = user.and_then(|u| u.language.as_deref());
    let made = match channel {
        Channel::Sms => {
            let phone = user.map_or(SAMPLE_PHONE, |u| u.phone.as_str());
            preview_template_for(source, phone, language.or(Some("en")))
                .map(|body| Preview {
                    subject: None,
                    body,
                })
                .map_err(|e| sms_problem(&e))
        }
        Channel::Email => email::preview_in(source, language.unwrap_or("en"))
            .map(|(subject, body)| Preview {
                subject: Some(subject),
                body,
            })
            .map_err(|e| email_problem(&e)),
    };
    match made {
        Ok(preview) => {
            let length = (channel == Channel::Sms).then(|| sms_length(&preview.body));
            PreviewOutcome::Shown(EditorPreview {
                too_long: length.is_some_and(|l| l.segments > MAX_SEGMENTS),
                preview,
                length,
            })
        }
        Err(problem) => PreviewOutcome::Invalid(problem),
    }
}

/// Validates and stores a template, audit-logged with the admin's id.
pub async fn save(
    state: &AppState,
    admin: Uuid,
    channel: Channel,
    usage: &str,
    language: &str,
    source: &str,
) -> anyhow::Result<Result<(), TemplateProblem>> {
    let saved = save_template(state, channel, usage, language, source).await?;
    if saved.is_ok() {
        crate::audit::record_by_admin(
            &state.db,
            state.clock.now(),
            admin,
            "admin.template.changed",
            None,
            None,
            changed_details(channel, usage, language),
        )
        .await;
    }
    Ok(saved)
}
