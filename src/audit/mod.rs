//! Recording audit events. A failure to record is logged, never fatal to
//! the user's request.

use chrono::Utc;

use crate::store::{self, ConnectionTrait, audit_events::AuditEvent};

/// Records an event.
pub async fn record(
    db: &impl ConnectionTrait,
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
        at: Utc::now(),
    };
    if let Err(e) = store::audit_events::insert(db, &event).await {
        tracing::error!(error = %e, kind, "recording an audit event failed");
    }
}
