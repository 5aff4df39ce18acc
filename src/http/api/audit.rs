//! `/api/v1/audit-events`: the audit log, newest first, a page at a time.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::auth::ApiCaller;
use super::problem::Problem;
use crate::admin::audit::{self, ListEventsError};
use crate::app::AppState;
use crate::store::audit_events::{EventFilter, StoredEvent};

/// One audit event. Never a code or a secret; numbers and addresses masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventView {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub kind: String,
    /// Who did it, when not the user: `client:<client_id>` for the API.
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub client_id: Option<String>,
    pub user_id: Option<Uuid>,
    pub ip: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<StoredEvent> for AuditEventView {
    fn from(s: StoredEvent) -> Self {
        let e = s.event;
        Self {
            id: s.id,
            at: e.at,
            kind: e.kind,
            actor: e.actor,
            subject: e.subject,
            client_id: e.client_id,
            user_id: e.user_id,
            ip: e.ip,
            details: e.details,
        }
    }
}

/// A page of audit events.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventList {
    pub events: Vec<AuditEventView>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Events about this user (id).
    pub user: Option<String>,
    /// Events of this kind, e.g. `admin.user.created`.
    pub kind: Option<String>,
    /// Events at or after this time (RFC 3339).
    pub since: Option<String>,
    /// Events per page, at most 200 (default 50).
    pub limit: Option<u64>,
}

/// Lists audit events, newest first.
#[utoipa::path(get, path = "/api/v1/audit-events", tag = "audit", params(AuditQuery),
    responses(
        (status = 200, description = "A page of events", body = AuditEventList),
        (status = 400, description = "A bad filter or cursor", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:audit:read"])))]
pub async fn list_audit_events(
    _caller: ApiCaller,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, Problem> {
    let q = query.into_inner();
    let filter = EventFilter {
        user_id: q
            .user
            .as_deref()
            .map(Uuid::parse_str)
            .transpose()
            .map_err(|_| Problem::invalid("user", "not a user id"))?,
        kind: q.kind.filter(|k| !k.is_empty()),
        since: q
            .since
            .as_deref()
            .map(DateTime::parse_from_rfc3339)
            .transpose()
            .map_err(|_| Problem::invalid("since", "not an RFC 3339 time"))?
            .map(|t| t.with_timezone(&Utc)),
        ..EventFilter::default()
    };
    let page = audit::list_events(
        &state.db,
        &filter,
        q.cursor.as_deref(),
        q.limit.unwrap_or(50),
    )
    .await
    .map_err(|e| match e {
        ListEventsError::BadCursor => Problem::invalid("cursor", e),
        ListEventsError::Unexpected(e) => Problem::unexpected(&e),
    })?;
    Ok(HttpResponse::Ok().json(AuditEventList {
        events: page.events.into_iter().map(AuditEventView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}
