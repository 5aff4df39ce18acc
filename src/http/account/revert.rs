//! `/account/revert/{token}`: the "this wasn't me" link, reachable without
//! being signed in. `GET` shows what it would undo and changes nothing.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::super::client_ip::client_ip;
use super::super::cookies::{self, CookieKind};
use super::super::errors::{internal_error, render_with_status};
use super::super::login::csrf_failure;
use super::view::{Lang, RevertPage};
use crate::account::{self, Change, RevertOutcome, RevertView};
use crate::app::AppState;
use crate::messages::account_catalogue::AccountCatalogue;
use crate::messages::account_email_catalogue::email_strings_for;

#[derive(Deserialize)]
pub struct RevertForm {
    csrf: Option<String>,
}

/// The change in words, masked.
fn describe(a: &AccountCatalogue, change: &Change) -> String {
    let (previous, new) = change.masked();
    let e = email_strings_for(a.t.lang);
    let text = match change {
        Change::PhoneAdded { .. } => a.revert_phone_added,
        Change::PhoneChanged { .. } => a.revert_phone_changed,
        Change::PhoneRemoved { .. } => a.revert_phone_removed,
        Change::EmailAdded { .. } => e.revert_added,
        Change::EmailChanged { .. } => e.revert_changed,
        Change::EmailRemoved { .. } => e.revert_removed,
    };
    text.replace("{previous}", previous.as_deref().unwrap_or(""))
        .replace("{new}", new.as_deref().unwrap_or(""))
}

fn message(a: &AccountCatalogue, text: &str, status: StatusCode) -> HttpResponse {
    render_with_status(
        status,
        &RevertPage {
            a,
            t: a.t,
            description: None,
            csrf: "",
            action: String::new(),
            message: Some(text),
        },
    )
}

/// `GET /account/revert/{token}`: the confirmation page.
pub async fn confirm_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> HttpResponse {
    let lang = Lang::resolve(&req, None, None);
    let a = lang.a;
    match account::revert_view(&state, &token).await {
        Ok(RevertView::Confirm(change)) => {
            let csrf = account::revert_csrf(&state, &token);
            render_with_status(
                StatusCode::OK,
                &RevertPage {
                    a,
                    t: a.t,
                    description: Some(describe(a, &change)),
                    csrf: &csrf,
                    action: format!("/account/revert/{}", token.as_str()),
                    message: None,
                },
            )
        }
        Ok(RevertView::AlreadyUsed) => message(a, a.revert_used, StatusCode::CONFLICT),
        Ok(RevertView::Invalid) => message(a, a.revert_invalid, StatusCode::NOT_FOUND),
        Err(e) => internal_error(&req, &e),
    }
}

/// `POST /account/revert/{token}`: undo, end every session, sign in again.
pub async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: web::Form<RevertForm>,
) -> HttpResponse {
    if !account::check_revert_csrf(&state, &token, form.csrf.as_deref()) {
        return csrf_failure(&req);
    }
    let lang = Lang::resolve(&req, None, None);
    let a = lang.a;
    let ip = client_ip(&req, &state.settings.trusted_proxies);
    match account::revert(&state, &token, ip.as_deref()).await {
        Ok(RevertOutcome::Reverted) => HttpResponse::SeeOther()
            .cookie(cookies::clear(&state, CookieKind::Session))
            .insert_header((LOCATION, "/account/signin"))
            .finish(),
        Ok(RevertOutcome::AlreadyUsed) => message(a, a.revert_used, StatusCode::CONFLICT),
        Ok(RevertOutcome::Invalid) => message(a, a.revert_invalid, StatusCode::NOT_FOUND),
        Err(e) => internal_error(&req, &e),
    }
}
