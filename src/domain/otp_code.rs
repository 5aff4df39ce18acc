use std::fmt;

/// A one-time code as typed: digits only, spaces and dashes ignored, of the
/// configured length. Its `Debug` never shows the digits.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpCode(String);

impl OtpCode {
    pub fn parse(raw: &str, length: u8) -> Result<Self, String> {
        let digits: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if digits.len() == usize::from(length) && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(digits))
        } else {
            Err(format!("enter the {length}-digit code from the message"))
        }
    }

    /// Wraps digits ferrid generated itself.
    pub fn from_generated(digits: String) -> Self {
        Self(digits)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpCode(REDACTED)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_digits_of_the_right_length() {
        assert_eq!(OtpCode::parse(" 123 456 ", 6).unwrap().as_str(), "123456");
        assert_eq!(OtpCode::parse("123-456", 6).unwrap().as_str(), "123456");
        assert!(OtpCode::parse("12345", 6).is_err());
        assert!(OtpCode::parse("12345a", 6).is_err());
        assert!(!format!("{:?}", OtpCode::parse("123456", 6).unwrap()).contains("123456"));
    }
}
