use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use super::{Connection, Factor};

mod validate;

pub use validate::PolicyProblem;

/// Whether a sign-in asks for a second factor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MfaMode {
    /// Never (unless the client requires it or the request steps up).
    Off,
    /// When the user has enrolled a second factor.
    Optional,
    /// Always; a user without a second factor enrolls one first.
    Required,
}

impl MfaMode {
    pub const ALL: [MfaMode; 3] = [Self::Off, Self::Optional, Self::Required];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Optional => "optional",
            Self::Required => "required",
        }
    }
}

impl fmt::Display for MfaMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MfaMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not an MFA mode (off, optional, required)"))
    }
}

impl serde::Serialize for MfaMode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for MfaMode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// How users sign in: which first factors the hosted login offers, whether
/// a new recipient gets an account, and when a second factor is asked for.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignInPolicy {
    /// The codes that can start a sign-in (SMS, email); at least one.
    pub first_factors: BTreeSet<Connection>,
    /// Whether a verified recipient without an account gets one.
    pub signup: bool,
    pub mfa: MfaMode,
    /// The factors a user may prove as the second one.
    pub second_factors: BTreeSet<Factor>,
    /// One account per phone number. May be off only while SMS is not a
    /// first factor; each account then verifies the number on its own.
    pub unique_phone: bool,
}

impl SignInPolicy {
    /// The policy of a new installation: SMS sign-in, MFA off, every
    /// second factor allowed, one account per number; `signup` from the
    /// settings (`login.signup`).
    pub fn seeded(signup: bool) -> Self {
        Self {
            first_factors: BTreeSet::from([Connection::Sms]),
            signup,
            mfa: MfaMode::Off,
            second_factors: Factor::ALL.into_iter().collect(),
            unique_phone: true,
        }
    }
}
