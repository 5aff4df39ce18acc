use std::fmt;
use std::str::FromStr;

/// How a user proved who they are at sign-in. Each method knows its RFC 8176
/// `amr` value and the `acr` it reaches, so that nothing else compares
/// method names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// A one-time code sent by SMS.
    Sms,
    /// A one-time code sent by email: a first factor of the hosted login
    /// and the passwordless API, and a re-authentication on the account page.
    Email,
    /// A code from an authenticator app (RFC 6238).
    Totp,
    /// One of the user's single-use recovery codes.
    RecoveryCode,
}

/// The `acr` of a sign-in that used two different factors.
pub const MFA_ACR: &str = "urn:ferrid:acr:mfa";

/// The `amr` value added when two different factors were used (RFC 8176).
const MFA_AMR: &str = "mfa";

impl AuthMethod {
    pub const ALL: [AuthMethod; 4] = [Self::Sms, Self::Email, Self::Totp, Self::RecoveryCode];

    /// The methods a sign-in can start with, whose `acr` values discovery
    /// advertises.
    pub const SIGN_IN: [AuthMethod; 2] = [Self::Sms, Self::Email];

    /// The method's `amr` value (RFC 8176 §2).
    pub fn amr(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            // RFC 8176 names no email method; Auth0 and Okta use `email`.
            Self::Email => "email",
            // A recovery code is a single-use code like a TOTP one: RFC
            // 8176's `otp` is the nearest registered value for both.
            Self::Totp | Self::RecoveryCode => "otp",
        }
    }

    /// The `acr` of a sign-in with this method alone.
    pub fn acr(self) -> &'static str {
        match self {
            Self::Sms => "urn:ferrid:acr:sms",
            Self::Email => "urn:ferrid:acr:email",
            Self::Totp | Self::RecoveryCode => "urn:ferrid:acr:otp",
        }
    }

    /// The `acr` values discovery advertises: each first factor's, and MFA.
    pub fn acr_values_supported() -> Vec<&'static str> {
        let mut values: Vec<_> = Self::SIGN_IN.iter().map(|m| m.acr()).collect();
        values.push(MFA_ACR);
        values
    }

    /// The method an `amr` value stands for (`otp` reads as an
    /// authenticator app); `None` for `mfa` and unknown values.
    pub fn from_amr(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.amr() == value)
    }

    /// The methods a stored `amr` claim names, `mfa` left out; `None` when a
    /// value names no method ferrid knows.
    pub fn methods_of_amr(amr: &[String]) -> Option<Vec<AuthMethod>> {
        amr.iter()
            .filter(|v| *v != MFA_AMR)
            .map(|v| Self::from_amr(v))
            .collect()
    }

    /// Whether these methods are two different factors: two methods with
    /// different `amr` values (an SMS code twice is one factor).
    pub fn is_multi_factor(methods: &[AuthMethod]) -> bool {
        methods
            .first()
            .is_some_and(|first| methods.iter().any(|m| m.amr() != first.amr()))
    }

    /// The `amr` claim of a sign-in with these methods, in order, each value
    /// once, and `mfa` when two different factors were used.
    pub fn amr_values(methods: &[AuthMethod]) -> Vec<String> {
        let mut values: Vec<String> = Vec::new();
        for m in methods {
            if !values.iter().any(|v| v == m.amr()) {
                values.push(m.amr().to_owned());
            }
        }
        if Self::is_multi_factor(methods) {
            values.push(MFA_AMR.to_owned());
        }
        values
    }

    /// The `acr` of a sign-in with these methods: MFA's when two different
    /// factors were used, else the first factor's. `None` without a method.
    pub fn acr_of(methods: &[AuthMethod]) -> Option<&'static str> {
        if Self::is_multi_factor(methods) {
            return Some(MFA_ACR);
        }
        methods.first().map(|m| m.acr())
    }

    /// The `acr` of a sign-in whose `amr` claim was stored: a refreshed
    /// token keeps the level of the sign-in it came from. `None` when a
    /// stored value names no method ferrid knows.
    pub fn acr_of_amr(amr: &[String]) -> Option<&'static str> {
        Self::acr_of(&Self::methods_of_amr(amr)?)
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
        for m in [AuthMethod::Sms, AuthMethod::Email, AuthMethod::Totp] {
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

    #[test]
    fn two_different_factors_are_mfa_and_one_factor_twice_is_not() {
        let both = [AuthMethod::Sms, AuthMethod::Totp];
        assert_eq!(AuthMethod::amr_values(&both), vec!["sms", "otp", "mfa"]);
        assert_eq!(AuthMethod::acr_of(&both), Some(MFA_ACR));
        let twice = [AuthMethod::Sms, AuthMethod::Sms];
        assert_eq!(AuthMethod::amr_values(&twice), vec!["sms"]);
        assert_eq!(AuthMethod::acr_of(&twice), Some("urn:ferrid:acr:sms"));
        let stored = AuthMethod::amr_values(&[AuthMethod::Email, AuthMethod::RecoveryCode]);
        assert_eq!(stored, vec!["email", "otp", "mfa"]);
        assert_eq!(AuthMethod::acr_of_amr(&stored), Some(MFA_ACR));
        assert_eq!(
            AuthMethod::methods_of_amr(&stored),
            Some(vec![AuthMethod::Email, AuthMethod::Totp])
        );
    }
}
