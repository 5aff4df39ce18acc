//! The audit log: events newest first, filtered by user, client, kind and
//! dates, a page at a time (an "older" link carries the cursor), and the
//! same filters exported as CSV.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_DISPOSITION, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{NaiveDate, TimeDelta};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::super::errors::{internal_error, render, render_with_status};
use super::AdminUser;
use super::view::{Lang, Nav, when};
use crate::admin::audit::{self, ListEventsError};
use crate::app::AppState;
use crate::messages::admin_catalogue::AdminCatalogue;
use crate::store::audit_events::{EventFilter, StoredEvent};

/// Events on one page.
const PAGE_SIZE: u64 = 50;

/// The filters as the form sends them (and the links carry them).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub client: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default, skip_serializing)]
    pub cursor: Option<String>,
}

impl AuditQuery {
    /// The filter the fields describe, or `None` when one is not valid.
    fn filter(&self) -> Option<EventFilter> {
        let text = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        let date = |v: &str| {
            text(v)
                .map(|v| NaiveDate::parse_from_str(&v, "%Y-%m-%d"))
                .transpose()
        };
        let user_id = text(&self.user)
            .map(|u| Uuid::parse_str(&u))
            .transpose()
            .ok()?;
        let start = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        let since = date(&self.from).ok()?.map(start);
        let until = date(&self.to)
            .ok()?
            .map(|d| d.checked_add_signed(TimeDelta::days(1)).and_then(start));
        Some(EventFilter {
            user_id,
            kind: text(&self.kind),
            since: since.flatten(),
            until: until.flatten(),
            client_id: text(&self.client),
        })
    }

    /// The query string of these filters, without a cursor.
    fn filters_query(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("user", &self.user)
            .append_pair("client", &self.client)
            .append_pair("kind", &self.kind)
            .append_pair("from", &self.from)
            .append_pair("to", &self.to)
            .finish()
    }
}

/// One event as the page shows it.
pub struct EventRow {
    pub at: String,
    pub kind: String,
    pub actor: String,
    pub user_id: String,
    pub subject: String,
    pub client_id: String,
    pub details: String,
}

fn row(e: &StoredEvent) -> EventRow {
    let ev = &e.event;
    EventRow {
        at: when(ev.at),
        kind: ev.kind.clone(),
        actor: ev.actor.clone().unwrap_or_default(),
        user_id: ev.user_id.map(|u| u.to_string()).unwrap_or_default(),
        subject: ev.subject.clone().unwrap_or_default(),
        client_id: ev.client_id.clone().unwrap_or_default(),
        details: if ev.details.is_null() {
            String::new()
        } else {
            ev.details.to_string()
        },
    }
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
pub struct AuditPage<'a> {
    pub a: &'static AdminCatalogue,
    pub csrf: &'a str,
    pub nav: Nav,
    pub q: AuditQuery,
    pub events: Vec<EventRow>,
    /// The link to the next, older page.
    pub older: Option<String>,
    /// The CSV export of the same filters.
    pub export: String,
    pub problem: Option<&'a str>,
}

/// `GET /admin/audit`.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    query: web::Query<AuditQuery>,
) -> HttpResponse {
    let lang = Lang::resolve(&req, admin.user.locale.as_deref());
    let a = lang.a;
    let q = query.into_inner();
    let filters = q.filters_query();
    let mut page = AuditPage {
        a,
        csrf: &admin.csrf,
        nav: Nav::Audit,
        export: format!("/admin/audit.csv?{filters}"),
        q,
        events: Vec::new(),
        older: None,
        problem: None,
    };
    let Some(filter) = page.q.filter() else {
        page.problem = Some(a.audit_bad_filter);
        return render_with_status(StatusCode::BAD_REQUEST, &page);
    };
    let cursor = page.q.cursor.clone().filter(|c| !c.is_empty());
    match audit::list_events(&state.db, &filter, cursor.as_deref(), PAGE_SIZE).await {
        Ok(events) => {
            page.events = events.events.iter().map(row).collect();
            page.older = events.next_cursor.map(|c| {
                let cursor = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("cursor", &c)
                    .finish();
                format!("/admin/audit?{filters}&{cursor}")
            });
            render(&page)
        }
        Err(ListEventsError::BadCursor) => {
            page.problem = Some(a.audit_bad_filter);
            render_with_status(StatusCode::BAD_REQUEST, &page)
        }
        Err(ListEventsError::Unexpected(e)) => internal_error(&req, &e),
    }
}

/// `GET /admin/audit.csv`: every event the filters match, as CSV.
pub async fn csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    query: web::Query<AuditQuery>,
) -> HttpResponse {
    let lang = Lang::resolve(&req, admin.user.locale.as_deref());
    let Some(filter) = query.filter() else {
        return HttpResponse::BadRequest()
            .content_type(ContentType::plaintext())
            .body(lang.a.audit_bad_filter);
    };
    match audit::export_events(&state.db, &filter).await {
        Ok(events) => {
            let name = format!(
                "attachment; filename=\"ferrid-audit-{}.csv\"",
                state.clock.now().format("%Y%m%d-%H%M%S")
            );
            HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((CONTENT_DISPOSITION, name))
                .body(audit::to_csv(&events))
        }
        Err(e) => internal_error(&req, &e),
    }
}
