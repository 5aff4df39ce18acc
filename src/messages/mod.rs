//! SMS message templates, in Liquid, parsed once at start.

use anyhow::Context;

use crate::domain::{OtpCode, PhoneNumber};

/// The default login message; `code` and `password` are the same value.
pub const DEFAULT_LOGIN_TEMPLATE: &str =
    "Your {{ application.name }} verification code is: {{ code }}";

/// The compiled message templates.
pub struct MessageTemplates {
    login: liquid::Template,
}

impl MessageTemplates {
    pub fn new() -> anyhow::Result<Self> {
        let parser = liquid::ParserBuilder::with_stdlib()
            .build()
            .context("building the Liquid parser")?;
        Ok(Self {
            login: parser
                .parse(DEFAULT_LOGIN_TEMPLATE)
                .context("parsing the login template")?,
        })
    }

    /// The text of a login code message.
    pub fn render_login(
        &self,
        application_name: &str,
        code: &OtpCode,
        phone: &PhoneNumber,
    ) -> anyhow::Result<String> {
        let globals = liquid::object!({
            "code": code.as_str(),
            "password": code.as_str(),
            "phone_number": phone.as_str(),
            "application": { "name": application_name },
        });
        self.login
            .render(&globals)
            .context("rendering the login message")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_message_names_the_application_and_the_code() {
        let t = MessageTemplates::new().unwrap();
        let phone = PhoneNumber::parse("+447400123456", None).unwrap();
        let body = t
            .render_login("Shop", &OtpCode::parse("123456", 6).unwrap(), &phone)
            .unwrap();
        assert_eq!(body, "Your Shop verification code is: 123456");
    }
}
