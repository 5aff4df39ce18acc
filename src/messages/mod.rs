//! Message templates in Liquid, SMS (one per usage, with per-language
//! overrides) and email (`email`), and language negotiation.

pub mod account_catalogue;
pub mod account_email_catalogue;
pub mod account_factors_catalogue;
pub mod admin_catalogue;
pub mod admin_user_catalogue;
pub mod catalogue;
pub mod email;
mod language;
pub mod login_email_catalogue;
pub mod mfa_catalogue;
pub mod segments;
mod templates;

pub use language::{LanguagePreference, negotiate};
pub use templates::{
    DEFAULT_LANGUAGE_KEY, MAX_SEGMENTS, MessageVars, TemplateError, TemplateSet, default_template,
    default_translations, preview_template, preview_template_for, validate_template,
};
