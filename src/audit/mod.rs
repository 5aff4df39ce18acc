//! Recording audit events. A failure to record is logged, never fatal to
//! the user's request.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::store::{self, ConnectionTrait, audit_events::AuditEvent};

/// Who did an administrative action: a client of the management API or
/// an admin in the dashboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    Client(String),
    Admin(Uuid),
}

impl Actor {
    /// The client a code sent for the action belongs to: the API caller,
    /// or the dashboard's own client.
    pub fn client_id(&self) -> &str {
        match self {
            Self::Client(id) => id,
            Self::Admin(_) => crate::admin::dashboard::ADMIN_CLIENT_ID,
        }
    }
}

/// Records what `by` did: a client is the actor and the event's client
/// (as [`record_by_client`]); an admin is the actor (as
/// [`record_by_admin`]). `user_id` is the user it was done to, if any.
pub async fn record_by(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    by: &Actor,
    kind: &str,
    user_id: Option<Uuid>,
    subject: Option<String>,
    details: serde_json::Value,
) {
    match by {
        Actor::Client(client_id) => {
            record_by_client(db, at, client_id, kind, user_id, subject, details).await
        }
        Actor::Admin(admin) => {
            record_by_admin(db, at, *admin, kind, subject, user_id, details).await
        }
    }
}

/// Records an event that happened at `at` (the caller's clock).
pub async fn record(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    kind: &str,
    subject: Option<String>,
    client_id: Option<&str>,
    ip: Option<&str>,
    details: serde_json::Value,
) {
    insert(db, at, None, kind, subject, client_id, ip, details).await;
}

/// Records an event about the user `user_id`: it shows on their activity page.
pub async fn record_for_user(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    user_id: Uuid,
    kind: &str,
    subject: Option<String>,
    ip: Option<&str>,
    details: serde_json::Value,
) {
    insert(db, at, Some(user_id), kind, subject, None, ip, details).await;
}

/// Records an event about a message sent to a user, or to an address no
/// user holds (`None`): with a user, it shows on their activity page.
pub async fn record_for(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    user_id: Option<Uuid>,
    kind: &str,
    subject: Option<String>,
    details: serde_json::Value,
) {
    insert(db, at, user_id, kind, subject, None, None, details).await;
}

/// Records what a client did through the management API: the client is
/// both the actor and the event's client, and `user_id` the user it was
/// done to, if any.
pub async fn record_by_client(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    client_id: &str,
    kind: &str,
    user_id: Option<Uuid>,
    subject: Option<String>,
    details: serde_json::Value,
) {
    let event = AuditEvent {
        kind: kind.to_owned(),
        actor: Some(format!("client:{client_id}")),
        subject,
        client_id: Some(client_id.to_owned()),
        ip: None,
        details,
        at,
        user_id,
    };
    if let Err(e) = store::audit_events::insert(db, &event).await {
        tracing::error!(error = %e, kind, "recording an audit event failed");
    }
}

/// Records what the admin `admin` did in the dashboard: the actor is
/// their id; `user_id` is the user the action was about, if any (it then
/// shows on that user's activity page).
pub async fn record_by_admin(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    admin: Uuid,
    kind: &str,
    subject: Option<String>,
    user_id: Option<Uuid>,
    details: serde_json::Value,
) {
    let event = AuditEvent {
        kind: kind.to_owned(),
        actor: Some(admin.to_string()),
        subject,
        client_id: None,
        ip: None,
        details,
        at,
        user_id,
    };
    if let Err(e) = store::audit_events::insert(db, &event).await {
        tracing::error!(error = %e, kind, "recording an audit event failed");
    }
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    user_id: Option<Uuid>,
    kind: &str,
    subject: Option<String>,
    client_id: Option<&str>,
    ip: Option<&str>,
    details: serde_json::Value,
) {
    let event = AuditEvent {
        kind: kind.to_owned(),
        actor: None,
        subject,
        client_id: client_id.map(str::to_owned),
        ip: ip.map(str::to_owned),
        details,
        at,
        user_id,
    };
    if let Err(e) = store::audit_events::insert(db, &event).await {
        tracing::error!(error = %e, kind, "recording an audit event failed");
    }
}
