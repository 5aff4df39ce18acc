//! The user's own recent security activity: their audit events of the last
//! 30 days, newest first.

use chrono::{DateTime, Utc};

use super::SignedInUser;
use super::device::{self, Device};
use crate::app::AppState;
use crate::store;

/// How far back the activity page looks.
const ACTIVITY_DAYS: i64 = 30;

/// At most this many events are listed.
const MAX_EVENTS: u64 = 200;

/// One event as the activity page shows it.
#[derive(Debug)]
pub struct ActivityEntry {
    pub at: DateTime<Utc>,
    /// The audit event kind (`session.signed_in`, `account.phone_changed` …).
    pub kind: String,
    /// Sign-ins: the method (`sms`).
    pub method: Option<String>,
    /// Sign-ins: the device.
    pub device: Option<Device>,
    pub network: Option<String>,
    /// The masked number or address the event is about.
    pub subject: Option<String>,
    /// Emails: why it was sent (`reauth`, `factor_changed` …).
    pub usage: Option<String>,
}

/// The user's events of the last 30 days, newest first.
pub async fn activity(state: &AppState, me: &SignedInUser) -> anyhow::Result<Vec<ActivityEntry>> {
    let since = state.clock.now() - chrono::Duration::days(ACTIVITY_DAYS);
    let events =
        store::audit_events::list_for_user(&state.db, me.user.id, since, MAX_EVENTS).await?;
    Ok(events
        .into_iter()
        .map(|e| {
            let text = |key: &str| {
                e.details
                    .get(key)
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            };
            let user_agent = text("user_agent");
            ActivityEntry {
                at: e.at,
                method: text("method"),
                device: (e.kind == "session.signed_in")
                    .then(|| device::describe(user_agent.as_deref())),
                network: text("network"),
                usage: text("usage"),
                subject: e.subject,
                kind: e.kind,
            }
        })
        .collect())
}
