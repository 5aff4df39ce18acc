//! SMS message templates in Liquid (one per usage, with per-language
//! overrides), language negotiation, and the live SMS connection.

pub mod catalogue;
mod connection;
mod language;
mod templates;

pub use connection::{
    ConnectionCache, ConnectionSettings, LiveConnection, SMS_CONNECTION_KEY, TestNumber,
};
pub use language::{LanguagePreference, negotiate};
pub use templates::{
    DEFAULT_LANGUAGE_KEY, MessageVars, TemplateError, TemplateSet, default_template,
    validate_template,
};
