//! SMS message templates in Liquid (one per usage, with per-language
//! overrides) and language negotiation.

pub mod account_catalogue;
pub mod catalogue;
mod language;
mod templates;

pub use language::{LanguagePreference, negotiate};
pub use templates::{
    DEFAULT_LANGUAGE_KEY, MessageVars, TemplateError, TemplateSet, default_template,
    default_translations, validate_template,
};
