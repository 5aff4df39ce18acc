use std::fmt;
use std::str::FromStr;

/// Why a message is sent; each has its own template (and webhook `action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageUsage {
    /// Signing in with an existing account.
    Login,
    /// The first sign-in, which creates the account.
    Register,
    /// Enrolling or changing a phone number.
    Verify,
    /// Anything else, such as a test message.
    Generic,
    /// A notice without a code: the phone number of the account changed or
    /// was removed (sent to the previous number, with a link to undo it).
    Notice,
}

impl MessageUsage {
    pub const ALL: [MessageUsage; 5] = [
        Self::Login,
        Self::Register,
        Self::Verify,
        Self::Generic,
        Self::Notice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Register => "register",
            Self::Verify => "verify",
            Self::Generic => "generic",
            Self::Notice => "notice",
        }
    }
}

impl fmt::Display for MessageUsage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MessageUsage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|u| u.as_str() == s)
            .ok_or_else(|| {
                format!("`{s}` is not a message usage (login, register, verify, generic, notice)")
            })
    }
}

/// Why an email is sent; each has its own subject and body templates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailUsage {
    /// A code that proves the user owns a new address.
    VerifyEmail,
    /// A code that confirms it is the user before a sensitive change.
    Reauth,
    /// A code that signs in to an existing account.
    SignIn,
    /// A code that signs in for the first time, creating the account.
    SignUp,
    /// A phone number, an address or another factor was added.
    FactorAdded,
    /// A factor was replaced by another.
    FactorChanged,
    /// A factor was removed.
    FactorRemoved,
}

impl EmailUsage {
    pub const ALL: [EmailUsage; 7] = [
        Self::VerifyEmail,
        Self::Reauth,
        Self::SignIn,
        Self::SignUp,
        Self::FactorAdded,
        Self::FactorChanged,
        Self::FactorRemoved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::Reauth => "reauth",
            Self::SignIn => "sign_in",
            Self::SignUp => "sign_up",
            Self::FactorAdded => "factor_added",
            Self::FactorChanged => "factor_changed",
            Self::FactorRemoved => "factor_removed",
        }
    }

    /// Whether the mail carries a code (and is worthless once it expires).
    pub fn carries_code(self) -> bool {
        matches!(
            self,
            Self::VerifyEmail | Self::Reauth | Self::SignIn | Self::SignUp
        )
    }
}

impl fmt::Display for EmailUsage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EmailUsage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|u| u.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "`{s}` is not an email usage (verify_email, reauth, sign_in, sign_up, \
                     factor_added, factor_changed, factor_removed)"
                )
            })
    }
}
