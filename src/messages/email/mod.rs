//! Email templates: a Liquid subject and text body per usage and language,
//! built in for the five languages of the page catalogue, overridable and
//! stored in the database (`ferrid email template set`). The HTML part is
//! the rendered body wrapped in an askama layout (`templates/email/`).
//!
//! A template file is a `Subject:` line, a blank line, and the body:
//!
//! ```text
//! Subject: Votre code : {{ code }}
//!
//! Saisissez {{ code }} dans les {{ expires_in_minutes }} minutes.
//! ```

mod defaults;
mod html;
mod store;
mod vars;

pub use defaults::{BUILTIN_LANGUAGES, factor_name};
pub use store::{
    EMAIL_TEMPLATES_KEY, Notice, SetTemplateError, ShownTemplate, TemplateOrigin, queue_email,
    render_email, set_template, show_templates,
};
pub use vars::{EmailVars, FactorChange, FactorKind};

use anyhow::Context;

use super::language::{LanguagePreference, negotiate};
use crate::domain::EmailUsage;
use crate::email::RenderedEmail;

/// The language key of a template stored without `--lang`: it replaces the
/// English built-in text and serves every language that has no text of its
/// own.
pub const DEFAULT_LANGUAGE: &str = "default";

/// Why a template was refused.
#[derive(Debug, thiserror::Error)]
pub enum EmailTemplateError {
    #[error("line 1: a template starts with a `Subject: …` line, then a blank line, then the body")]
    NoSubject,
    #[error("the template does not parse: {0}")]
    Syntax(String),
    #[error("line {line}: the template does not parse: {message}")]
    SyntaxAt { line: usize, message: String },
    #[error("line {line}: unknown variable `{name}` (known: {known})")]
    UnknownVariable {
        name: String,
        line: usize,
        known: String,
    },
    #[error("the template does not render: {0}")]
    Render(String),
}

/// A template's subject and body, split.
struct Parts<'a> {
    subject: &'a str,
    body: &'a str,
}

fn split(source: &str) -> Result<Parts<'_>, EmailTemplateError> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let (first, rest) = source.split_once('\n').unwrap_or((source, ""));
    let subject = first
        .trim_end_matches('\r')
        .strip_prefix("Subject:")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(EmailTemplateError::NoSubject)?;
    let body = rest
        .strip_prefix("\r\n")
        .or_else(|| rest.strip_prefix('\n'))
        .unwrap_or(rest);
    Ok(Parts { subject, body })
}

fn parser() -> anyhow::Result<liquid::Parser> {
    liquid::ParserBuilder::with_stdlib()
        .build()
        .context("building the Liquid parser")
}

/// A compiled template.
struct Compiled {
    subject: liquid::Template,
    body: liquid::Template,
}

impl Compiled {
    fn render(&self, vars: &liquid::Object) -> Result<(String, String), liquid::Error> {
        let subject = self.subject.render(vars)?;
        // One line: a template's newline must not start a header.
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        Ok((subject, self.body.render(vars)?))
    }
}

/// Checks a template: it parses (a syntax error names its line in the
/// file), and renders with every variable set, so that a variable ferrid
/// does not know is refused, with its line.
pub fn validate(source: &str) -> Result<(), EmailTemplateError> {
    preview(source).map(|_| ())
}

/// The subject and text a template makes with sample values, or why it
/// cannot make them.
pub fn preview(source: &str) -> Result<(String, String), EmailTemplateError> {
    preview_in(source, "en")
}

/// The subject and text a template makes with sample values for a reader
/// of `language`.
pub fn preview_in(source: &str, language: &str) -> Result<(String, String), EmailTemplateError> {
    let parts = split(source)?;
    let parser = parser().map_err(|e| EmailTemplateError::Syntax(e.to_string()))?;
    // Parsed whole, so that the parser's line numbers are the file's.
    parser.parse(source).map_err(|e| syntax_error(&e))?;
    let compiled =
        compile(&parser, &parts).map_err(|e| EmailTemplateError::Syntax(e.to_string()))?;
    compiled
        .render(&vars::sample().to_object(language))
        .map_err(|e| render_error(source, &e))
}

fn compile(parser: &liquid::Parser, parts: &Parts<'_>) -> Result<Compiled, liquid::Error> {
    Ok(Compiled {
        subject: parser.parse(parts.subject)?,
        body: parser.parse(parts.body)?,
    })
}

/// A parse error, with the line the parser names (`--> 5:4`) put first.
fn syntax_error(error: &liquid::Error) -> EmailTemplateError {
    let text = error.to_string();
    let line = text
        .split("--> ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.trim().parse::<usize>().ok());
    let message = text.trim_start_matches("liquid:").trim().to_owned();
    match line {
        Some(line) => EmailTemplateError::SyntaxAt { line, message },
        None => EmailTemplateError::Syntax(message),
    }
}

/// A render error, turned into "unknown variable" with its line when it is one.
fn render_error(source: &str, error: &liquid::Error) -> EmailTemplateError {
    let text = error.to_string();
    let name = text
        .split("requested variable=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .map(|n| n.trim_matches(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.')));
    match name {
        Some(name) if text.contains("Unknown variable") => {
            let root = name.split('.').next().unwrap_or(name);
            let line = source
                .lines()
                .position(|l| (l.contains("{{") || l.contains("{%")) && l.contains(root))
                .map_or(1, |i| i + 1);
            EmailTemplateError::UnknownVariable {
                name: name.to_owned(),
                line,
                known: vars::NAMES.join(", "),
            }
        }
        _ => EmailTemplateError::Render(text),
    }
}

/// Every usage's templates: stored overrides over the built-in ones.
struct TemplateSet {
    stored: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
}

impl TemplateSet {
    /// The source to use for a usage and a user's language, and the
    /// language it is written in: a stored template for the language (by
    /// whole tag, then primary subtag), else the built-in one for it, else
    /// the stored default, else the English built-in.
    fn pick(&self, usage: EmailUsage, language: &str) -> (String, String) {
        let preference = LanguagePreference::from_sources(Some(language), None, None);
        let stored = self.stored.get(usage.as_str());
        if let Some(by_language) = stored {
            let languages = by_language
                .keys()
                .map(String::as_str)
                .filter(|l| *l != DEFAULT_LANGUAGE);
            if let Some(lang) = negotiate(&preference, languages)
                && let Some(source) = by_language.get(lang)
            {
                return (source.clone(), lang.to_owned());
            }
        }
        if let Some(lang) = negotiate(&preference, BUILTIN_LANGUAGES.into_iter())
            && lang != "en"
            && let Some(source) = defaults::builtin(usage, lang)
        {
            return (source, lang.to_owned());
        }
        if let Some(source) = stored.and_then(|s| s.get(DEFAULT_LANGUAGE)) {
            return (source.clone(), DEFAULT_LANGUAGE.to_owned());
        }
        (
            defaults::builtin(usage, "en").unwrap_or_default(),
            "en".to_owned(),
        )
    }

    fn render(
        &self,
        usage: EmailUsage,
        language: &str,
        vars: &EmailVars,
    ) -> anyhow::Result<RenderedEmail> {
        let (source, written_in) = self.pick(usage, language);
        let parts = split(&source).map_err(|e| anyhow::anyhow!("template {usage}: {e}"))?;
        let compiled = compile(&parser()?, &parts)
            .with_context(|| format!("template {usage}/{written_in}"))?;
        // The factor's name in the language the text is written in.
        let object = vars.to_object(if written_in == DEFAULT_LANGUAGE {
            language
        } else {
            &written_in
        });
        let (subject, text) = compiled
            .render(&object)
            .with_context(|| format!("rendering template {usage}/{written_in}"))?;
        let html_lang = if written_in == DEFAULT_LANGUAGE {
            language.to_owned()
        } else {
            written_in.clone()
        };
        let html = html::wrap(&html_lang, &subject, &text)?;
        Ok(RenderedEmail {
            subject,
            text,
            html,
            language: written_in,
        })
    }
}

#[cfg(test)]
mod tests;
