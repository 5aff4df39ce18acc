//! Compiled message templates.

use std::collections::{BTreeMap, HashMap};

use anyhow::Context;

use super::language::{LanguagePreference, negotiate};
use super::segments::{SmsLength, sms_length};
use crate::domain::MessageUsage;

/// The built-in text of each usage.
pub fn default_template(usage: MessageUsage) -> &'static str {
    match usage {
        MessageUsage::Login => "Your {{ application.name }} verification code is: {{ code }}",
        MessageUsage::Register => {
            "Welcome to {{ application.name }}! Your verification code is: {{ code }}"
        }
        MessageUsage::Verify => {
            "Your {{ application.name }} code to confirm this phone number is: {{ code }}"
        }
        MessageUsage::Generic => "Your {{ application.name }} code is: {{ code }}",
        MessageUsage::Notice => NOTICE_EN,
    }
}

const NOTICE_EN: &str = "{{ application.name }}: {% if change == 'second_factor' %}the two-step verification of your account changed. Not you? Check it: {{ revert_url }}{% else %}{% if change == 'removed' %}this number was removed from your account{% else %}your account now uses another phone number{% endif %}. Not you? Undo it: {{ revert_url }}{% endif %}";

/// Built-in translations of a usage's default text, by language (the
/// notice has them; code messages use the one default unless the operator
/// sets overrides).
pub fn default_translations(usage: MessageUsage) -> &'static [(&'static str, &'static str)] {
    match usage {
        MessageUsage::Notice => &[
            ("en", NOTICE_EN),
            (
                "fr",
                "{{ application.name }} : {% if change == 'second_factor' %}la validation en deux étapes de votre compte a changé. Ce n'était pas vous ? Vérifiez : {{ revert_url }}{% else %}{% if change == 'removed' %}ce numéro a été retiré de votre compte{% else %}votre compte utilise désormais un autre numéro{% endif %}. Ce n'était pas vous ? Annulez : {{ revert_url }}{% endif %}",
            ),
            (
                "nl",
                "{{ application.name }}: {% if change == 'second_factor' %}de tweestapsverificatie van uw account is gewijzigd. Was u dit niet? Controleer: {{ revert_url }}{% else %}{% if change == 'removed' %}dit nummer is van uw account verwijderd{% else %}uw account gebruikt nu een ander telefoonnummer{% endif %}. Was u dit niet? Maak het ongedaan: {{ revert_url }}{% endif %}",
            ),
            (
                "es",
                "{{ application.name }}: {% if change == 'second_factor' %}la verificación en dos pasos de su cuenta cambió. ¿No fue usted? Revísela: {{ revert_url }}{% else %}{% if change == 'removed' %}este número se quitó de su cuenta{% else %}su cuenta usa ahora otro número{% endif %}. ¿No fue usted? Deshágalo: {{ revert_url }}{% endif %}",
            ),
            (
                "de",
                "{{ application.name }}: {% if change == 'second_factor' %}die Zwei-Schritt-Verifizierung Ihres Kontos wurde geändert. Waren Sie das nicht? Prüfen: {{ revert_url }}{% else %}{% if change == 'removed' %}diese Nummer wurde aus Ihrem Konto entfernt{% else %}Ihr Konto verwendet jetzt eine andere Telefonnummer{% endif %}. Waren Sie das nicht? Rückgängig machen: {{ revert_url }}{% endif %}",
            ),
        ],
        _ => &[],
    }
}

/// The values a template may use.
pub struct MessageVars<'a> {
    pub code: &'a str,
    pub phone_number: &'a str,
    pub application_name: &'a str,
    pub request_language: Option<&'a str>,
    pub usage: MessageUsage,
    /// Notices: the link that undoes the change ("this wasn't me").
    pub revert_url: &'a str,
    /// Notices: what happened to the number (`changed`, `removed`).
    pub change: &'a str,
}

impl MessageVars<'_> {
    fn to_object(&self) -> liquid::Object {
        liquid::object!({
            "code": self.code,
            "password": self.code,
            "phone_number": self.phone_number,
            "application": { "name": self.application_name },
            "request_language": self.request_language.unwrap_or(""),
            "usage": self.usage.as_str(),
            "revert_url": self.revert_url,
            "change": self.change,
        })
    }
}

/// Why a template was refused.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("the template does not parse: {0}")]
    Syntax(String),
    #[error("the template does not render: {0}")]
    Render(String),
    #[error("the message is {length} characters ({encoding}); at most {max} fit in 3 SMS segments")]
    TooLong {
        length: usize,
        encoding: &'static str,
        max: usize,
    },
}

/// Auth0's placeholder, as Liquid.
fn translate(source: &str) -> String {
    source.replace("@@password@@", "{{ password }}")
}

fn parser() -> anyhow::Result<liquid::Parser> {
    liquid::ParserBuilder::with_stdlib()
        .build()
        .context("building the Liquid parser")
}

/// Most segments a message template may render to.
pub const MAX_SEGMENTS: usize = 3;

/// Checks that a rendered body fits in three segments: 459 GSM-7 septets
/// (3 × 153), or 201 UCS-2 units (3 × 67) as soon as one character is
/// outside GSM-7.
pub fn check_length(body: &str) -> Result<(), TemplateError> {
    let length = sms_length(body);
    let max = SmsLength::capacity(length.encoding, MAX_SEGMENTS);
    if length.units > max {
        return Err(TemplateError::TooLong {
            length: length.units,
            encoding: length.encoding.as_str(),
            max,
        });
    }
    Ok(())
}

/// Parses a template and renders it with sample values: unknown variables
/// and filters are errors (the parser's message names the line), and the
/// sample body must fit in three segments.
pub fn validate_template(source: &str) -> Result<(), TemplateError> {
    check_length(&preview_template(source)?)
}

/// The message a template makes with sample values (a code, a number, an
/// application name), or why it cannot make one.
pub fn preview_template(source: &str) -> Result<String, TemplateError> {
    preview_template_for(source, "+447400123456", Some("en"))
}

/// The message a template makes for a given number and language, with a
/// sample code and application name.
pub fn preview_template_for(
    source: &str,
    phone_number: &str,
    language: Option<&str>,
) -> Result<String, TemplateError> {
    let parser = parser().map_err(|e| TemplateError::Syntax(e.to_string()))?;
    let template = parser
        .parse(&translate(source))
        .map_err(|e| TemplateError::Syntax(e.to_string()))?;
    let sample = MessageVars {
        code: "123456",
        phone_number,
        application_name: "Application Name",
        request_language: language,
        usage: MessageUsage::Login,
        revert_url: "https://id.example.com/account/revert/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        change: "changed",
    };
    template
        .render(&sample.to_object())
        .map_err(|e| TemplateError::Render(e.to_string()))
}

/// Every usage's templates, compiled once per change of the connection.
pub struct TemplateSet {
    /// usage → language tag → template; the language `default` is the fallback.
    templates: HashMap<MessageUsage, HashMap<String, liquid::Template>>,
}

/// The language key of a usage's default text.
pub const DEFAULT_LANGUAGE_KEY: &str = "default";

impl TemplateSet {
    /// Compiles the stored overrides (usage → language → text) over the built-in defaults.
    pub fn compile(stored: &BTreeMap<String, BTreeMap<String, String>>) -> anyhow::Result<Self> {
        let parser = parser()?;
        let mut templates = HashMap::new();
        for usage in MessageUsage::ALL {
            let mut by_language = HashMap::new();
            by_language.insert(
                DEFAULT_LANGUAGE_KEY.to_owned(),
                parser.parse(default_template(usage))?,
            );
            for (language, source) in default_translations(usage) {
                by_language.insert((*language).to_owned(), parser.parse(source)?);
            }
            if let Some(overrides) = stored.get(usage.as_str()) {
                for (language, source) in overrides {
                    let compiled = parser
                        .parse(&translate(source))
                        .with_context(|| format!("template {usage}/{language}"))?;
                    by_language.insert(language.clone(), compiled);
                }
            }
            templates.insert(usage, by_language);
        }
        Ok(Self { templates })
    }

    /// Renders the usage's message in the best language for the preference.
    pub fn render(
        &self,
        vars: &MessageVars<'_>,
        preference: &LanguagePreference,
    ) -> anyhow::Result<String> {
        let by_language = self
            .templates
            .get(&vars.usage)
            .context("no templates for this usage")?;
        let languages = by_language
            .keys()
            .map(String::as_str)
            .filter(|l| *l != DEFAULT_LANGUAGE_KEY);
        let language = negotiate(preference, languages).unwrap_or(DEFAULT_LANGUAGE_KEY);
        let template = by_language
            .get(language)
            .context("negotiated a missing template")?;
        template
            .render(&vars.to_object())
            .context("rendering a message")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(usage: MessageUsage, language: Option<&'static str>) -> MessageVars<'static> {
        MessageVars {
            code: "123456",
            phone_number: "+447400123456",
            application_name: "Shop",
            request_language: language,
            usage,
            revert_url: "",
            change: "",
        }
    }

    #[test]
    fn defaults_render_per_usage_and_the_auth0_placeholder_works() {
        let mut stored = BTreeMap::new();
        stored.insert(
            "generic".to_owned(),
            BTreeMap::from([("default".to_owned(), "Code: @@password@@".to_owned())]),
        );
        let set = TemplateSet::compile(&stored).unwrap();
        let none = LanguagePreference::default();
        assert_eq!(
            set.render(&vars(MessageUsage::Login, None), &none).unwrap(),
            "Your Shop verification code is: 123456"
        );
        assert!(
            set.render(&vars(MessageUsage::Register, None), &none)
                .unwrap()
                .starts_with("Welcome to Shop!")
        );
        assert_eq!(
            set.render(&vars(MessageUsage::Generic, None), &none)
                .unwrap(),
            "Code: 123456"
        );
    }

    #[test]
    fn auth0s_two_language_example_branches_on_request_language() {
        let source = "{% if request_language contains 'fr-FR' %}Bonjour, voici votre code : {{ code }}{% elsif request_language contains 'nl' %}Hallo, uw code is: {{ code }}{% else %}Hello, your code is: {{ code }}{% endif %}";
        validate_template(source).unwrap();
        let mut stored = BTreeMap::new();
        stored.insert(
            "login".to_owned(),
            BTreeMap::from([("default".to_owned(), source.to_owned())]),
        );
        let set = TemplateSet::compile(&stored).unwrap();
        let render = |lang: &'static str| {
            set.render(
                &vars(MessageUsage::Login, Some(lang)),
                &LanguagePreference::from_sources(Some(lang), None, None),
            )
            .unwrap()
        };
        assert_eq!(render("fr-FR"), "Bonjour, voici votre code : 123456");
        assert_eq!(render("nl-NL"), "Hallo, uw code is: 123456");
        assert_eq!(render("de"), "Hello, your code is: 123456");
    }

    #[test]
    fn per_language_overrides_fall_back_from_region_to_language_to_default() {
        let mut stored = BTreeMap::new();
        stored.insert(
            "login".to_owned(),
            BTreeMap::from([
                ("fr".to_owned(), "Votre code : {{ code }}".to_owned()),
                ("nl".to_owned(), "Uw code: {{ code }}".to_owned()),
            ]),
        );
        let set = TemplateSet::compile(&stored).unwrap();
        let render = |ui: &str| {
            set.render(
                &vars(MessageUsage::Login, None),
                &LanguagePreference::from_sources(None, Some(ui), None),
            )
            .unwrap()
        };
        assert_eq!(render("fr-CA"), "Votre code : 123456");
        assert_eq!(render("nl"), "Uw code: 123456");
        assert_eq!(render("de"), "Your Shop verification code is: 123456");
    }

    #[test]
    fn the_notice_has_defaults_in_five_languages_that_fit_three_segments() {
        let set = TemplateSet::compile(&BTreeMap::new()).unwrap();
        for lang in ["en", "fr", "nl", "es", "de"] {
            for change in ["changed", "removed", "second_factor"] {
                let body = set
                    .render(
                        &MessageVars {
                            revert_url: "https://id.example.com/account/revert/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                            change,
                            ..vars(MessageUsage::Notice, None)
                        },
                        &LanguagePreference::from_sources(None, Some(lang), None),
                    )
                    .unwrap();
                assert!(body.contains("/account/revert/"), "{lang}: {body}");
                assert_eq!(
                    body.matches("/account/revert/").count(),
                    1,
                    "{lang}: {body}"
                );
                check_length(&body).unwrap();
            }
        }
    }

    #[test]
    fn invalid_templates_are_refused_with_the_line() {
        let err = validate_template("Hello\n{% if code %}unclosed")
            .unwrap_err()
            .to_string();
        assert!(err.contains("parse"), "{err}");
        let err = validate_template("line one\nYour code: {{ nonsense }}")
            .unwrap_err()
            .to_string();
        assert!(err.contains("nonsense"), "{err}");
        let err = validate_template("{{ code | no_such_filter }}")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no_such_filter"), "{err}");
    }

    #[test]
    fn bodies_over_three_segments_are_refused() {
        assert!(validate_template(&format!("{} {{{{ code }}}}", "a".repeat(440))).is_ok());
        let err = validate_template(&format!("{} {{{{ code }}}}", "a".repeat(460))).unwrap_err();
        assert!(matches!(
            err,
            TemplateError::TooLong {
                encoding: "GSM-7",
                ..
            }
        ));
        let err = validate_template(&format!(
            "{} {{{{ code }}}}",
            "é".repeat(100) + &"ł".repeat(100)
        ))
        .unwrap_err();
        assert!(matches!(
            err,
            TemplateError::TooLong {
                encoding: "UCS-2",
                ..
            }
        ));
        assert!(check_length(&"ł".repeat(201)).is_ok());
    }
}
