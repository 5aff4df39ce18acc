//! The outbox: deliveries with their status, attempts and last error
//! (never their bodies), and retrying or giving one up.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::super::errors::{internal_error, render_with_status};
use super::super::login::csrf_failure;
use super::view::{Lang, Nav, when};
use super::{AdminUser, see_other};
use crate::admin::outbox::{self, OutboxEntry};
use crate::app::AppState;
use crate::email::{AbandonError, RetryError};
use crate::messages::admin_catalogue::AdminCatalogue;

/// One delivery as the page lists it.
pub struct DeliveryRow {
    pub id: String,
    pub channel: String,
    pub to: String,
    pub usage: String,
    pub status: &'static str,
    pub attempts: u32,
    pub last_error: String,
    pub created: String,
    pub retryable: bool,
    pub abandonable: bool,
}

impl DeliveryRow {
    fn of(e: &OutboxEntry) -> Self {
        use crate::domain::OutboxStatus::*;
        Self {
            id: e.id.to_string(),
            channel: e.channel.clone(),
            to: e.to.clone(),
            usage: e.usage.clone(),
            status: e.status.as_str(),
            attempts: e.attempts,
            last_error: e.last_error.clone().unwrap_or_default(),
            created: when(e.created_at),
            retryable: matches!(e.status, Queued | Failed | Abandoned),
            abandonable: matches!(e.status, Queued | Failed),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/outbox.html")]
pub struct OutboxPage<'a> {
    pub a: &'static AdminCatalogue,
    pub csrf: &'a str,
    pub nav: Nav,
    pub rows: Vec<DeliveryRow>,
    pub notice: Option<&'static str>,
    pub problem: Option<String>,
}

#[derive(Deserialize)]
pub struct OutboxQuery {
    notice: Option<String>,
}

async fn page(
    req: &HttpRequest,
    state: &AppState,
    admin: &AdminUser,
    notice: Option<&'static str>,
    problem: Option<String>,
    status: StatusCode,
) -> HttpResponse {
    let a = Lang::resolve(req, admin.user.locale.as_deref()).a;
    match outbox::list(&state.db, None).await {
        Ok(entries) => render_with_status(
            status,
            &OutboxPage {
                a,
                csrf: &admin.csrf,
                nav: Nav::Outbox,
                rows: entries.iter().map(DeliveryRow::of).collect(),
                notice,
                problem,
            },
        ),
        Err(e) => internal_error(req, &e),
    }
}

/// `GET /admin/outbox`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    query: web::Query<OutboxQuery>,
) -> HttpResponse {
    let a = Lang::resolve(&req, admin.user.locale.as_deref()).a;
    let notice = match query.notice.as_deref() {
        Some("retried") => Some(a.outbox_retried),
        Some("abandoned") => Some(a.outbox_abandoned),
        _ => None,
    };
    page(&req, &state, &admin, notice, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

/// `POST /admin/outbox/{id}/retry`.
pub async fn retry(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    if !admin.csrf_ok(form.csrf.as_deref()) {
        return csrf_failure(&req);
    }
    let a = Lang::resolve(&req, admin.user.locale.as_deref()).a;
    let Ok(id) = Uuid::parse_str(&path) else {
        let problem = Some(a.outbox_unknown.to_owned());
        return page(&req, &state, &admin, None, problem, StatusCode::NOT_FOUND).await;
    };
    let now = state.clock.now();
    match outbox::retry_as(&state.db, admin.user.id, id, now).await {
        Ok(_) => see_other("/admin/outbox?notice=retried"),
        Err(RetryError::Store(e)) => internal_error(&req, &e.into()),
        Err(e) => {
            let status = match e {
                RetryError::Unknown(_) => StatusCode::NOT_FOUND,
                _ => StatusCode::CONFLICT,
            };
            page(&req, &state, &admin, None, Some(e.to_string()), status).await
        }
    }
}

/// `POST /admin/outbox/{id}/abandon`.
pub async fn abandon(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    if !admin.csrf_ok(form.csrf.as_deref()) {
        return csrf_failure(&req);
    }
    let a = Lang::resolve(&req, admin.user.locale.as_deref()).a;
    let Ok(id) = Uuid::parse_str(&path) else {
        let problem = Some(a.outbox_unknown.to_owned());
        return page(&req, &state, &admin, None, problem, StatusCode::NOT_FOUND).await;
    };
    let now = state.clock.now();
    match outbox::abandon_as(&state.db, admin.user.id, id, now).await {
        Ok(()) => see_other("/admin/outbox?notice=abandoned"),
        Err(AbandonError::Store(e)) => internal_error(&req, &e.into()),
        Err(e) => {
            let status = match e {
                AbandonError::Unknown(_) => StatusCode::NOT_FOUND,
                _ => StatusCode::CONFLICT,
            };
            page(&req, &state, &admin, None, Some(e.to_string()), status).await
        }
    }
}
