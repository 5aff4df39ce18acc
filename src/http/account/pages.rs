//! Handlers of the signed-in account pages: parse, call one use case, map
//! its outcome to a page or a redirect.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::super::errors::{internal_error, render_with_status};
use super::SignedIn;
use super::ctx::{CsrfForm, Ctx, EmailForm, Input, PageQuery, PhoneForm, open, see_other};
use super::view::{ActivityPage, activity_row};
use crate::account::{self, ConsentRevoked, SessionRevoked};
use crate::app::AppState;
use crate::messages::catalogue::CATALOGUES;

/// `GET /account`: "Privacy & Security".
pub async fn overview(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    let ctx = open!(Ctx::open(&req, &state, &signed_in, query.lang.as_deref()));
    let a = ctx.lang.a;
    let notice = match query.notice.as_deref() {
        Some("phone_saved") => Some(a.phone_saved),
        Some("phone_removed") => Some(a.phone_removed),
        Some("others_signed_out") => Some(a.others_signed_out),
        Some("session_signed_out") => Some(a.session_signed_out),
        Some("app_revoked") => Some(a.app_revoked),
        Some("email_saved") => Some(ctx.lang.e().email_saved),
        Some("email_removed") => Some(ctx.lang.e().email_removed),
        Some("totp_added") => Some(ctx.lang.f().totp_added),
        Some("totp_removed") => Some(ctx.lang.f().totp_removed),
        _ => None,
    };
    ctx.overview(notice, None, "", StatusCode::OK).await
}

/// `POST /account/phone`: add or change the number.
pub async fn phone(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn,
    form: web::Form<PhoneForm>,
) -> HttpResponse {
    let ctx = open!(Ctx::form(&req, &state, &signed_in, form.csrf.as_deref()));
    let input = form.phone.as_deref().unwrap_or("");
    match account::change_phone(&ctx.request(), input).await {
        Ok(gated) => ctx.gated(gated, Input::Phone(input)).await,
        Err(e) => internal_error(&req, &e),
    }
}

/// `POST /account/phone/remove`.
pub async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let ctx = open!(Ctx::form(&req, &state, &signed_in, form.csrf.as_deref()));
    match account::remove_phone(&ctx.request()).await {
        Ok(gated) => ctx.gated(gated, Input::Phone("")).await,
        Err(e) => internal_error(&req, &e),
    }
}

/// `POST /account/email`: add or change the address.
pub async fn email(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn,
    form: web::Form<EmailForm>,
) -> HttpResponse {
    let ctx = open!(Ctx::form(&req, &state, &signed_in, form.csrf.as_deref()));
    let input = form.email.as_deref().unwrap_or("");
    match account::change_email(&ctx.request(), input).await {
        Ok(gated) => ctx.gated(gated, Input::Email(input)).await,
        Err(e) => internal_error(&req, &e),
    }
}

/// `POST /account/email/remove`.
pub async fn remove_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let ctx = open!(Ctx::form(&req, &state, &signed_in, form.csrf.as_deref()));
    match account::remove_email(&ctx.request()).await {
        Ok(gated) => ctx.gated(gated, Input::Phone("")).await,
        Err(e) => internal_error(&req, &e),
    }
}

/// `POST /account/sessions/{id}/revoke`.
pub async fn revoke_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let ctx = open!(Ctx::form(&req, &state, &signed_in, form.csrf.as_deref()));
    match account::revoke_session(&ctx.request(), &path).await {
        Ok(SessionRevoked::Revoked) => see_other("/account?notice=session_signed_out"),
        Ok(SessionRevoked::NotFound) => {
            ctx.overview(
                None,
                Some(ctx.lang.a.session_not_found),
                "",
                StatusCode::NOT_FOUND,
            )
            .await
        }
        Err(e) => internal_error(&req, &e),
    }
}

/// `POST /account/sessions/revoke-others`.
pub async fn revoke_others(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let ctx = open!(Ctx::form(&req, &state, &signed_in, form.csrf.as_deref()));
    match account::revoke_others(&ctx.request()).await {
        Ok(gated) => ctx.gated(gated, Input::Phone("")).await,
        Err(e) => internal_error(&req, &e),
    }
}

/// `POST /account/consents/{client_id}/revoke`.
pub async fn revoke_consent(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let ctx = open!(Ctx::form(&req, &state, &signed_in, form.csrf.as_deref()));
    match account::revoke_consent(&ctx.request(), &path).await {
        Ok(ConsentRevoked::Revoked) => see_other("/account?notice=app_revoked"),
        Ok(ConsentRevoked::NotFound) => {
            ctx.overview(
                None,
                Some(ctx.lang.a.app_not_found),
                "",
                StatusCode::NOT_FOUND,
            )
            .await
        }
        Err(e) => internal_error(&req, &e),
    }
}

/// `GET /account/activity`: the user's security events of the last 30 days.
pub async fn activity(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    let ctx = open!(Ctx::open(&req, &state, &signed_in, query.lang.as_deref()));
    let a = ctx.lang.a;
    let entries = match account::activity(&state, &signed_in.me).await {
        Ok(entries) => entries,
        Err(e) => return internal_error(&req, &e),
    };
    let page = ActivityPage {
        a,
        t: a.t,
        languages: &CATALOGUES,
        here: "/account/activity",
        rows: entries.into_iter().map(|e| activity_row(a, e)).collect(),
    };
    ctx.lang
        .finish(&state, render_with_status(StatusCode::OK, &page))
}
