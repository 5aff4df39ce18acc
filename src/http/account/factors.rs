//! Handlers of the second-factor part of the account pages: the
//! authenticator app (add, confirm with its first code, remove) and
//! recovery codes (generate, shown once).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::super::errors::{internal_error, render_with_status};
use super::SignedIn;
use super::ctx::{CodeForm, CsrfForm, Ctx, Input, PageQuery, open, see_other};
use crate::account::{self, TotpConfirmed};
use crate::factors::FactorCheck;
use crate::messages::account_catalogue::AccountCatalogue;
use crate::messages::account_factors_catalogue::AccountFactorStrings;
use crate::messages::catalogue::{CATALOGUES, Catalogue, with_number};

#[derive(Template)]
#[template(path = "account/totp.html")]
pub struct TotpPage<'a> {
    pub a: &'a AccountCatalogue,
    pub f: &'a AccountFactorStrings,
    pub t: &'a Catalogue,
    pub languages: &'a [&'static Catalogue],
    pub here: &'static str,
    pub csrf: &'a str,
    /// The QR code, an SVG element made by ferrid (no user input).
    pub qr_svg: &'a str,
    /// The secret in base32, grouped.
    pub secret: &'a str,
    pub error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "account/recovery_codes.html")]
pub struct RecoveryCodesPage<'a> {
    pub f: &'a AccountFactorStrings,
    pub t: &'a Catalogue,
    pub codes: &'a [String],
}

/// `POST /account/totp`: start adding an authenticator app.
pub async fn add_totp(
    req: HttpRequest,
    state: web::Data<crate::app::AppState>,
    signed_in: SignedIn,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let ctx = open!(Ctx::form(&req, &state, &signed_in, form.csrf.as_deref()));
    match account::add_totp(&ctx.request()).await {
        Ok(gated) => ctx.gated(gated, Input::Phone("")).await,
        Err(e) => internal_error(&req, &e),
    }
}

/// `GET /account/totp`: the QR code and key of the app being added.
pub async fn totp_form(
    req: HttpRequest,
    state: web::Data<crate::app::AppState>,
    signed_in: SignedIn,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    let ctx = open!(Ctx::open(&req, &state, &signed_in, query.lang.as_deref()));
    totp_page(&req, &ctx, None, StatusCode::OK).await
}

async fn totp_page(
    req: &HttpRequest,
    ctx: &Ctx<'_>,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let pending = match account::pending_totp(&ctx.request()).await {
        Ok(Some(pending)) => pending,
        Ok(None) => return see_other("/account"),
        Err(e) => return internal_error(req, &e),
    };
    let a = ctx.lang.a;
    let page = TotpPage {
        a,
        f: ctx.lang.f(),
        t: a.t,
        languages: &CATALOGUES,
        here: "/account/totp",
        csrf: ctx.csrf(),
        qr_svg: &pending.qr_svg,
        secret: &pending.secret_base32,
        error,
    };
    ctx.lang
        .finish(ctx.state(), render_with_status(status, &page))
}

/// `POST /account/totp/confirm`: the first code from the app saves it.
pub async fn confirm_totp(
    req: HttpRequest,
    state: web::Data<crate::app::AppState>,
    signed_in: SignedIn,
    form: web::Form<CodeForm>,
) -> HttpResponse {
    let ctx = open!(Ctx::form(&req, &state, &signed_in, form.csrf.as_deref()));
    let code = form.code.as_deref().unwrap_or("");
    match account::confirm_totp(&ctx.request(), code).await {
        Ok(TotpConfirmed::Added) => see_other("/account?notice=totp_added"),
        Ok(TotpConfirmed::Refused(check)) => {
            let text = check_problem(&ctx, check);
            totp_page(&req, &ctx, Some(&text), StatusCode::BAD_REQUEST).await
        }
        Ok(TotpConfirmed::NothingPending) => {
            ctx.overview(
                None,
                Some(ctx.lang.f().start_again),
                "",
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => internal_error(&req, &e),
    }
}

/// A second-factor code that proved nothing, in words.
fn check_problem(ctx: &Ctx<'_>, check: FactorCheck) -> String {
    let t = ctx.lang.t();
    match check {
        FactorCheck::Wrong { attempts_left: 1 } => t.wrong_code_one.to_owned(),
        FactorCheck::Wrong { attempts_left } => with_number(t.wrong_code_many, attempts_left),
        FactorCheck::Replayed => ctx.lang.f().code_used.to_owned(),
        FactorCheck::Locked => t.too_many_attempts.to_owned(),
        FactorCheck::Accepted | FactorCheck::NotEnrolled => ctx.lang.f().start_again.to_owned(),
    }
}

/// `POST /account/totp/remove`.
pub async fn remove_totp(
    req: HttpRequest,
    state: web::Data<crate::app::AppState>,
    signed_in: SignedIn,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let ctx = open!(Ctx::form(&req, &state, &signed_in, form.csrf.as_deref()));
    match account::remove_totp(&ctx.request()).await {
        Ok(gated) => ctx.gated(gated, Input::Phone("")).await,
        Err(e) => internal_error(&req, &e),
    }
}

/// `POST /account/recovery-codes`: a new set, shown once.
pub async fn recovery_codes(
    req: HttpRequest,
    state: web::Data<crate::app::AppState>,
    signed_in: SignedIn,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let ctx = open!(Ctx::form(&req, &state, &signed_in, form.csrf.as_deref()));
    match account::generate_recovery_codes(&ctx.request()).await {
        Ok(gated) => ctx.gated(gated, Input::Phone("")).await,
        Err(e) => internal_error(&req, &e),
    }
}
