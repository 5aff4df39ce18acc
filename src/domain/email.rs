use std::fmt;

use email_address::Options;

/// Why text is not an email address ferrid sends to.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("enter an email address like name@example.com")]
    Invalid,
    #[error("an email address has at most {MAX_LENGTH} characters")]
    TooLong,
}

/// RFC 5321 §4.5.3.1.3: a path is at most 256 octets, angle brackets
/// included, so an address is at most 254.
const MAX_LENGTH: usize = 254;

/// An email address (`name@example.com`): the bare address of RFC 5322
/// §3.4.1, without display name or domain literal, the domain lowercased
/// (domains are case-insensitive; the local part is the receiving server's
/// business, so it is kept as typed).
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses what a person typed.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let text = raw.trim();
        if text.len() > MAX_LENGTH {
            return Err(EmailError::TooLong);
        }
        let options = Options::default()
            .without_display_text()
            .without_domain_literal()
            .with_required_tld();
        let parsed = email_address::EmailAddress::parse_with_options(text, options)
            .map_err(|_| EmailError::Invalid)?;
        let domain = parsed.domain().to_ascii_lowercase();
        Ok(Self(format!("{}@{domain}", parsed.local_part())))
    }

    /// For values ferrid wrote itself (read back from storage).
    pub fn from_trusted(address: &str) -> Self {
        Self(address.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The domain part.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }

    /// The first character of the local part and the whole domain
    /// (`a•••@example.com`), for pages and logs.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or((&self.0, ""));
        let first: String = local.chars().take(1).collect();
        format!("{first}•••@{domain}")
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for EmailAddress {
    // Never the full address in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_with_the_domain_lowercased() {
        let a = EmailAddress::parse("  Ada.Lovelace@Example.COM ").unwrap();
        assert_eq!(a.as_str(), "Ada.Lovelace@example.com");
        assert_eq!(a.domain(), "example.com");
        assert_eq!(
            EmailAddress::parse("x+tag@mail.example.fr")
                .unwrap()
                .as_str(),
            "x+tag@mail.example.fr"
        );
    }

    #[test]
    fn display_names_literals_and_nonsense_are_refused() {
        for bad in [
            "Ada <ada@example.com>",
            "ada@[192.0.2.1]",
            "ada",
            "ada@",
            "@example.com",
            "ada@@example.com",
            "ada@localhost",
            "",
            "ada lovelace@example.com",
        ] {
            assert_eq!(EmailAddress::parse(bad), Err(EmailError::Invalid), "{bad}");
        }
    }

    #[test]
    fn over_long_addresses_are_refused() {
        let local = "a".repeat(65);
        assert_eq!(
            EmailAddress::parse(&format!("{local}@example.com")),
            Err(EmailError::Invalid)
        );
        let domain = format!("{}.example.com", vec!["b".repeat(60); 4].join("."));
        assert_eq!(
            EmailAddress::parse(&format!("ada@{domain}")),
            Err(EmailError::TooLong)
        );
    }

    #[test]
    fn masking_keeps_the_first_character_and_the_domain() {
        let a = EmailAddress::parse("ada@example.com").unwrap();
        assert_eq!(a.masked(), "a•••@example.com");
        assert!(!format!("{a:?}").contains("ada@"));
    }
}
