use std::fmt;
use std::str::FromStr;

/// How a user proved who they are at sign-in. Each method knows its RFC 8176
/// `amr` value and the `acr` it reaches, so that nothing else compares
/// method names. Email codes, TOTP and recovery codes join as variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// A one-time code sent by SMS.
    Sms,
    /// A one-time code sent by email: a first factor of the hosted login
    /// and the passwordless API, and a re-authentication on the account page.
    Email,
}

impl AuthMethod {
    pub const ALL: [AuthMethod; 2] = [Self::Sms, Self::Email];

    /// The methods a sign-in can use today, whose `acr` values discovery
    /// advertises.
    pub const SIGN_IN: [AuthMethod; 2] = [Self::Sms, Self::Email];

    /// The method's `amr` value (RFC 8176 §2).
    pub fn amr(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            // RFC 8176 names no email method; Auth0 and Okta use `email`.
            Self::Email => "email",
        }
    }

    /// The `acr` of a sign-in with this method alone.
    pub fn acr(self) -> &'static str {
        match self {
            Self::Sms => "urn:ferrid:acr:sms",
            Self::Email => "urn:ferrid:acr:email",
        }
    }

    /// The method an `amr` value stands for.
    pub fn from_amr(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.amr() == value)
    }

    /// The `amr` claim of a sign-in with these methods, in order.
    pub fn amr_values(methods: &[AuthMethod]) -> Vec<String> {
        methods.iter().map(|m| m.amr().to_owned()).collect()
    }

    /// The `acr` of a sign-in with these methods: the first factor's level,
    /// until second factors define a stronger one. `None` without a method.
    pub fn acr_of(methods: &[AuthMethod]) -> Option<&'static str> {
        methods.first().map(|m| m.acr())
    }

    /// The `acr` of a sign-in whose `amr` claim was stored: a refreshed
    /// token keeps the level of the sign-in it came from. `None` when a
    /// stored value names no method ferrid knows.
    pub fn acr_of_amr(amr: &[String]) -> Option<&'static str> {
        let methods = amr
            .iter()
            .map(|v| Self::from_amr(v))
            .collect::<Option<Vec<_>>>()?;
        Self::acr_of(&methods)
    }
}

impl AsRef<str> for AuthMethod {
    fn as_ref(&self) -> &str {
        self.amr()
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.amr())
    }
}

impl FromStr for AuthMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_amr(s).ok_or_else(|| format!("`{s}` is not a sign-in method ferrid knows"))
    }
}

impl serde::Serialize for AuthMethod {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.amr())
    }
}

impl<'de> serde::Deserialize<'de> for AuthMethod {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_sms_code_is_the_rfc_8176_sms_method() {
        assert_eq!(AuthMethod::Sms.amr(), "sms");
        assert_eq!(AuthMethod::from_amr("sms"), Some(AuthMethod::Sms));
        assert_eq!("sms".parse::<AuthMethod>(), Ok(AuthMethod::Sms));
        assert!("SMS".parse::<AuthMethod>().is_err());
        assert!("pwd".parse::<AuthMethod>().is_err());
    }

    #[test]
    fn every_method_round_trips_through_its_amr_value() {
        for m in AuthMethod::ALL {
            assert_eq!(AuthMethod::from_amr(m.amr()), Some(m));
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(json, format!("\"{}\"", m.amr()));
            assert_eq!(serde_json::from_str::<AuthMethod>(&json).unwrap(), m);
        }
    }

    #[test]
    fn the_acr_comes_from_the_methods_used() {
        assert_eq!(AuthMethod::Sms.acr(), "urn:ferrid:acr:sms");
        assert_eq!(
            AuthMethod::acr_of(&[AuthMethod::Sms]),
            Some("urn:ferrid:acr:sms")
        );
        assert_eq!(AuthMethod::acr_of(&[]), None);
        assert_eq!(AuthMethod::amr_values(&[AuthMethod::Sms]), vec!["sms"]);
    }

    #[test]
    fn a_stored_amr_gives_back_its_acr_unless_a_value_is_unknown() {
        assert_eq!(
            AuthMethod::acr_of_amr(&["sms".to_owned()]),
            Some("urn:ferrid:acr:sms")
        );
        assert_eq!(
            AuthMethod::acr_of_amr(&["sms".to_owned(), "x".to_owned()]),
            None
        );
        assert_eq!(AuthMethod::acr_of_amr(&[]), None);
    }
}
