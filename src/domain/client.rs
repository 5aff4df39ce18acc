use std::fmt;
use std::str::FromStr;

/// A client's public identifier: 1–128 characters of `A-Z a-z 0-9 . _ -`.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClientId(String);

impl ClientId {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = (1..=128).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!(
                "`{}` is not a client id (1-128 characters of letters, digits, `.`, `_`, `-`)",
                raw.chars().take(64).collect::<String>()
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Ids under `ferrid.` name ferrid's own built-in clients (the account
    /// area, the dashboard): nobody registers, changes or deletes them.
    pub fn is_reserved(&self) -> bool {
        self.0.starts_with(RESERVED_PREFIX)
    }
}

/// The prefix of the built-in clients' ids.
pub const RESERVED_PREFIX: &str = "ferrid.";

impl AsRef<str> for ClientId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

// A client id is written into logs, audit rows and messages as text; the
// coercion to `&str` keeps those call sites free of conversions.
impl std::ops::Deref for ClientId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ClientId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ClientId> for String {
    fn from(value: ClientId) -> Self {
        value.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientId({})", self.0)
    }
}

/// An application's display name: 1–100 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ClientName(String);

impl ClientName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err("the client name is empty".into());
        }
        if trimmed.chars().count() > 100 {
            return Err("the client name is longer than 100 characters".into());
        }
        if trimmed.chars().any(char::is_control) {
            return Err("the client name contains control characters".into());
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ClientName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// RFC 6749 §2.1: a confidential client can keep a secret; a public one cannot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientType {
    Confidential,
    Public,
}

impl ClientType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confidential => "confidential",
            Self::Public => "public",
        }
    }
}

impl FromStr for ClientType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "confidential" => Ok(Self::Confidential),
            "public" => Ok(Self::Public),
            other => Err(format!("`{other}` is not a client type")),
        }
    }
}

/// The grant type URI of Auth0's passwordless OTP grant.
pub const PASSWORDLESS_OTP_GRANT: &str = "http://auth0.com/oauth/grant-type/passwordless/otp";

/// The OAuth grants a client may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum GrantType {
    #[serde(rename = "authorization_code")]
    AuthorizationCode,
    #[serde(rename = "refresh_token")]
    RefreshToken,
    #[serde(rename = "client_credentials")]
    ClientCredentials,
    /// Auth0's passwordless OTP grant, for apps with their own sign-in UI.
    #[serde(rename = "http://auth0.com/oauth/grant-type/passwordless/otp")]
    PasswordlessOtp,
}

impl GrantType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
            Self::PasswordlessOtp => PASSWORDLESS_OTP_GRANT,
        }
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GrantType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "authorization_code" => Ok(Self::AuthorizationCode),
            "refresh_token" => Ok(Self::RefreshToken),
            "client_credentials" => Ok(Self::ClientCredentials),
            PASSWORDLESS_OTP_GRANT | "passwordless_otp" => Ok(Self::PasswordlessOtp),
            other => Err(format!(
                "`{other}` is not a grant type (authorization_code, refresh_token, client_credentials, passwordless_otp)"
            )),
        }
    }
}

/// A web origin allowed to call ferrid from a browser (CORS): scheme, host, port.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Origin(String);

impl Origin {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = url::Url::parse(raw)
            .map_err(|_| format!("`{raw}` is not an origin like https://app.example.com"))?;
        let origin = url.origin().ascii_serialization();
        if origin == "null" || raw.trim_end_matches('/') != origin {
            return Err(format!(
                "`{raw}` is not an origin like https://app.example.com (no path)"
            ));
        }
        Ok(Self(origin))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_restricted_to_safe_characters() {
        assert!(ClientId::parse("demo").is_ok());
        assert!(ClientId::parse("a.b_c-9").is_ok());
        assert!(ClientId::parse("").is_err());
        assert!(ClientId::parse("has space").is_err());
        assert!(ClientId::parse(&"x".repeat(129)).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(ClientName::parse("  My App ").unwrap().as_str(), "My App");
        assert!(ClientName::parse("   ").is_err());
        assert!(ClientName::parse(&"x".repeat(101)).is_err());
    }

    #[test]
    fn grant_types_round_trip() {
        for g in [
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::ClientCredentials,
        ] {
            assert_eq!(g.as_str().parse::<GrantType>().unwrap(), g);
        }
        assert!("password".parse::<GrantType>().is_err());
    }

    #[test]
    fn origins_have_no_path() {
        assert_eq!(
            Origin::parse("https://app.example.com").unwrap().as_str(),
            "https://app.example.com"
        );
        assert!(Origin::parse("https://app.example.com/path").is_err());
    }
}
