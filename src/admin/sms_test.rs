//! A test message through the SMS connection: `ferrid connection sms test`
//! and the dashboard's "Send test message". It goes through the live
//! provider exactly as a code would, and reports the provider's answer.

use chrono::Utc;
use uuid::Uuid;

use super::sms_connection::{ConnectionError, outbox};
use crate::audit;
use crate::crypto::MasterKey;
use crate::domain::{MessageUsage, PhoneNumber};
use crate::messages::{LanguagePreference, MessageVars};
use crate::otp::generate_code;
use crate::sms::{ConnectionSettings, LiveConnection, SmsMessage};
use crate::store::DatabaseConnection;

/// What the provider answered to a test message.
#[derive(Debug)]
pub enum TestSendReport {
    Sent {
        provider: &'static str,
        provider_id: Option<String>,
    },
    Failed {
        provider: &'static str,
        error: String,
    },
}

/// Sends the generic template to `to` through the stored provider (the
/// CLI: the dev outbox is this database's).
pub async fn test_send(
    db: &DatabaseConnection,
    master_key: &MasterKey,
    to: &str,
) -> Result<TestSendReport, ConnectionError> {
    let phone = parse_phone(to)?;
    let (settings, _) = ConnectionSettings::load(db).await?;
    let live = LiveConnection::build(settings, master_key, outbox(db))?;
    let report = send(&live, &phone).await?;
    audit::record(
        db,
        crate::clock::Clock::now(&crate::clock::SystemClock),
        "sms.test_send",
        Some(phone.masked()),
        None,
        None,
        details(&report),
    )
    .await;
    Ok(report)
}

/// Sends the generic template to `to` through `live`, the connection the
/// running instance sends codes with; audited with the admin's id.
pub async fn test_send_as(
    db: &DatabaseConnection,
    live: &LiveConnection,
    admin: Uuid,
    to: &str,
) -> Result<TestSendReport, ConnectionError> {
    let phone = parse_phone(to)?;
    let report = send(live, &phone).await?;
    audit::record_by_admin(
        db,
        crate::clock::Clock::now(&crate::clock::SystemClock),
        admin,
        "sms.test_send",
        Some(phone.masked()),
        None,
        details(&report),
    )
    .await;
    Ok(report)
}

fn parse_phone(to: &str) -> Result<PhoneNumber, ConnectionError> {
    PhoneNumber::parse(to, None)
        .ok()
        .or_else(|| PhoneNumber::parse_e164_syntax(to))
        .ok_or_else(|| {
            ConnectionError::Invalid(format!("`{to}` is not a phone number in E.164 form"))
        })
}

fn details(report: &TestSendReport) -> serde_json::Value {
    match report {
        TestSendReport::Sent { provider, .. } => {
            serde_json::json!({ "provider": provider, "ok": true })
        }
        TestSendReport::Failed { provider, .. } => {
            serde_json::json!({ "provider": provider, "ok": false })
        }
    }
}

async fn send(
    live: &LiveConnection,
    phone: &PhoneNumber,
) -> Result<TestSendReport, ConnectionError> {
    let code = generate_code(live.settings.otp_length);
    let body = live.templates.render(
        &MessageVars {
            code: code.as_str(),
            phone_number: phone.as_str(),
            application_name: "ferrid",
            request_language: None,
            usage: MessageUsage::Generic,
            revert_url: "",
            change: "",
        },
        &LanguagePreference::default(),
    )?;
    let message = SmsMessage {
        to: phone,
        body: &body,
        code: Some(&code),
        usage: MessageUsage::Generic,
        expires_at: Utc::now() + live.settings.code_policy().ttl,
        user_id: None,
    };
    let provider = live.sender.provider();
    Ok(match live.sender.send(&message).await {
        Ok(d) => TestSendReport::Sent {
            provider,
            provider_id: d.provider_id,
        },
        Err(e) => TestSendReport::Failed {
            provider,
            error: e.to_string(),
        },
    })
}
