use super::LoginTransaction;
use crate::app::AppState;
use crate::audit;
use crate::domain::{LineKind, MessageUsage, PhoneError, PhoneNumber};
use crate::messages::{LanguagePreference, MessageVars};
use crate::otp::{CodeSource, IssueError, IssueRequest, Issued, Purpose};
use crate::sms::LiveConnection;
use crate::sms::{SmsError, SmsMessage};
use crate::store;

/// What became of a request for a code.
#[derive(Debug)]
pub enum SendCodeOutcome {
    Sent {
        phone: PhoneNumber,
    },
    InvalidPhone(PhoneError),
    /// A rule stopped it; the reason never says whether an account exists.
    Refused(Refusal),
    /// The provider failed; the user may try again or use another number.
    NotDelivered,
    /// The transaction has no challenge to resend.
    NoChallenge,
}

/// Why no code was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The number's country is not in the connection's allow-list.
    Country,
    /// A line that cannot receive SMS (named: premium-rate, landline …).
    LineKind(&'static str),
    PhoneLimit,
    /// The client's address or its network sent too many.
    NetworkLimit,
    /// Sending is paused: the global ceiling was reached.
    Ceiling,
    /// Seconds before a new code may be requested.
    Cooldown(u64),
}

impl Refusal {
    /// A rule about the number (400) rather than a limit (429).
    pub fn is_about_the_number(self) -> bool {
        matches!(self, Self::Country | Self::LineKind(_))
    }
}

/// A number that passed the connection's rules, and where its code comes from.
pub(crate) struct Recipient<'a> {
    pub phone: PhoneNumber,
    pub source: CodeSource<'a>,
}

/// Parses the number and applies the connection's rules before any send:
/// test numbers (fixed code, nothing sent), the country allow-list, and
/// line types that cannot receive SMS (premium-rate, landline …).
pub(crate) fn check_recipient<'a>(
    state: &AppState,
    live: &'a LiveConnection,
    input: &str,
) -> Result<Recipient<'a>, SendCodeOutcome> {
    let parsed = PhoneNumber::parse(input, state.settings.otp.default_region.as_deref());
    let test = |p: &PhoneNumber| live.test_code(p.as_str());
    let phone = match parsed {
        Ok(phone) => phone,
        Err(e) => match PhoneNumber::parse_e164_syntax(input).filter(|p| test(p).is_some()) {
            Some(phone) => phone,
            None => return Err(SendCodeOutcome::InvalidPhone(e)),
        },
    };
    if let Some(code) = test(&phone) {
        return Ok(Recipient {
            phone,
            source: CodeSource::Fixed(code),
        });
    }
    let allowed = &live.settings.allowed_countries;
    if !allowed.is_empty()
        && !phone
            .region()
            .is_some_and(|r| allowed.iter().any(|a| a.eq_ignore_ascii_case(&r)))
    {
        return Err(SendCodeOutcome::Refused(Refusal::Country));
    }
    if let LineKind::NoSms(kind) = phone.line_kind() {
        return Err(SendCodeOutcome::Refused(Refusal::LineKind(kind)));
    }
    Ok(Recipient {
        phone,
        source: CodeSource::Random,
    })
}

fn refusal(e: IssueError) -> Result<SendCodeOutcome, anyhow::Error> {
    let reason = match e {
        IssueError::Unexpected(e) => return Err(e),
        IssueError::UnknownChallenge => return Ok(SendCodeOutcome::NoChallenge),
        IssueError::PhoneLimit | IssueError::FailureBudget => Refusal::PhoneLimit,
        IssueError::IpLimit | IssueError::NetworkLimit => Refusal::NetworkLimit,
        // The same answer as the global ceiling: nothing tells a pumper
        // which ranges are watched.
        IssueError::Ceiling | IssueError::RangeThrottled => Refusal::Ceiling,
        IssueError::Cooldown(secs) => Refusal::Cooldown(secs),
    };
    Ok(SendCodeOutcome::Refused(reason))
}

/// Parses the phone number, issues a code within the limits and sends it.
pub async fn send_code(
    state: &AppState,
    tx: &LoginTransaction,
    phone_input: &str,
    ip: Option<&str>,
    languages: &LanguagePreference,
) -> anyhow::Result<SendCodeOutcome> {
    let live = state.connection.get(&state.db, &state.master_key).await?;
    let recipient = match check_recipient(state, &live, phone_input) {
        Ok(r) => r,
        Err(outcome) => return Ok(outcome),
    };
    let policy = live.settings.code_policy();
    let issued = state
        .otp
        .issue(
            &state.db,
            IssueRequest {
                purpose: Purpose::Login,
                phone: &recipient.phone,
                client_id: Some(&tx.request.client_id),
                ip,
                policy: &policy,
                source: recipient.source,
            },
        )
        .await;
    let issued = match issued {
        Ok(issued) => issued,
        Err(e) => return refusal(e),
    };
    store::login_transactions::update_challenge(
        &state.db,
        &tx.id_hash,
        Some((issued.challenge_id, &recipient.phone)),
    )
    .await?;
    let delivered = deliver(
        state,
        &live,
        &Delivery {
            phone: &recipient.phone,
            issued: &issued,
            source: recipient.source,
            application_name: &tx.request.client_name,
            client_id: &tx.request.client_id,
            ip,
            languages,
        },
    )
    .await?;
    Ok(if delivered {
        SendCodeOutcome::Sent {
            phone: recipient.phone,
        }
    } else {
        SendCodeOutcome::NotDelivered
    })
}

/// Sends a new code for the transaction's challenge, after the cooldown.
pub async fn resend_code(
    state: &AppState,
    tx: &LoginTransaction,
    ip: Option<&str>,
    languages: &LanguagePreference,
) -> anyhow::Result<SendCodeOutcome> {
    let (Some(challenge_id), Some(phone)) = (tx.challenge_id, tx.phone.clone()) else {
        return Ok(SendCodeOutcome::NoChallenge);
    };
    let live = state.connection.get(&state.db, &state.master_key).await?;
    let source = live
        .test_code(phone.as_str())
        .map_or(CodeSource::Random, CodeSource::Fixed);
    let policy = live.settings.code_policy();
    let issued = match state
        .otp
        .reissue(&state.db, challenge_id, ip, &policy, source)
        .await
    {
        Ok(issued) => issued,
        Err(e) => return refusal(e),
    };
    let delivered = deliver(
        state,
        &live,
        &Delivery {
            phone: &phone,
            issued: &issued,
            source,
            application_name: &tx.request.client_name,
            client_id: &tx.request.client_id,
            ip,
            languages,
        },
    )
    .await?;
    Ok(if delivered {
        SendCodeOutcome::Sent { phone }
    } else {
        SendCodeOutcome::NotDelivered
    })
}

/// A code to deliver.
pub(crate) struct Delivery<'a> {
    pub phone: &'a PhoneNumber,
    pub issued: &'a Issued,
    pub source: CodeSource<'a>,
    pub application_name: &'a str,
    pub client_id: &'a str,
    pub ip: Option<&'a str>,
    pub languages: &'a LanguagePreference,
}

/// Renders the message in the user's language and sends it through the
/// live provider (test numbers: nothing is sent). Every outcome is audited.
/// Whether the message went out.
pub(crate) async fn deliver(
    state: &AppState,
    live: &LiveConnection,
    d: &Delivery<'_>,
) -> anyhow::Result<bool> {
    if let CodeSource::Fixed(_) = d.source {
        audit::record(
            &state.db,
            "sms.test_number",
            Some(d.phone.masked()),
            Some(d.client_id),
            d.ip,
            serde_json::json!({ "note": "test number: fixed code, nothing sent" }),
        )
        .await;
        return Ok(true);
    }
    let user = store::users::find_by_phone(&state.db, d.phone).await?;
    let usage = if user.is_some() {
        MessageUsage::Login
    } else {
        MessageUsage::Register
    };
    let body = live.templates.render(
        &MessageVars {
            code: d.issued.code.as_str(),
            phone_number: d.phone.as_str(),
            application_name: d.application_name,
            request_language: d.languages.first(),
            usage,
        },
        d.languages,
    )?;
    let message = SmsMessage {
        to: d.phone,
        body: &body,
        code: &d.issued.code,
        usage,
        expires_at: d.issued.expires_at,
        user_id: user.map(|u| u.id),
    };
    let provider = live.sender.provider();
    match live.sender.send(&message).await {
        Ok(delivery) => {
            audit::record(
                &state.db,
                "sms.sent",
                Some(d.phone.masked()),
                Some(d.client_id),
                d.ip,
                serde_json::json!({ "provider": provider, "usage": usage, "provider_id": delivery.provider_id, "country": d.phone.country_prefix(), "range": d.phone.range_prefix() }),
            )
            .await;
            Ok(true)
        }
        // The outbox keeps messages in the database: the database being
        // away is an outage (503), not a provider failure.
        Err(SmsError::Failed(e)) if store::is_unavailable(&e) => Err(e),
        Err(e) => {
            tracing::warn!(to = %d.phone.masked(), provider, error = %e, "SMS delivery failed");
            audit::record(
                &state.db,
                "sms.failed",
                Some(d.phone.masked()),
                Some(d.client_id),
                d.ip,
                serde_json::json!({ "provider": provider, "usage": usage, "provider_code": e.provider_code(), "error": e.to_string() }),
            )
            .await;
            Ok(false)
        }
    }
}

/// Seconds before the transaction's code may be sent again (0: now).
pub async fn resend_cooldown(state: &AppState, tx: &LoginTransaction) -> anyhow::Result<u64> {
    let Some(challenge_id) = tx.challenge_id else {
        return Ok(0);
    };
    Ok(
        match store::otp_challenges::find_by_id(&state.db, challenge_id).await? {
            Some(c) => state.otp.cooldown_left(c.last_sent_at, chrono::Utc::now()),
            None => 0,
        },
    )
}
