//! What an email template may use.

use chrono::{DateTime, Utc};
use liquid::model::Value;

use super::defaults::factor_name;

/// A way to sign in that a notice is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FactorKind {
    Phone,
    Email,
    /// A second factor: an authenticator app (TOTP).
    AuthenticatorApp,
    /// A second factor: the set of recovery codes.
    RecoveryCodes,
}

impl FactorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Email => "email",
            Self::AuthenticatorApp => "authenticator_app",
            Self::RecoveryCodes => "recovery_codes",
        }
    }
}

/// What changed, for the `factor_*` notices. Values are masked
/// (`PhoneNumber::masked`, `EmailAddress::masked`): a notice may reach an
/// address that is no longer the user's.
#[derive(Clone, Debug)]
pub struct FactorChange {
    pub factor: FactorKind,
    /// The value before (changed, removed).
    pub old_value: Option<String>,
    /// The value after (added, changed).
    pub new_value: Option<String>,
    pub at: DateTime<Utc>,
    /// The browser and system, as in "Firefox on Linux".
    pub device: Option<String>,
    /// A coarse location: the /24 or /48 network.
    pub location: Option<String>,
    /// `/account/revert/{token}`, absolute.
    pub revert_url: Option<String>,
}

/// The values of one email. Every variable exists in every template; those
/// that do not apply to a usage are empty (false in `{% if %}`).
#[derive(Clone, Debug, Default)]
pub struct EmailVars {
    /// The one-time code (`verify_email`, `reauth`).
    pub code: Option<String>,
    /// Minutes until the code expires.
    pub expires_in_minutes: Option<u32>,
    /// What changed (`factor_added`, `factor_changed`, `factor_removed`).
    pub change: Option<FactorChange>,
    /// The account page, absolute (`{issuer}/account`).
    pub account_url: String,
}

/// The variables' names, for the error that names an unknown one.
pub const NAMES: [&str; 12] = [
    "code",
    "expires_in_minutes",
    "factor",
    "factor_name",
    "old_value",
    "new_value",
    "changed_at",
    "device",
    "location",
    "revert_url",
    "account_url",
    "language",
];

fn text(value: Option<&str>) -> Value {
    value.map_or(Value::Nil, |v| Value::scalar(v.to_owned()))
}

impl EmailVars {
    /// The Liquid values, with the factor's name in `language`.
    pub(super) fn to_object(&self, language: &str) -> liquid::Object {
        let change = self.change.as_ref();
        let mut o = liquid::Object::new();
        let mut put = |k: &str, v: Value| {
            o.insert(k.to_owned().into(), v);
        };
        put("code", text(self.code.as_deref()));
        put(
            "expires_in_minutes",
            self.expires_in_minutes
                .map_or(Value::Nil, |m| Value::scalar(i64::from(m))),
        );
        put("factor", text(change.map(|c| c.factor.as_str())));
        put(
            "factor_name",
            text(change.map(|c| factor_name(language, c.factor.as_str()))),
        );
        put(
            "old_value",
            text(change.and_then(|c| c.old_value.as_deref())),
        );
        put(
            "new_value",
            text(change.and_then(|c| c.new_value.as_deref())),
        );
        put(
            "changed_at",
            text(
                change
                    .map(|c| c.at.format("%Y-%m-%d %H:%M UTC").to_string())
                    .as_deref(),
            ),
        );
        put("device", text(change.and_then(|c| c.device.as_deref())));
        put("location", text(change.and_then(|c| c.location.as_deref())));
        put(
            "revert_url",
            text(change.and_then(|c| c.revert_url.as_deref())),
        );
        put("account_url", text(Some(&self.account_url)));
        put("language", text(Some(language)));
        o
    }
}

/// Values for checking a template: every variable set.
pub(super) fn sample() -> EmailVars {
    EmailVars {
        code: Some("123456".into()),
        expires_in_minutes: Some(10),
        change: Some(FactorChange {
            factor: FactorKind::Phone,
            old_value: Some("+44 ••••••••56".into()),
            new_value: Some("+33 •••••••78".into()),
            at: DateTime::<Utc>::UNIX_EPOCH,
            device: Some("Firefox on Linux".into()),
            location: Some("192.0.2.0/24".into()),
            revert_url: Some("https://id.example.com/account/revert/sample".into()),
        }),
        account_url: "https://id.example.com/account".into(),
    }
}
