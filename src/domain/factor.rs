use std::fmt;
use std::str::FromStr;

use super::AuthMethod;

/// A factor that can prove a user a second time: after the first factor of
/// a sign-in, or before a sensitive action (step-up).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Factor {
    /// A code from an authenticator app (RFC 6238).
    Totp,
    /// A code by SMS to the user's verified phone.
    Sms,
    /// A code by email to the user's verified address.
    Email,
    /// One of the user's single-use recovery codes.
    RecoveryCode,
}

impl Factor {
    pub const ALL: [Factor; 4] = [Self::Totp, Self::Sms, Self::Email, Self::RecoveryCode];

    /// The factor's name, as the policy, the CLI and the pages spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::Sms => "sms",
            Self::Email => "email",
            Self::RecoveryCode => "recovery_code",
        }
    }

    /// The sign-in method proving this factor is.
    pub fn method(self) -> AuthMethod {
        match self {
            Self::Totp => AuthMethod::Totp,
            Self::Sms => AuthMethod::Sms,
            Self::Email => AuthMethod::Email,
            Self::RecoveryCode => AuthMethod::RecoveryCode,
        }
    }

    /// Whether `methods` already proved this factor: a factor never counts
    /// twice (the phone that sent the first code cannot be the second).
    pub fn proved_by(self, methods: &[AuthMethod]) -> bool {
        methods.iter().any(|m| m.amr() == self.method().amr())
    }
}

impl fmt::Display for Factor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Factor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<_> = Self::ALL.iter().map(|f| f.as_str()).collect();
                format!("`{s}` is not a second factor ({})", known.join(", "))
            })
    }
}

impl serde::Serialize for Factor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Factor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_factor_round_trips_through_its_name() {
        for f in Factor::ALL {
            assert_eq!(f.as_str().parse::<Factor>(), Ok(f));
        }
        assert!("TOTP".parse::<Factor>().is_err());
    }
}
