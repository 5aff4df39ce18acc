//! Setting up an authenticator app during a sign-in that requires a second
//! factor the user does not have: `POST /login/mfa/enroll` shows the QR
//! code and the key, `POST /login/mfa/enroll/confirm` takes the app's
//! first code and shows the recovery codes once.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::finish::wrong_code;
use super::{CsrfForm, Page, see_other};
use crate::app::AppState;
use crate::factors::{FactorCheck, TotpEnrollment};
use crate::http::client_ip::client_ip;
use crate::http::errors::{internal_error, render_with_status};
use crate::login::{self, EnrollConfirm, EnrollStart};
use crate::messages::catalogue::Catalogue;
use crate::messages::mfa_catalogue::{MfaCatalogue, mfa_catalogue_for};

#[derive(Template)]
#[template(path = "login/mfa_enroll.html")]
struct EnrollPage<'a> {
    t: &'a Catalogue,
    m: &'a MfaCatalogue,
    app_name: &'a str,
    csrf: &'a str,
    qr_svg: &'a str,
    secret: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "login/mfa_recovery_codes.html")]
struct RecoveryCodesPage<'a> {
    t: &'a Catalogue,
    m: &'a MfaCatalogue,
    app_name: &'a str,
    csrf: &'a str,
    codes: &'a [String],
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
            app_name: page.app_name(),
            csrf: &csrf,
            qr_svg: &enrollment.qr_svg,
            secret: &enrollment.secret_base32,
            error,
        },
    ))
}

/// `POST /login/mfa/enroll`: the app to scan.
pub async fn enroll(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let page = match Page::open_form(&req, &state, form.csrf.as_deref()).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    match login::start_app_enrollment(&state, &page.tx).await {
        Ok(EnrollStart::Started(enrollment)) => {
            enroll_page(&page, &enrollment, None, StatusCode::OK)
        }
        Ok(EnrollStart::NotHere) => see_other("/login/mfa"),
        Err(e) => internal_error(&req, &e),
    }
}

/// `POST /login/mfa/enroll/confirm`: the app's first code.
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
    let code = form.code.as_deref().unwrap_or("");
    let confirmed =
        login::confirm_app_enrollment(&state, &page.tx, code, ip.as_deref(), &page.languages).await;
    let check = match confirmed {
        Ok(EnrollConfirm::Added { recovery_codes }) if recovery_codes.is_empty() => {
            return see_other("/login/mfa");
        }
        Ok(EnrollConfirm::Added { recovery_codes }) => {
            let csrf = login::csrf_token(&state, &page.id);
            return page.finish(render_with_status(
                StatusCode::OK,
                &RecoveryCodesPage {
                    t: page.t,
                    m: mfa_catalogue_for(page.t),
                    app_name: page.app_name(),
                    csrf: &csrf,
                    codes: &recovery_codes,
                },
            ));
        }
        Ok(EnrollConfirm::NotHere) => return see_other("/login/mfa"),
        Ok(EnrollConfirm::Refused(check)) => check,
        Err(e) => return internal_error(&req, &e),
    };
    let t = page.t;
    let error = match check {
        FactorCheck::Wrong { attempts_left } => wrong_code(t, attempts_left),
        FactorCheck::Locked => t.too_many_attempts.to_owned(),
        FactorCheck::Replayed => mfa_catalogue_for(t).replayed.to_owned(),
        FactorCheck::Accepted | FactorCheck::NotEnrolled => return see_other("/login/mfa"),
    };
    match login::pending_app_enrollment(&state, &page.tx).await {
        Ok(Some(enrollment)) => {
            enroll_page(&page, &enrollment, Some(&error), StatusCode::BAD_REQUEST)
        }
        Ok(None) => see_other("/login/mfa"),
        Err(e) => internal_error(&req, &e),
    }
}
