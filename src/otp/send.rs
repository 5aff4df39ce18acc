//! The one pipeline that sends a code, for every purpose and channel: check
//! the recipient against its connection's rules → issue within the limits →
//! render the template for the usage and language → deliver → audit. The
//! hosted login and the passwordless API both call [`send_code`], by SMS
//! and by email; the account page does too. A code by email is rendered
//! and written to the outbox inside the transaction that issues it, with
//! the code's expiry (the outbox abandons it once the code is worthless).

use anyhow::Context;
use uuid::Uuid;

use super::{CodeSource, IssueError, IssueRequest, Issued, Purpose};
use crate::app::AppState;
use crate::audit;
use crate::domain::{
    Connection, EmailAddress, EmailError, EmailUsage, LineKind, MessageUsage, PhoneError,
    PhoneNumber, Recipient,
};
use crate::messages::email::{EmailVars, Notice, queue_email};
use crate::messages::{LanguagePreference, MessageVars};
use crate::sms::{LiveConnection, SmsError, SmsMessage};
use crate::store::{self, ConnectionTrait};

/// A request for a code.
pub struct SendCode<'a> {
    pub purpose: Purpose,
    pub to: To<'a>,
    pub client_id: &'a str,
    /// The application's name, for the message template.
    pub application_name: &'a str,
    pub ip: Option<&'a str>,
    pub languages: &'a LanguagePreference,
    /// The signed-in user a code of the account page is for (the audit
    /// trail of its email).
    pub user_id: Option<Uuid>,
}

/// Where the code goes.
#[derive(Clone, Copy, Debug)]
pub enum To<'a> {
    /// A new challenge for what the person typed, on this connection.
    New {
        connection: Connection,
        input: &'a str,
    },
    /// A new code for an open challenge, to the recipient it was opened
    /// for: the limits apply to the same recipient the code goes to.
    Again(Uuid),
}

/// A code that was issued, and where it went.
#[derive(Debug)]
pub struct SentCode {
    pub recipient: Recipient,
    pub challenge_id: Uuid,
}

/// What became of a request for a code.
#[derive(Debug)]
pub enum SendOutcome {
    Sent(SentCode),
    /// Issued, but the provider failed; the user may try again or use
    /// another number.
    NotDelivered(SentCode),
    InvalidRecipient(PhoneError),
    /// What was typed is not an email address.
    InvalidEmail(EmailError),
    /// A rule stopped it; the reason never says whether an account exists.
    Refused(Refusal),
    /// The challenge to resend is gone (used, or never opened).
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
    /// The refusal's name in the audit trail.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Country => "country",
            Self::LineKind(_) => "line_kind",
            Self::PhoneLimit => "phone_limit",
            Self::NetworkLimit => "network_limit",
            Self::Ceiling => "ceiling",
            Self::Cooldown(_) => "cooldown",
        }
    }

    /// A rule about the number (400) rather than a limit (429).
    pub fn is_about_the_number(self) -> bool {
        matches!(self, Self::Country | Self::LineKind(_))
    }
}

/// A recipient that passed its connection's rules, and where its code comes from.
pub struct Checked<'a> {
    pub recipient: Recipient,
    pub source: CodeSource<'a>,
}

/// Parses what the user typed as an address of `connection` and applies
/// that connection's rules before any send.
pub fn check_recipient<'a>(
    state: &AppState,
    live: &'a LiveConnection,
    connection: Connection,
    input: &str,
) -> Result<Checked<'a>, SendOutcome> {
    match connection {
        Connection::Sms => check_phone(state, live, input),
        Connection::Email => match EmailAddress::parse(input) {
            Ok(email) => Ok(Checked {
                recipient: Recipient::Email(email),
                source: CodeSource::Random,
            }),
            Err(e) => Err(SendOutcome::InvalidEmail(e)),
        },
    }
}

/// Parses a phone number and applies the SMS connection's rules before any
/// send: test numbers (fixed code, nothing sent), the country allow-list,
/// and line types that cannot receive SMS (premium-rate, landline …).
fn check_phone<'a>(
    state: &AppState,
    live: &'a LiveConnection,
    input: &str,
) -> Result<Checked<'a>, SendOutcome> {
    let parsed = PhoneNumber::parse(input, state.settings.otp.default_region.as_deref());
    let test = |p: &PhoneNumber| live.test_code(p.as_str());
    let phone = match parsed {
        Ok(phone) => phone,
        Err(e) => match PhoneNumber::parse_e164_syntax(input).filter(|p| test(p).is_some()) {
            Some(phone) => phone,
            None => return Err(SendOutcome::InvalidRecipient(e)),
        },
    };
    if let Some(code) = test(&phone) {
        return Ok(Checked {
            recipient: Recipient::Phone(phone),
            source: CodeSource::Fixed(code),
        });
    }
    let allowed = &live.settings.allowed_countries;
    if !allowed.is_empty()
        && !phone
            .region()
            .is_some_and(|r| allowed.iter().any(|a| a.eq_ignore_ascii_case(&r)))
    {
        return Err(SendOutcome::Refused(Refusal::Country));
    }
    if let LineKind::NoSms(kind) = phone.line_kind() {
        return Err(SendOutcome::Refused(Refusal::LineKind(kind)));
    }
    Ok(Checked {
        recipient: Recipient::Phone(phone),
        source: CodeSource::Random,
    })
}

/// Records a send the abuse defences refused, with the number's country
/// and range when the request typed one: the dashboard charts them. A
/// cooldown is left out (a second click is not abuse).
async fn audit_refused(
    state: &AppState,
    db: &impl ConnectionTrait,
    req: &SendCode<'_>,
    outcome: &SendOutcome,
) {
    let SendOutcome::Refused(reason) = outcome else {
        return;
    };
    if matches!(reason, Refusal::Cooldown(_)) {
        return;
    }
    let phone = match req.to {
        To::New {
            connection: Connection::Sms,
            input,
        } => PhoneNumber::parse(input, state.settings.otp.default_region.as_deref()).ok(),
        _ => None,
    };
    audit::record(
        db,
        state.clock.now(),
        "otp.send_refused",
        phone.as_ref().map(PhoneNumber::masked),
        Some(req.client_id),
        req.ip,
        serde_json::json!({
            "reason": reason.as_str(),
            "country": phone.as_ref().map(|p| p.country_prefix()),
            "range": phone.as_ref().map(|p| p.range_prefix()),
        }),
    )
    .await;
}

fn refusal(e: IssueError) -> anyhow::Result<SendOutcome> {
    let reason = match e {
        IssueError::Unexpected(e) => return Err(e),
        IssueError::UnknownChallenge => return Ok(SendOutcome::NoChallenge),
        IssueError::PhoneLimit | IssueError::FailureBudget => Refusal::PhoneLimit,
        IssueError::IpLimit | IssueError::NetworkLimit => Refusal::NetworkLimit,
        // The same answer as the global ceiling: nothing tells a pumper
        // which ranges are watched.
        IssueError::Ceiling | IssueError::RangeThrottled => Refusal::Ceiling,
        IssueError::Cooldown(secs) => Refusal::Cooldown(secs),
    };
    Ok(SendOutcome::Refused(reason))
}

/// A code issued in the caller's transaction, to deliver once that
/// transaction is committed: no database transaction is held across the
/// provider's HTTP call.
pub struct Pending<'a> {
    issued: Issued,
    source: CodeSource<'a>,
    via: Via,
    user_id: Option<Uuid>,
}

/// How an issued code reaches its recipient.
#[derive(Clone, Copy, Debug)]
enum Via {
    /// By SMS after the commit, with this template.
    Sms(MessageUsage),
    /// By email: already in the outbox, committed with the code.
    Outbox,
}

impl Pending<'_> {
    /// The challenge the code checks against.
    pub fn challenge_id(&self) -> Uuid {
        self.issued.challenge_id
    }

    /// Where the code goes.
    pub fn recipient(&self) -> &Recipient {
        &self.issued.recipient
    }
}

/// Sends a code for a purpose: checks the recipient, issues the code within
/// the limits in one transaction, then delivers it and audits the delivery.
pub async fn send_code(state: &AppState, req: &SendCode<'_>) -> anyhow::Result<SendOutcome> {
    let live = state.connection.get(&state.db, &state.master_key).await?;
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let pending = issue_code(state, &txn, &live, req).await?;
    txn.commit().await.context("committing the code")?;
    match pending {
        Ok(pending) => deliver_code(state, &live, req, pending).await,
        Err(outcome) => Ok(outcome),
    }
}

/// Checks the recipient and issues the code through `db` (the caller's
/// transaction): the cooldown claim, the challenge, the end of older codes,
/// the audit of a refusal. A refusal is an outcome, and what it wrote (the
/// claim, its audit event) is meant to be committed like a success.
pub async fn issue_code<'a>(
    state: &AppState,
    db: &impl ConnectionTrait,
    live: &'a LiveConnection,
    req: &SendCode<'_>,
) -> anyhow::Result<Result<Pending<'a>, SendOutcome>> {
    let policy = live.settings.code_policy();
    let issued = match req.to {
        To::New { connection, input } => {
            let checked = match check_recipient(state, live, connection, input) {
                Ok(checked) => checked,
                Err(outcome) => {
                    audit_refused(state, db, req, &outcome).await;
                    return Ok(Err(outcome));
                }
            };
            state
                .otp
                .issue(
                    db,
                    IssueRequest {
                        purpose: req.purpose,
                        recipient: &checked.recipient,
                        client_id: Some(req.client_id),
                        ip: req.ip,
                        policy: &policy,
                        source: checked.source,
                    },
                )
                .await
                .map(|issued| (issued, checked.source))
        }
        To::Again(challenge_id) => match state.otp.recipient_of(db, challenge_id).await {
            Ok(recipient) => {
                let source =
                    test_code(live, &recipient).map_or(CodeSource::Random, CodeSource::Fixed);
                state
                    .otp
                    .reissue(db, challenge_id, &recipient, req.ip, &policy, source)
                    .await
                    .map(|issued| (issued, source))
            }
            Err(e) => Err(e),
        },
    };
    let (issued, source) = match issued {
        Ok(issued) => issued,
        Err(e) => {
            let outcome = refusal(e)?;
            audit_refused(state, db, req, &outcome).await;
            return Ok(Err(outcome));
        }
    };
    let phone = match &issued.recipient {
        Recipient::Phone(phone) => phone,
        Recipient::Email(email) => {
            queue_code_email(state, db, req, &issued, email).await?;
            return Ok(Ok(Pending {
                issued,
                source,
                via: Via::Outbox,
                user_id: None,
            }));
        }
    };
    if let CodeSource::Fixed(_) = source {
        audit::record(
            db,
            state.clock.now(),
            "sms.test_number",
            Some(phone.masked()),
            Some(req.client_id),
            req.ip,
            serde_json::json!({ "note": "test number: fixed code, nothing sent" }),
        )
        .await;
        return Ok(Ok(Pending {
            issued,
            source,
            via: Via::Sms(MessageUsage::Login),
            user_id: None,
        }));
    }
    // A number being added to an account gets the `verify` message whoever
    // holds it: nothing in it tells whether it belongs to another account.
    if req.purpose == Purpose::Enroll {
        return Ok(Ok(Pending {
            issued,
            source,
            via: Via::Sms(MessageUsage::Verify),
            user_id: None,
        }));
    }
    let user = store::users::find_by_phone(db, phone).await?;
    let usage = if user.is_some() {
        MessageUsage::Login
    } else {
        MessageUsage::Register
    };
    Ok(Ok(Pending {
        issued,
        source,
        via: Via::Sms(usage),
        user_id: user.map(|u| u.id),
    }))
}

/// Renders the code's email in the request's language and writes it to
/// the outbox through `db`, the transaction that issues the code: the mail
/// exists exactly when the code does, and is abandoned when it expires.
async fn queue_code_email(
    state: &AppState,
    db: &impl ConnectionTrait,
    req: &SendCode<'_>,
    issued: &Issued,
    to: &EmailAddress,
) -> anyhow::Result<()> {
    let (usage, user_id) = match req.purpose {
        Purpose::Enroll => (EmailUsage::VerifyEmail, req.user_id),
        Purpose::Reauth => (EmailUsage::Reauth, req.user_id),
        // Like `login` and `register` by SMS: the mail goes to the address
        // itself, so saying whether it has an account reveals nothing.
        Purpose::Login | Purpose::Passwordless => {
            match store::users::find_by_verified_email(db, to).await? {
                Some(user) => (EmailUsage::SignIn, Some(user.id)),
                None => (EmailUsage::SignUp, None),
            }
        }
    };
    let now = state.clock.now();
    let minutes = (issued.expires_at - now).num_seconds().max(0) + 59;
    let vars = EmailVars {
        code: Some(issued.code.as_str().to_owned()),
        expires_in_minutes: Some(u32::try_from(minutes / 60).unwrap_or(u32::MAX)),
        change: None,
        account_url: format!("{}/account", state.settings.issuer_base()),
    };
    queue_email(
        db,
        Notice {
            to,
            user_id,
            usage,
            language: req.languages.first().unwrap_or("en"),
            vars: &vars,
            expires_at: Some(issued.expires_at),
        },
        now,
    )
    .await
    .context("queueing the code's email")?;
    Ok(())
}

/// Delivers a code whose transaction was committed, and audits the delivery.
pub async fn deliver_code(
    state: &AppState,
    live: &LiveConnection,
    req: &SendCode<'_>,
    pending: Pending<'_>,
) -> anyhow::Result<SendOutcome> {
    let delivered = deliver(state, live, req, &pending).await?;
    let sent = SentCode {
        recipient: pending.issued.recipient,
        challenge_id: pending.issued.challenge_id,
    };
    Ok(if delivered {
        SendOutcome::Sent(sent)
    } else {
        SendOutcome::NotDelivered(sent)
    })
}

/// The fixed code of a test recipient, if this is one.
fn test_code<'a>(live: &'a LiveConnection, recipient: &Recipient) -> Option<&'a str> {
    match recipient {
        Recipient::Phone(phone) => live.test_code(phone.as_str()),
        Recipient::Email(_) => None,
    }
}

/// Renders the message in the user's language and sends it through the
/// live provider (test numbers: nothing is sent, and their audit event was
/// written with the code). Every outcome is audited. Whether the message
/// went out.
async fn deliver(
    state: &AppState,
    live: &LiveConnection,
    req: &SendCode<'_>,
    pending: &Pending<'_>,
) -> anyhow::Result<bool> {
    if let CodeSource::Fixed(_) = pending.source {
        return Ok(true);
    }
    let issued = &pending.issued;
    let (Via::Sms(usage), Recipient::Phone(phone)) = (pending.via, &issued.recipient) else {
        // Committed in the outbox with the code (`notification.queued`):
        // the worker sends it now, and retries while the code lives.
        state.mail.wake();
        return Ok(true);
    };
    let body = live.templates.render(
        &MessageVars {
            code: issued.code.as_str(),
            phone_number: phone.as_str(),
            application_name: req.application_name,
            request_language: req.languages.first(),
            usage,
            revert_url: "",
            change: "",
        },
        req.languages,
    )?;
    let message = SmsMessage {
        to: phone,
        body: &body,
        code: Some(&issued.code),
        usage,
        expires_at: issued.expires_at,
        user_id: pending.user_id,
    };
    let provider = live.sender.provider();
    match live.sender.send(&message).await {
        Ok(delivery) => {
            audit::record(
                &state.db,
                state.clock.now(),
                "sms.sent",
                Some(phone.masked()),
                Some(req.client_id),
                req.ip,
                serde_json::json!({ "provider": provider, "usage": usage, "provider_id": delivery.provider_id, "country": phone.country_prefix(), "range": phone.range_prefix() }),
            )
            .await;
            Ok(true)
        }
        // The outbox keeps messages in the database: the database being
        // away is an outage (503), not a provider failure.
        Err(SmsError::Failed(e)) if store::is_unavailable(&e) => Err(e),
        Err(e) => {
            tracing::warn!(to = %phone.masked(), provider, error = %e, "SMS delivery failed");
            audit::record(
                &state.db,
                state.clock.now(),
                "sms.failed",
                Some(phone.masked()),
                Some(req.client_id),
                req.ip,
                serde_json::json!({ "provider": provider, "usage": usage, "provider_code": e.provider_code(), "error": e.to_string() }),
            )
            .await;
            Ok(false)
        }
    }
}
