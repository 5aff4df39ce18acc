//! Handlers of setting up an authenticator app during a sign-in that
//! requires a second factor the user does not have yet.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::finish::{completed, sign_in_answer, wrong_code};
use super::second_factor::sign_in_context;
use super::{Page, see_other};
use crate::app::AppState;
use crate::factors::TotpEnrollment;
use crate::http::client_ip::client_ip;
use crate::http::errors::{internal_error, render_with_status};
use crate::login::{self, EnrollPage as Enrolling, VerifyCodeOutcome};
use crate::messages::catalogue::{CATALOGUES, Catalogue, with_number};
use crate::messages::mfa_catalogue::{MfaCatalogue, mfa_catalogue_for};

#[derive(Template)]
#[template(path = "login/mfa_enroll.html")]
struct EnrollPage<'a> {
    t: &'a Catalogue,
    m: &'a MfaCatalogue,
    languages: &'a [&'static Catalogue],
    here: &'static str,
    app_name: &'a str,
    csrf: &'a str,
    secret: &'a str,
    qr_svg: &'a str,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: Option<String>,
    code: Option<String>,
}

fn enroll_page(
    page: &Page<'_>,
    enrollment: &TotpEnrollment,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let csrf = login::csrf_token(page.state, &page.id);
    page.finish(render_with_status(
        status,
        &EnrollPage {
            t: page.t,
            m: mfa_catalogue_for(page.t),
            languages: &CATALOGUES,
            here: "/login/mfa/enroll",
            app_name: page.app_name(),
            csrf: &csrf,
            secret: &enrollment.secret_base32,
            qr_svg: &enrollment.qr_svg,
            error,
        },
    ))
}

/// `POST /login/mfa/enroll`: a new secret for the app to scan.
pub async fn enroll(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let page = match Page::open_form(&req, &state, form.csrf.as_deref()).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    match login::start_enrollment(&state, &page.tx).await {
        Ok(Enrolling::Enrolling(_)) => see_other("/login/mfa/enroll"),
        Ok(Enrolling::NotHere) => see_other("/login/mfa"),
        Err(e) => internal_error(&req, &e),
    }
}

/// `GET /login/mfa/enroll`: the secret waiting for its first code.
pub async fn enroll_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LangQuery>,
) -> HttpResponse {
    let page = match Page::open(&req, &state, query.lang.as_deref()).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    match login::pending_enrollment(&state, &page.tx).await {
        Ok(Enrolling::Enrolling(enrollment)) => {
            enroll_page(&page, &enrollment, None, StatusCode::OK)
        }
        Ok(Enrolling::NotHere) => see_other("/login/mfa"),
        Err(e) => internal_error(&req, &e),
    }
}

/// `POST /login/mfa/enroll/confirm`: the app's first code; when right,
/// back to the application signed in with both factors.
pub async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CodeForm>,
) -> HttpResponse {
    let page = match Page::open_form(&req, &state, form.csrf.as_deref()).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let ip = client_ip(&req, &state.settings.trusted_proxies);
    let context = sign_in_context(&req, ip.as_deref(), page.t.lang);
    let answer = sign_in_answer(&state, &page.tx);
    let code_input = form.code.as_deref().unwrap_or("");
    let outcome =
        match login::confirm_enrollment(&state, &page.tx, code_input, context, answer).await {
            Ok(outcome) => outcome,
            Err(e) => return internal_error(&req, &e),
        };
    let outcome = match completed(&page, outcome) {
        Ok(res) => return res,
        Err(outcome) => outcome,
    };
    let (t, m) = (page.t, mfa_catalogue_for(page.t));
    let error = match *outcome {
        VerifyCodeOutcome::Wrong { attempts_left } => wrong_code(t, attempts_left),
        VerifyCodeOutcome::Replayed => m.replayed.to_owned(),
        VerifyCodeOutcome::TooManyAttempts => t.too_many_attempts.to_owned(),
        VerifyCodeOutcome::Malformed => with_number(t.malformed_code, 6),
        _ => return see_other("/login/mfa"),
    };
    match login::pending_enrollment(&state, &page.tx).await {
        Ok(Enrolling::Enrolling(enrollment)) => {
            enroll_page(&page, &enrollment, Some(&error), StatusCode::BAD_REQUEST)
        }
        Ok(Enrolling::NotHere) => see_other("/login/mfa"),
        Err(e) => internal_error(&req, &e),
    }
}
