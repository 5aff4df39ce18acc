use std::fmt;

use phonenumber::{Mode, PhoneNumber as Parsed, country};

/// Why text is not a phone number we can send to.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("enter a phone number in international format, starting with + and the country code")]
    NeedsCountryCode,
    #[error("this is not a valid phone number")]
    Invalid,
}

/// The kind of line a number is: SMS goes only to mobiles (when known).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    Mobile,
    Unknown,
    /// A type that cannot receive SMS or invites pumping fraud, named.
    NoSms(&'static str),
}

/// A phone number in E.164 form (`+447400123456`), parsed with
/// libphonenumber's metadata and checked to be a valid number.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses what a person typed. Without a leading `+`, `default_region`
    /// (ISO 3166, such as `GB`) says which country it is in.
    pub fn parse(raw: &str, default_region: Option<&str>) -> Result<Self, PhoneError> {
        let text = raw.trim();
        if text.is_empty() || text.len() > 40 {
            return Err(PhoneError::Invalid);
        }
        let region = default_region.and_then(|r| r.parse::<country::Id>().ok());
        if !text.starts_with('+') && !text.starts_with("00") && region.is_none() {
            return Err(PhoneError::NeedsCountryCode);
        }
        let parsed: Parsed = phonenumber::parse(region, text).map_err(|_| PhoneError::Invalid)?;
        if !phonenumber::is_valid(&parsed) {
            return Err(PhoneError::Invalid);
        }
        Ok(Self(parsed.format().mode(Mode::E164).to_string()))
    }

    /// Accepts `+` and 7–15 digits (spaces and dashes ignored) without the
    /// validity check: operator-configured test numbers are often fictional.
    pub fn parse_e164_syntax(raw: &str) -> Option<Self> {
        let compact: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        let digits = compact.strip_prefix('+')?;
        let ok = (7..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        ok.then_some(Self(compact))
    }

    /// The ISO 3166 region the number belongs to, when known.
    pub fn region(&self) -> Option<String> {
        let parsed = phonenumber::parse(None, &self.0).ok()?;
        parsed.country().id().map(|id| format!("{id:?}"))
    }

    /// What kind of line this is, as far as libphonenumber's data tells.
    pub fn line_kind(&self) -> LineKind {
        use phonenumber::Type;
        let Ok(parsed) = phonenumber::parse(None, &self.0) else {
            return LineKind::Unknown;
        };
        match parsed.number_type(&phonenumber::metadata::DATABASE) {
            Type::Mobile | Type::FixedLineOrMobile | Type::PersonalNumber => LineKind::Mobile,
            Type::Unknown => LineKind::Unknown,
            Type::PremiumRate => LineKind::NoSms("premium-rate"),
            Type::FixedLine => LineKind::NoSms("landline"),
            Type::TollFree => LineKind::NoSms("toll-free"),
            Type::SharedCost => LineKind::NoSms("shared-cost"),
            Type::Voip => LineKind::NoSms("VoIP"),
            Type::Pager => LineKind::NoSms("pager"),
            _ => LineKind::NoSms("non-mobile"),
        }
    }

    /// Accepts any E.164-shaped string without the validity check: for
    /// values ferrid wrote itself (read back from storage).
    pub fn from_trusted_e164(e164: &str) -> Self {
        Self(e164.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The country calling code (`+44`), for counting sends per country.
    pub fn country_prefix(&self) -> String {
        self.0.chars().take(1 + country_code_len(&self.0)).collect()
    }

    /// The country calling code and the first three digits of the national
    /// number (`+44740`, `+1650`): roughly one operator's number range, the
    /// unit SMS pumping works on (fraudsters own blocks of numbers), narrow
    /// enough that throttling it leaves the country's other ranges alone.
    /// It never identifies a subscriber, so it may be logged.
    pub fn range_prefix(&self) -> String {
        self.0
            .chars()
            .take(1 + country_code_len(&self.0) + 3)
            .collect()
    }

    /// The number with all but the last two digits hidden (`+44 ••••••••56`),
    /// for pages and logs.
    pub fn masked(&self) -> String {
        let digits: Vec<char> = self.0.chars().skip(1).collect();
        let shown = digits.len().saturating_sub(2);
        let cc_len = country_code_len(&self.0).min(shown);
        let mut out = String::from("+");
        out.extend(&digits[..cc_len]);
        out.push(' ');
        out.extend(std::iter::repeat_n('•', shown - cc_len));
        out.extend(&digits[shown..]);
        out
    }
}

/// The length of the number's country calling code. Calling codes are a
/// prefix code (no code starts another), so the first of the 1-, 2- and
/// 3-digit prefixes that libphonenumber's metadata knows is the code: a
/// table lookup, where a full parse would run the metadata's patterns
/// behind the crate's process-wide regex cache lock.
fn country_code_len(e164: &str) -> usize {
    let digits = e164.strip_prefix('+').unwrap_or(e164);
    (1..=3)
        .find(|&len| {
            digits
                .get(..len)
                .and_then(|prefix| prefix.parse::<u16>().ok())
                .is_some_and(|code| phonenumber::metadata::DATABASE.by_code(&code).is_some())
        })
        .unwrap_or(1)
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PhoneNumber {
    // Never the full number in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn international_numbers_become_e164() {
        assert_eq!(
            PhoneNumber::parse("+44 7400 123456", None)
                .unwrap()
                .as_str(),
            "+447400123456"
        );
        assert_eq!(
            PhoneNumber::parse("+33 6 12 34 56 78", None)
                .unwrap()
                .as_str(),
            "+33612345678"
        );
    }

    #[test]
    fn national_numbers_need_a_default_region() {
        assert_eq!(
            PhoneNumber::parse("07400 123456", None),
            Err(PhoneError::NeedsCountryCode)
        );
        assert_eq!(
            PhoneNumber::parse("07400 123456", Some("GB"))
                .unwrap()
                .as_str(),
            "+447400123456"
        );
    }

    #[test]
    fn invalid_and_fictional_numbers_are_refused() {
        assert_eq!(
            PhoneNumber::parse("+44 7700 900123", None),
            Err(PhoneError::Invalid)
        );
        assert_eq!(
            PhoneNumber::parse("+1 555 0100", None),
            Err(PhoneError::Invalid)
        );
        assert_eq!(
            PhoneNumber::parse("not a number", None),
            Err(PhoneError::NeedsCountryCode)
        );
        assert_eq!(PhoneNumber::parse("+12", None), Err(PhoneError::Invalid));
    }

    #[test]
    fn regions_and_line_kinds_are_known() {
        let mobile = PhoneNumber::parse("+447400123456", None).unwrap();
        assert_eq!(mobile.region().as_deref(), Some("GB"));
        assert_eq!(mobile.line_kind(), LineKind::Mobile);
        assert_eq!(
            PhoneNumber::parse("+33612345678", None)
                .unwrap()
                .region()
                .as_deref(),
            Some("FR")
        );
        let premium = PhoneNumber::parse("+449098790000", None).unwrap();
        assert_eq!(premium.line_kind(), LineKind::NoSms("premium-rate"));
        let landline = PhoneNumber::parse("+442079460000", None).unwrap();
        assert_eq!(landline.line_kind(), LineKind::NoSms("landline"));
    }

    #[test]
    fn test_numbers_parse_by_syntax_only() {
        assert_eq!(
            PhoneNumber::parse_e164_syntax("+1 555 555 0100")
                .unwrap()
                .as_str(),
            "+15555550100"
        );
        assert!(PhoneNumber::parse_e164_syntax("15555550100").is_none());
        assert!(PhoneNumber::parse_e164_syntax("+1555").is_none());
    }

    #[test]
    fn masking_keeps_country_code_and_last_two_digits() {
        let p = PhoneNumber::parse("+447400123456", None).unwrap();
        assert_eq!(p.masked(), "+44 ••••••••56");
        assert!(!format!("{p:?}").contains("7400123"));
    }

    #[test]
    fn the_country_code_is_found_without_parsing_for_1_2_and_3_digit_codes() {
        for (number, prefix, range) in [
            ("+16505551234", "+1", "+1650"),
            ("+79161234567", "+7", "+7916"),
            ("+447400123456", "+44", "+44740"),
            ("+8613812345678", "+86", "+86138"),
            ("+353871234567", "+353", "+353871"),
            ("+971501234567", "+971", "+971501"),
        ] {
            let phone = PhoneNumber::parse(number, None).unwrap();
            let parsed = phonenumber::parse(None, number).unwrap();
            assert_eq!(
                country_code_len(number),
                parsed.code().value().to_string().len(),
                "{number}"
            );
            assert_eq!(phone.country_prefix(), prefix);
            assert_eq!(phone.range_prefix(), range);
        }
    }
}
