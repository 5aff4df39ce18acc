use std::fmt;
use std::str::FromStr;

use super::AuthMethod;

/// A way of signing in that an application can enable (Auth0's
/// connections): the `connection` of `/passwordless/start`, the `realm` of
/// the OTP grant, and a client's enabled connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Connection {
    /// A one-time code by SMS.
    Sms,
    /// A one-time code by email.
    Email,
}

impl Connection {
    /// The connections an application can enable (and that parse).
    pub const ALL: [Connection; 2] = [Self::Sms, Self::Email];

    /// The connection's name, as applications and the CLI spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Email => "email",
        }
    }

    /// The sign-in method a code through this connection proves.
    pub fn method(self) -> AuthMethod {
        match self {
            Self::Sms => AuthMethod::Sms,
            Self::Email => AuthMethod::Email,
        }
    }
}

impl AsRef<str> for Connection {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Connection {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<_> = Self::ALL.iter().map(|c| c.as_str()).collect();
                format!("`{s}` is not a connection ({})", known.join(", "))
            })
    }
}

impl serde::Serialize for Connection {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Connection {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sms_and_email_parse_and_nothing_else_does() {
        assert_eq!("sms".parse::<Connection>(), Ok(Connection::Sms));
        assert_eq!("email".parse::<Connection>(), Ok(Connection::Email));
        assert!("SMS".parse::<Connection>().is_err());
        assert!("".parse::<Connection>().is_err());
        assert_eq!(
            "x".parse::<Connection>().unwrap_err(),
            "`x` is not a connection (sms, email)"
        );
    }

    #[test]
    fn every_connection_round_trips_and_names_its_method() {
        for c in Connection::ALL {
            assert_eq!(c.as_str().parse::<Connection>(), Ok(c));
            assert_eq!(c.to_string(), c.as_str());
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(serde_json::from_str::<Connection>(&json).unwrap(), c);
        }
        assert_eq!(Connection::Sms.method(), AuthMethod::Sms);
        assert_eq!(Connection::Email.method(), AuthMethod::Email);
    }
}
