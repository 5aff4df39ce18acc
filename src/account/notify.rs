//! Notice of a change to how the user signs in. [`notify`] is the one path
//! every change of a factor takes, inside the change's transaction: it
//! records the audit event, creates the "this wasn't me" link, and queues
//! the notices: an SMS to the previous number when the phone changed or was
//! removed (a SIM-swap warning), at most 3 per user per day; and an email
//! to every address the account had verified before the change, and to the
//! new address when one was added, written to the outbox in the same
//! transaction (so a notice exists exactly when its change does, and waits
//! there while the SMTP server is down).

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::Request;
use crate::app::AppState;
use crate::crypto::{random_token, sha256_hex};
use crate::domain::{EmailAddress, EmailUsage, MessageUsage, PhoneNumber, coarse_network};
use crate::messages::account_catalogue::account_catalogue_for;
use crate::messages::catalogue::catalogue_for;
use crate::messages::email::{EmailVars, FactorChange, FactorKind, Notice, queue_email};
use crate::messages::{LanguagePreference, MessageVars};
use crate::sms::SmsMessage;
use crate::store::{self, ConnectionTrait, users::User};

/// How long a "this wasn't me" link works.
const REVERT_FOR: chrono::Duration = chrono::Duration::days(7);

/// SMS notices a user may get per day: enough for a real change and its
/// undo, too few to make ferrid a spam relay.
const MAX_SMS_NOTICES_PER_DAY: u64 = 3;

/// The audit kind of a queued SMS notice, which the daily cap counts.
const SMS_NOTICE_KIND: &str = "account.notice_sms";

/// A change to the factors of an account, as the revert link records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    PhoneAdded { new: String },
    PhoneChanged { previous: String, new: String },
    PhoneRemoved { previous: String },
    EmailAdded { new: String },
    EmailChanged { previous: String, new: String },
    EmailRemoved { previous: String },
}

impl Change {
    /// The audit event kind of the change.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::PhoneAdded { .. } => "account.phone_added",
            Self::PhoneChanged { .. } => "account.phone_changed",
            Self::PhoneRemoved { .. } => "account.phone_removed",
            Self::EmailAdded { .. } => "account.email_added",
            Self::EmailChanged { .. } => "account.email_changed",
            Self::EmailRemoved { .. } => "account.email_removed",
        }
    }

    /// The factor the change is about.
    fn factor(&self) -> FactorKind {
        match self {
            Self::PhoneAdded { .. } | Self::PhoneChanged { .. } | Self::PhoneRemoved { .. } => {
                FactorKind::Phone
            }
            Self::EmailAdded { .. } | Self::EmailChanged { .. } | Self::EmailRemoved { .. } => {
                FactorKind::Email
            }
        }
    }

    /// The email notice's usage (and template).
    fn email_usage(&self) -> EmailUsage {
        match self {
            Self::PhoneAdded { .. } | Self::EmailAdded { .. } => EmailUsage::FactorAdded,
            Self::PhoneChanged { .. } | Self::EmailChanged { .. } => EmailUsage::FactorChanged,
            Self::PhoneRemoved { .. } | Self::EmailRemoved { .. } => EmailUsage::FactorRemoved,
        }
    }

    /// The address an email change brought in, which is told too.
    fn new_email(&self) -> Option<EmailAddress> {
        match self {
            Self::EmailAdded { new } | Self::EmailChanged { new, .. } => {
                Some(EmailAddress::from_trusted(new))
            }
            _ => None,
        }
    }

    /// The number that had the account before, which the SMS notice warns.
    fn previous_phone(&self) -> Option<PhoneNumber> {
        match self {
            Self::PhoneChanged { previous, .. } | Self::PhoneRemoved { previous } => {
                Some(PhoneNumber::from_trusted_e164(previous))
            }
            _ => None,
        }
    }

    /// `changed` or `removed`, for the notice template.
    fn word(&self) -> &'static str {
        match self {
            Self::PhoneAdded { .. } | Self::EmailAdded { .. } => "added",
            Self::PhoneChanged { .. } | Self::EmailChanged { .. } => "changed",
            Self::PhoneRemoved { .. } | Self::EmailRemoved { .. } => "removed",
        }
    }

    /// The numbers or addresses of the change, masked, for the audit
    /// trail, the pages and the notices.
    pub fn masked(&self) -> (Option<String>, Option<String>) {
        let phone = |e164: &str| PhoneNumber::from_trusted_e164(e164).masked();
        let email = |address: &str| EmailAddress::from_trusted(address).masked();
        match self {
            Self::PhoneAdded { new } => (None, Some(phone(new))),
            Self::PhoneChanged { previous, new } => (Some(phone(previous)), Some(phone(new))),
            Self::PhoneRemoved { previous } => (Some(phone(previous)), None),
            Self::EmailAdded { new } => (None, Some(email(new))),
            Self::EmailChanged { previous, new } => (Some(email(previous)), Some(email(new))),
            Self::EmailRemoved { previous } => (Some(email(previous)), None),
        }
    }
}

/// An SMS notice to send once the change is committed.
#[derive(Debug)]
struct SmsNotice {
    to: PhoneNumber,
    revert_url: String,
    change: &'static str,
    locale: Option<String>,
    user_id: uuid::Uuid,
}

/// The notices a change queued, to deliver after its commit.
#[derive(Debug, Default)]
pub struct Notices {
    sms: Option<SmsNotice>,
    /// Emails written to the outbox with the change.
    mail: usize,
}

/// Records a change of the user's factors inside its transaction `db`: the
/// audit event, the revert link, and the notices.
pub async fn notify(
    db: &impl ConnectionTrait,
    r: &Request<'_>,
    change: &Change,
) -> anyhow::Result<Notices> {
    let about = About {
        state: r.state,
        user: &r.me.user,
        sid: Some(&r.me.session.sid),
        ip: r.ip,
        languages: r.languages,
    };
    notify_change(db, &about, change).await
}

/// Like [`notify`], for a change made elsewhere than on the account page
/// (the management API): `about.sid` is `None` there.
pub(crate) async fn notify_change(
    db: &impl ConnectionTrait,
    about: &About<'_>,
    change: &Change,
) -> anyhow::Result<Notices> {
    let state = about.state;
    let now = state.clock.now();
    let user = about.user;
    let token = random_token();
    store::revert_tokens::insert(
        db,
        sha256_hex(&token),
        user.id,
        serde_json::to_string(change)?,
        now,
        now + REVERT_FOR,
    )
    .await?;
    let revert_url = format!("{}/account/revert/{token}", state.settings.issuer_base());
    let (previous, new) = change.masked();
    crate::audit::record_for_user(
        db,
        now,
        user.id,
        change.kind(),
        new.clone().or(previous.clone()),
        about.ip,
        serde_json::json!({ "previous": previous, "new": new, "sid": about.sid }),
    )
    .await;
    let mut notices = Notices {
        sms: None,
        mail: queue_emails(db, about, change, &revert_url).await?,
    };
    if let Some(to) = change.previous_phone() {
        let since = now - chrono::Duration::days(1);
        let sent = store::audit_events::count_for_user(db, user.id, SMS_NOTICE_KIND, since).await?;
        if sent < MAX_SMS_NOTICES_PER_DAY {
            crate::audit::record_for_user(
                db,
                now,
                user.id,
                SMS_NOTICE_KIND,
                Some(to.masked()),
                about.ip,
                serde_json::json!({ "change": change.word() }),
            )
            .await;
            notices.sms = Some(SmsNotice {
                to,
                revert_url,
                change: change.word(),
                locale: user.locale.clone(),
                user_id: user.id,
            });
        } else {
            crate::audit::record_for_user(
                db,
                now,
                user.id,
                "account.notice_sms_capped",
                Some(to.masked()),
                about.ip,
                serde_json::json!({ "max_per_day": MAX_SMS_NOTICES_PER_DAY }),
            )
            .await;
        }
    }
    Ok(notices)
}

/// Writes the change's email notices to the outbox through `db` (the
/// change's transaction): to the address the account had verified before
/// the change, and to the address the change brought in. How many.
async fn queue_emails(
    db: &impl ConnectionTrait,
    about: &About<'_>,
    change: &Change,
    revert_url: &str,
) -> anyhow::Result<usize> {
    let (old_value, new_value) = change.masked();
    let mail = Mail {
        usage: change.email_usage(),
        factor: change.factor(),
        old_value,
        new_value,
        revert_url: Some(revert_url.to_owned()),
    };
    queue_mail(db, about, &mail, change.new_email()).await
}

/// Whose account a notice is about, and where the change came from.
pub(crate) struct About<'a> {
    pub state: &'a AppState,
    pub user: &'a User,
    /// The session that made the change (its device is named).
    pub sid: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub languages: &'a LanguagePreference,
}

/// What an email notice says.
struct Mail {
    usage: EmailUsage,
    factor: FactorKind,
    old_value: Option<String>,
    new_value: Option<String>,
    revert_url: Option<String>,
}

/// Writes `mail` to the outbox for the address the account has verified,
/// and `also` (an address a change brought in). How many.
async fn queue_mail(
    db: &impl ConnectionTrait,
    about: &About<'_>,
    mail: &Mail,
    also: Option<EmailAddress>,
) -> anyhow::Result<usize> {
    let user = about.user;
    let before = user
        .email
        .as_deref()
        .filter(|_| user.email_verified_at.is_some())
        .map(EmailAddress::from_trusted);
    let mut to: Vec<EmailAddress> = before.into_iter().collect();
    if let Some(new) = also
        && !to
            .iter()
            .any(|t| t.as_str().eq_ignore_ascii_case(new.as_str()))
    {
        to.push(new);
    }
    if to.is_empty() {
        return Ok(0);
    }
    let state = about.state;
    let now = state.clock.now();
    // The device of this session, in the words of the page it came from.
    let origin = match about.sid {
        Some(sid) => store::sso_sessions::list_live_for_user(db, user.id, now)
            .await?
            .into_iter()
            .find(|s| s.sid == sid)
            .map(|s| s.origin),
        None => None,
    };
    let a = account_catalogue_for(catalogue_for(about.languages));
    let device = origin
        .as_ref()
        .map(|o| super::device::describe(o.user_agent.as_deref()))
        .and_then(|d| match (d.browser, d.os) {
            (Some(browser), Some(os)) => Some(
                a.device_on
                    .replace("{browser}", &browser)
                    .replace("{os}", &os),
            ),
            (Some(one), None) | (None, Some(one)) => Some(one),
            (None, None) => None,
        });
    let location = about
        .ip
        .and_then(coarse_network)
        .or_else(|| origin.and_then(|o| o.network));
    let vars = EmailVars {
        code: None,
        expires_in_minutes: None,
        change: Some(FactorChange {
            factor: mail.factor,
            old_value: mail.old_value.clone(),
            new_value: mail.new_value.clone(),
            at: now,
            device,
            location,
            revert_url: mail.revert_url.clone(),
        }),
        account_url: format!("{}/account", state.settings.issuer_base()),
    };
    let language = about
        .languages
        .first()
        .or(user.locale.as_deref())
        .unwrap_or("en");
    for address in &to {
        queue_email(
            db,
            Notice {
                to: address,
                user_id: Some(user.id),
                usage: mail.usage,
                language,
                vars: &vars,
                expires_at: None,
            },
            now,
        )
        .await
        .context("queueing an email notice")?;
    }
    Ok(to.len())
}

/// A change to the user's second factors (two-step verification).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecondFactorChange {
    TotpAdded,
    TotpRemoved,
    /// A new set of recovery codes, `count` of them, replacing any old one.
    RecoveryCodesGenerated {
        count: u64,
    },
    /// A recovery code was used at sign-in; `left` remain.
    RecoveryCodeUsed {
        left: u64,
    },
}

impl SecondFactorChange {
    /// The audit event kind of the change.
    pub fn kind(self) -> &'static str {
        match self {
            Self::TotpAdded => "factor.totp.added",
            Self::TotpRemoved => "factor.totp.removed",
            Self::RecoveryCodesGenerated { .. } => "factor.recovery_codes.generated",
            Self::RecoveryCodeUsed { .. } => "factor.recovery_code.used",
        }
    }

    fn mail(self) -> Mail {
        let (usage, factor, old_value, new_value) = match self {
            Self::TotpAdded => (
                EmailUsage::FactorAdded,
                FactorKind::AuthenticatorApp,
                None,
                Some("TOTP".to_owned()),
            ),
            Self::TotpRemoved => (
                EmailUsage::FactorRemoved,
                FactorKind::AuthenticatorApp,
                Some("TOTP".to_owned()),
                None,
            ),
            Self::RecoveryCodesGenerated { count } => (
                EmailUsage::FactorAdded,
                FactorKind::RecoveryCodes,
                None,
                Some(count.to_string()),
            ),
            Self::RecoveryCodeUsed { left } => (
                EmailUsage::FactorChanged,
                FactorKind::RecoveryCodes,
                Some((left + 1).to_string()),
                Some(left.to_string()),
            ),
        };
        Mail {
            usage,
            factor,
            old_value,
            new_value,
            revert_url: None,
        }
    }
}

/// Records a change of the user's second factors inside its transaction
/// `db`: the audit event, an email to the verified address (in the outbox),
/// and, for changes made on the account page, an SMS warning to the
/// verified number (sent by [`deliver`] after the commit). There is no
/// "this wasn't me" link: the notice sends the user to the account page,
/// where the change is undone by removing the app or regenerating codes.
pub(crate) async fn notify_second_factor(
    db: &impl ConnectionTrait,
    about: &About<'_>,
    change: SecondFactorChange,
) -> anyhow::Result<Notices> {
    let state = about.state;
    let now = state.clock.now();
    let user = about.user;
    let details = match change {
        SecondFactorChange::RecoveryCodesGenerated { count } => {
            serde_json::json!({ "count": count, "sid": about.sid })
        }
        SecondFactorChange::RecoveryCodeUsed { left } => {
            serde_json::json!({ "left": left, "sid": about.sid })
        }
        _ => serde_json::json!({ "sid": about.sid }),
    };
    crate::audit::record_for_user(db, now, user.id, change.kind(), None, about.ip, details).await;
    let mut notices = Notices {
        sms: None,
        mail: queue_mail(db, about, &change.mail(), None).await?,
    };
    let phone = user
        .phone
        .as_ref()
        .filter(|_| user.phone_verified_at.is_some());
    // A recovery code is used inside a sign-in's transaction, where no SMS
    // may wait: its notice is the email alone.
    if let (Some(to), false) = (
        phone,
        matches!(change, SecondFactorChange::RecoveryCodeUsed { .. }),
    ) {
        let since = now - chrono::Duration::days(1);
        let sent = store::audit_events::count_for_user(db, user.id, SMS_NOTICE_KIND, since).await?;
        if sent < MAX_SMS_NOTICES_PER_DAY {
            crate::audit::record_for_user(
                db,
                now,
                user.id,
                SMS_NOTICE_KIND,
                Some(to.masked()),
                about.ip,
                serde_json::json!({ "change": SECOND_FACTOR_WORD }),
            )
            .await;
            notices.sms = Some(SmsNotice {
                to: to.clone(),
                revert_url: format!("{}/account", state.settings.issuer_base()),
                change: SECOND_FACTOR_WORD,
                locale: user.locale.clone(),
                user_id: user.id,
            });
        }
    }
    Ok(notices)
}

/// The `change` of an SMS notice about second factors.
const SECOND_FACTOR_WORD: &str = "second_factor";

/// Sends the notices of a committed change. A notice that cannot be sent is
/// audited and logged; the change stands. Email notices are in the outbox
/// already: the worker is woken for them.
pub async fn deliver(state: &AppState, notices: Notices) -> anyhow::Result<()> {
    if notices.mail > 0 {
        state.mail.wake();
    }
    let Some(notice) = notices.sms else {
        return Ok(());
    };
    let live = state.connection.get(&state.db, &state.master_key).await?;
    let languages = LanguagePreference::from_sources(None, notice.locale.as_deref(), None);
    let name = super::application_name(state);
    let body = live
        .templates
        .render(
            &MessageVars {
                code: "",
                phone_number: notice.to.as_str(),
                application_name: &name,
                request_language: languages.first(),
                usage: MessageUsage::Notice,
                revert_url: &notice.revert_url,
                change: notice.change,
            },
            &languages,
        )
        .context("rendering the notice")?;
    let now = state.clock.now();
    let message = SmsMessage {
        to: &notice.to,
        body: &body,
        code: None,
        usage: MessageUsage::Notice,
        expires_at: now + REVERT_FOR,
        user_id: Some(notice.user_id),
    };
    let provider = live.sender.provider();
    let (kind, error) = match live.sender.send(&message).await {
        Ok(_) => ("sms.notice_sent", None),
        Err(e) => {
            tracing::warn!(to = %notice.to.masked(), provider, error = %e, "the SMS notice was not sent");
            ("sms.notice_failed", Some(e.to_string()))
        }
    };
    crate::audit::record(
        &state.db,
        now,
        kind,
        Some(notice.to.masked()),
        Some(crate::login::ACCOUNT_CLIENT_ID),
        None,
        serde_json::json!({ "provider": provider, "usage": MessageUsage::Notice, "error": error }),
    )
    .await;
    Ok(())
}
