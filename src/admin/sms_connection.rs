//! Managing the SMS connection (the CLI now, the dashboard later). Changes
//! take effect at once on every instance, so everything is checked before
//! it is saved: a connection that would not work is never stored.

use std::time::Duration;

use secrecy::ExposeSecret;

use crate::audit;
use crate::config::Settings;
use crate::crypto::MasterKey;
use crate::domain::{MessageUsage, OtpCode, PhoneNumber};
use crate::messages::{LanguagePreference, TemplateError, validate_template};
use crate::sms::connection::{
    ProviderSettings, TWILIO_API, check_provider_url, seal_twilio_token, seal_webhook_secret,
};
use crate::sms::{ConnectionSettings, LiveConnection, TestNumber};

pub use super::sms_test::{TestSendReport, test_send};
use crate::store::{self, DatabaseConnection};

/// The dev outbox in this database.
pub(super) fn outbox(db: &DatabaseConnection) -> std::sync::Arc<dyn crate::sms::SmsSender> {
    store::sms_outbox::DbOutbox::sender(db.clone())
}

/// The provider asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProviderChoice {
    Outbox,
    Twilio,
    Webhook,
}

impl std::str::FromStr for ProviderChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "outbox" => Ok(Self::Outbox),
            "twilio" => Ok(Self::Twilio),
            "webhook" => Ok(Self::Webhook),
            other => Err(format!(
                "`{other}` is not a provider (outbox, twilio, webhook)"
            )),
        }
    }
}

/// Changes to make; `None` keeps the current value.
#[derive(Clone, Debug, Default)]
pub struct ConnectionChange {
    pub provider: Option<ProviderChoice>,
    pub twilio_account_sid: Option<String>,
    pub twilio_auth_token: Option<String>,
    pub twilio_messaging_service_sid: Option<String>,
    pub twilio_from: Option<String>,
    pub twilio_base_url: Option<String>,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
    pub timeout: Option<Duration>,
    pub otp_length: Option<u8>,
    pub otp_ttl: Option<Duration>,
    pub max_attempts: Option<u32>,
    pub allowed_countries: Option<Vec<String>>,
    pub test_numbers: Option<Vec<TestNumber>>,
}

/// Whether the connection may hold test numbers (fixed codes, nothing
/// sent): a back door in production, so outside dev mode only when the
/// operator allowed them (`sms.allow_test_numbers`). Start-up applies the
/// same rule to the stored connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestNumbers {
    Allowed,
    Refused,
}

impl TestNumbers {
    /// The rule the settings give.
    pub fn from_settings(settings: &Settings) -> Self {
        if settings.dev || settings.sms.allow_test_numbers {
            Self::Allowed
        } else {
            Self::Refused
        }
    }
}

/// Why a change was refused; nothing was saved.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    #[error("{0}")]
    Invalid(String),
    #[error("template {usage}/{language}: {error}")]
    Template {
        usage: MessageUsage,
        language: String,
        error: TemplateError,
    },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

fn invalid(message: impl Into<String>) -> ConnectionError {
    ConnectionError::Invalid(message.into())
}

/// The connection for display: secrets only as "set"/"not set".
pub fn describe(settings: &ConnectionSettings) -> serde_json::Value {
    let provider = match &settings.provider {
        ProviderSettings::Outbox => serde_json::json!({ "provider": "outbox" }),
        ProviderSettings::Twilio {
            account_sid,
            messaging_service_sid,
            from,
            base_url,
            timeout_secs,
            ..
        } => serde_json::json!({
            "provider": "twilio",
            "account_sid": account_sid,
            "auth_token": "set",
            "messaging_service_sid": messaging_service_sid,
            "from": from,
            "base_url": base_url,
            "timeout_secs": timeout_secs,
        }),
        ProviderSettings::Webhook {
            url, timeout_secs, ..
        } => serde_json::json!({
            "provider": "webhook",
            "url": url,
            "secret": "set",
            "timeout_secs": timeout_secs,
        }),
    };
    serde_json::json!({
        "provider": provider,
        "otp_length": settings.otp_length,
        "otp_ttl_secs": settings.otp_ttl_secs,
        "max_attempts": settings.max_attempts,
        "allowed_countries": settings.allowed_countries,
        "templates": settings.templates,
        "test_numbers": settings.test_numbers.iter().map(|t| &t.phone).collect::<Vec<_>>(),
    })
}

/// Stores the first connection unless one exists: the outbox, or the
/// provider the configuration names (`[sms]` in ferrid.toml, `FERRID_SMS__*`),
/// checked exactly as `set` checks it.
pub async fn ensure(
    db: &DatabaseConnection,
    master_key: &MasterKey,
    config: &Settings,
) -> Result<(), ConnectionError> {
    if store::settings::find(db, crate::sms::SMS_CONNECTION_KEY)
        .await
        .map_err(anyhow::Error::from)?
        .is_some()
    {
        return Ok(());
    }
    ConnectionSettings::ensure(db, config).await?;
    let sms = &config.sms;
    let provider = match sms.provider.as_str() {
        "twilio" => ProviderChoice::Twilio,
        "webhook" => ProviderChoice::Webhook,
        _ => return Ok(()),
    };
    let change = ConnectionChange {
        provider: Some(provider),
        twilio_account_sid: sms.twilio_account_sid.clone(),
        twilio_auth_token: sms
            .twilio_auth_token
            .as_ref()
            .map(|t| t.expose_secret().to_owned()),
        twilio_messaging_service_sid: sms.twilio_messaging_service_sid.clone(),
        twilio_from: sms.twilio_from.clone(),
        webhook_url: sms.webhook_url.clone(),
        webhook_secret: sms
            .webhook_secret
            .as_ref()
            .map(|t| t.expose_secret().to_owned()),
        ..ConnectionChange::default()
    };
    set(db, master_key, change, TestNumbers::from_settings(config))
        .await
        .map(|_| ())
}

/// The stored connection.
pub async fn show(db: &DatabaseConnection) -> anyhow::Result<ConnectionSettings> {
    Ok(ConnectionSettings::load(db).await?.0)
}

/// Applies a change, checks the result works, and saves it.
pub async fn set(
    db: &DatabaseConnection,
    master_key: &MasterKey,
    change: ConnectionChange,
    test_numbers: TestNumbers,
) -> Result<ConnectionSettings, ConnectionError> {
    let (mut settings, _) = ConnectionSettings::load(db).await?;
    let current_timeout = match &settings.provider {
        ProviderSettings::Twilio { timeout_secs, .. }
        | ProviderSettings::Webhook { timeout_secs, .. } => *timeout_secs,
        ProviderSettings::Outbox => 10,
    };
    let timeout_secs = change
        .timeout
        .map(|t| t.as_secs())
        .unwrap_or(current_timeout);
    if timeout_secs == 0 || timeout_secs > 60 {
        return Err(invalid("--timeout must be between 1s and 60s"));
    }
    let provider = change.provider.unwrap_or(match settings.provider {
        ProviderSettings::Outbox => ProviderChoice::Outbox,
        ProviderSettings::Twilio { .. } => ProviderChoice::Twilio,
        ProviderSettings::Webhook { .. } => ProviderChoice::Webhook,
    });
    settings.provider = match provider {
        ProviderChoice::Outbox => ProviderSettings::Outbox,
        ProviderChoice::Twilio => twilio(&settings.provider, &change, master_key, timeout_secs)?,
        ProviderChoice::Webhook => webhook(&settings.provider, &change, master_key, timeout_secs)?,
    };
    if let Some(length) = change.otp_length {
        if !(4..=10).contains(&length) {
            return Err(invalid("--otp-length must be between 4 and 10"));
        }
        settings.otp_length = length;
    }
    if let Some(ttl) = change.otp_ttl {
        if ttl.is_zero() || ttl > Duration::from_secs(3600) {
            return Err(invalid("--otp-ttl must be between 1s and 1h"));
        }
        settings.otp_ttl_secs = ttl.as_secs();
    }
    if let Some(attempts) = change.max_attempts {
        if attempts == 0 || attempts > 100 {
            return Err(invalid("--max-attempts must be between 1 and 100"));
        }
        settings.max_attempts = attempts;
    }
    if let Some(countries) = change.allowed_countries {
        let mut normalized = Vec::new();
        for c in countries
            .iter()
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| !c.is_empty())
        {
            if c.parse::<phonenumber::country::Id>().is_err() {
                return Err(invalid(format!(
                    "`{c}` is not an ISO 3166 region code like US"
                )));
            }
            normalized.push(c);
        }
        settings.allowed_countries = normalized;
    }
    if let Some(numbers) = change.test_numbers {
        settings.test_numbers = numbers;
    }
    for t in &settings.test_numbers {
        if PhoneNumber::parse_e164_syntax(&t.phone).is_none() {
            return Err(invalid(format!(
                "test number `{}` is not in E.164 form (+ and digits)",
                t.phone
            )));
        }
        if OtpCode::parse(&t.code, settings.otp_length).is_err() {
            return Err(invalid(format!(
                "the code of test number {} must be {} digits",
                t.phone, settings.otp_length
            )));
        }
    }
    if let (TestNumbers::Refused, Some(t)) = (test_numbers, settings.test_numbers.first()) {
        return Err(invalid(format!(
            "test number `{}` refused: test numbers are refused outside dev mode; \
             set sms.allow_test_numbers = true to allow them",
            t.phone
        )));
    }
    // Build it as a send would: a connection that cannot work is not saved.
    LiveConnection::build(settings.clone(), master_key, outbox(db))
        .map_err(|e| invalid(format!("the connection does not work: {e:#}")))?;
    settings.save(db).await?;
    audit::record(
        db,
        crate::clock::Clock::now(&crate::clock::SystemClock),
        "sms_connection.changed",
        None,
        None,
        None,
        serde_json::json!({ "provider": settings.provider.name(), "connection": describe(&settings) }),
    )
    .await;
    Ok(settings)
}

fn twilio(
    current: &ProviderSettings,
    change: &ConnectionChange,
    master_key: &MasterKey,
    timeout_secs: u64,
) -> Result<ProviderSettings, ConnectionError> {
    let (cur_sid, cur_token, cur_service, cur_from, cur_base) = match current {
        ProviderSettings::Twilio {
            account_sid,
            auth_token_enc,
            messaging_service_sid,
            from,
            base_url,
            ..
        } => (
            Some(account_sid.clone()),
            Some(auth_token_enc.clone()),
            messaging_service_sid.clone(),
            from.clone(),
            Some(base_url.clone()),
        ),
        _ => (None, None, None, None, None),
    };
    let account_sid = change
        .twilio_account_sid
        .clone()
        .or(cur_sid)
        .ok_or_else(|| {
            invalid("Twilio needs an Account SID (--twilio-account-sid, sms.twilio_account_sid)")
        })?;
    if !(account_sid.starts_with("AC") && account_sid.len() == 34) {
        return Err(invalid(format!(
            "`{account_sid}` is not a Twilio Account SID (AC followed by 32 characters)"
        )));
    }
    let auth_token_enc = match &change.twilio_auth_token {
        Some(token) if token.len() >= 16 => seal_twilio_token(master_key, token)?,
        Some(_) => return Err(invalid("the Twilio auth token is too short")),
        None => cur_token.ok_or_else(|| {
            invalid("Twilio needs an auth token (--twilio-auth-token, sms.twilio_auth_token)")
        })?,
    };
    let (messaging_service_sid, from) =
        match (&change.twilio_messaging_service_sid, &change.twilio_from) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "give either --twilio-messaging-service-sid or --twilio-from, not both",
                ));
            }
            (Some(sid), None) => (Some(sid.clone()), None),
            (None, Some(from)) => (None, Some(from.clone())),
            (None, None) => (cur_service, cur_from),
        };
    if let Some(sid) = &messaging_service_sid
        && !(sid.starts_with("MG") && sid.len() == 34)
    {
        return Err(invalid(format!(
            "`{sid}` is not a Messaging Service SID (MG followed by 32 characters)"
        )));
    }
    if let Some(from) = &from
        && PhoneNumber::parse_e164_syntax(from).is_none()
    {
        return Err(invalid(format!(
            "the From number `{from}` is not in E.164 form"
        )));
    }
    if messaging_service_sid.is_none() && from.is_none() {
        return Err(invalid(
            "Twilio needs a Messaging Service SID or a From number (--twilio-messaging-service-sid or --twilio-from)",
        ));
    }
    let base_url = change
        .twilio_base_url
        .clone()
        .or(cur_base)
        .unwrap_or_else(|| TWILIO_API.to_owned());
    check_provider_url(&base_url).map_err(|e| invalid(format!("the Twilio base URL {e}")))?;
    Ok(ProviderSettings::Twilio {
        account_sid,
        auth_token_enc,
        messaging_service_sid,
        from,
        base_url,
        timeout_secs,
    })
}

fn webhook(
    current: &ProviderSettings,
    change: &ConnectionChange,
    master_key: &MasterKey,
    timeout_secs: u64,
) -> Result<ProviderSettings, ConnectionError> {
    let (cur_url, cur_secret) = match current {
        ProviderSettings::Webhook {
            url, secret_enc, ..
        } => (Some(url.clone()), Some(secret_enc.clone())),
        _ => (None, None),
    };
    let url = change
        .webhook_url
        .clone()
        .or(cur_url)
        .ok_or_else(|| invalid("the webhook needs a URL (--webhook-url, sms.webhook_url)"))?;
    check_provider_url(&url).map_err(|e| invalid(format!("the webhook URL {e}")))?;
    let secret_enc = match &change.webhook_secret {
        Some(secret) => seal_webhook_secret(master_key, secret)
            .map_err(|e| invalid(format!("the webhook secret: {e}")))?,
        None => cur_secret.ok_or_else(|| {
            invalid("the webhook needs a signing secret (--webhook-secret, sms.webhook_secret)")
        })?,
    };
    Ok(ProviderSettings::Webhook {
        url,
        secret_enc,
        timeout_secs,
    })
}

/// [`set`] by a client of the management API, audited with the client.
pub async fn set_by(
    db: &DatabaseConnection,
    master_key: &MasterKey,
    by: &crate::domain::ClientId,
    change: ConnectionChange,
    test_numbers: TestNumbers,
) -> Result<ConnectionSettings, ConnectionError> {
    let settings = set(db, master_key, change, test_numbers).await?;
    audit::record_by_client(
        db,
        crate::clock::Clock::now(&crate::clock::SystemClock),
        by.as_str(),
        "admin.sms_connection.changed",
        None,
        None,
        serde_json::json!({}),
    )
    .await;
    Ok(settings)
}

/// Validates and stores a template for a usage and language (`None`: the default text).
pub async fn set_template(
    db: &DatabaseConnection,
    usage: MessageUsage,
    language: Option<&str>,
    source: &str,
) -> Result<(), ConnectionError> {
    let language = language
        .unwrap_or(crate::messages::DEFAULT_LANGUAGE_KEY)
        .to_owned();
    if language != crate::messages::DEFAULT_LANGUAGE_KEY
        && LanguagePreference::from_sources(Some(&language), None, None).first()
            != Some(language.as_str())
    {
        return Err(invalid(format!(
            "`{language}` is not a language tag like fr or fr-FR"
        )));
    }
    validate_template(source).map_err(|error| ConnectionError::Template {
        usage,
        language: language.clone(),
        error,
    })?;
    let (mut settings, _) = ConnectionSettings::load(db).await?;
    settings
        .templates
        .entry(usage.as_str().to_owned())
        .or_default()
        .insert(language.clone(), source.to_owned());
    settings.save(db).await?;
    audit::record(
        db,
        crate::clock::Clock::now(&crate::clock::SystemClock),
        "sms_connection.template_changed",
        None,
        None,
        None,
        serde_json::json!({ "usage": usage, "language": language }),
    )
    .await;
    Ok(())
}

/// [`set`] by an admin in the dashboard, audited with the admin's id.
pub async fn set_as(
    db: &DatabaseConnection,
    master_key: &MasterKey,
    admin: uuid::Uuid,
    change: ConnectionChange,
    test_numbers: TestNumbers,
) -> Result<ConnectionSettings, ConnectionError> {
    let settings = set(db, master_key, change, test_numbers).await?;
    audit::record_by_admin(
        db,
        crate::clock::Clock::now(&crate::clock::SystemClock),
        admin,
        "admin.sms_connection.changed",
        None,
        None,
        serde_json::json!({ "provider": settings.provider.name() }),
    )
    .await;
    Ok(settings)
}
