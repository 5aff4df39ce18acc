//! Notice of a change to how the user signs in. [`notify`] is the one path
//! every change of a factor takes, inside the change's transaction: it
//! records the audit event, creates the "this wasn't me" link, and queues
//! the notices: an SMS to the previous number when the phone changed or was
//! removed (a SIM-swap warning), at most 3 per user per day. Email notices
//! join here: queued in the same transaction, to every verified address.

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::Request;
use crate::app::AppState;
use crate::crypto::{random_token, sha256_hex};
use crate::domain::{MessageUsage, PhoneNumber};
use crate::messages::{LanguagePreference, MessageVars};
use crate::sms::SmsMessage;
use crate::store::{self, ConnectionTrait};

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
}

impl Change {
    /// The audit event kind of the change.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::PhoneAdded { .. } => "account.phone_added",
            Self::PhoneChanged { .. } => "account.phone_changed",
            Self::PhoneRemoved { .. } => "account.phone_removed",
        }
    }

    /// The number that had the account before, which the SMS notice warns.
    fn previous_phone(&self) -> Option<PhoneNumber> {
        match self {
            Self::PhoneChanged { previous, .. } | Self::PhoneRemoved { previous } => {
                Some(PhoneNumber::from_trusted_e164(previous))
            }
            Self::PhoneAdded { .. } => None,
        }
    }

    /// `changed` or `removed`, for the notice template.
    fn word(&self) -> &'static str {
        match self {
            Self::PhoneAdded { .. } => "added",
            Self::PhoneChanged { .. } => "changed",
            Self::PhoneRemoved { .. } => "removed",
        }
    }

    /// The numbers of the change, masked, for the audit trail and pages.
    pub fn masked(&self) -> (Option<String>, Option<String>) {
        let mask = |e164: &str| PhoneNumber::from_trusted_e164(e164).masked();
        match self {
            Self::PhoneAdded { new } => (None, Some(mask(new))),
            Self::PhoneChanged { previous, new } => (Some(mask(previous)), Some(mask(new))),
            Self::PhoneRemoved { previous } => (Some(mask(previous)), None),
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
}

/// Records a change of the user's factors inside its transaction `db`: the
/// audit event, the revert link, and the notices.
pub async fn notify(
    db: &impl ConnectionTrait,
    r: &Request<'_>,
    change: &Change,
) -> anyhow::Result<Notices> {
    let state = r.state;
    let now = state.clock.now();
    let user = &r.me.user;
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
        r.ip,
        serde_json::json!({ "previous": previous, "new": new, "sid": r.me.session.sid }),
    )
    .await;
    let mut notices = Notices::default();
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
                r.ip,
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
                r.ip,
                serde_json::json!({ "max_per_day": MAX_SMS_NOTICES_PER_DAY }),
            )
            .await;
        }
    }
    Ok(notices)
}

/// Sends the notices of a committed change. A notice that cannot be sent is
/// audited and logged; the change stands.
pub async fn deliver(state: &AppState, notices: Notices) -> anyhow::Result<()> {
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
