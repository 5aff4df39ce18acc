//! Handlers of the hosted login's second factor: pick a factor, type its
//! code, and (when one is required and the user has none) set one up.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::finish::{completed, sign_in_answer, unmet, wrong_code};
use super::{Page, see_other};
use crate::app::AppState;
use crate::domain::{Connection, Factor};
use crate::http::client_ip::client_ip;
use crate::http::errors::{internal_error, render_with_status};
use crate::login::{
    self, ChooseOutcome, FactorChoice, SecondFactorPage, SignInContext, VerifyCodeOutcome,
};
use crate::messages::catalogue::{CATALOGUES, Catalogue, with_number};
use crate::messages::mfa_catalogue::{MfaCatalogue, mfa_catalogue_for};

#[derive(Template)]
#[template(path = "login/mfa_choose.html")]
struct ChoosePage<'a> {
    t: &'a Catalogue,
    m: &'a MfaCatalogue,
    languages: &'a [&'static Catalogue],
    here: &'static str,
    app_name: &'a str,
    csrf: &'a str,
    choices: Vec<(&'static str, String)>,
    enroll: bool,
    ready: bool,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "login/mfa_code.html")]
struct CodePage<'a> {
    t: &'a Catalogue,
    m: &'a MfaCatalogue,
    languages: &'a [&'static Catalogue],
    here: &'a str,
    app_name: &'a str,
    csrf: &'a str,
    factor: &'static str,
    label: String,
    /// Where the code went, for SMS and email.
    sent_to: Option<String>,
    /// Digits only (a sent code, an app's code) or a recovery code.
    numeric: bool,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct FactorQuery {
    factor: Option<String>,
    lang: Option<String>,
}

#[derive(Deserialize)]
pub struct FactorForm {
    csrf: Option<String>,
    factor: Option<String>,
    code: Option<String>,
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

/// `GET /login/mfa`: the factors to pick from.
pub async fn choose_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<FactorQuery>,
) -> HttpResponse {
    let page = match Page::open(&req, &state, query.lang.as_deref()).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    choose_page(&page, None, StatusCode::OK).await
}

async fn choose_page(page: &Page<'_>, error: Option<&str>, status: StatusCode) -> HttpResponse {
    let m = mfa_catalogue_for(page.t);
    let (choices, enroll, ready) = match login::second_factor_page(page.state, &page.tx).await {
        Ok(SecondFactorPage::NotHere) => return see_other("/login"),
        Ok(SecondFactorPage::Unmet) => return unmet(page),
        Ok(SecondFactorPage::Choose(choices)) => (choices, false, false),
        Ok(SecondFactorPage::Enroll) => (Vec::new(), true, false),
        Ok(SecondFactorPage::Ready) => (Vec::new(), false, true),
        Err(e) => return internal_error(page.req, &e),
    };
    let csrf = login::csrf_token(page.state, &page.id);
    page.finish(render_with_status(
        status,
        &ChoosePage {
            t: page.t,
            m,
            languages: &CATALOGUES,
            here: "/login/mfa",
            app_name: page.app_name(),
            csrf: &csrf,
            choices: choices
                .iter()
                .map(|c| (c.factor.as_str(), label(m, c)))
                .collect(),
            enroll,
            ready,
            error,
        },
    ))
}

/// The button text of a factor to pick.
fn label(m: &MfaCatalogue, choice: &FactorChoice) -> String {
    let hint = choice.hint.as_deref().unwrap_or("");
    match choice.factor {
        Factor::Totp => m.use_totp.to_owned(),
        Factor::Sms => m.use_sms.replace("{hint}", hint),
        Factor::Email => m.use_email.replace("{hint}", hint),
        Factor::RecoveryCode => m.use_recovery.to_owned(),
    }
}

/// `POST /login/mfa`: pick a factor; a code goes out for SMS and email.
pub async fn choose(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<FactorForm>,
) -> HttpResponse {
    let page = match Page::open_form(&req, &state, form.csrf.as_deref()).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let Some(factor) = form
        .factor
        .as_deref()
        .and_then(|f| f.parse::<Factor>().ok())
    else {
        return choose_page(&page, None, StatusCode::BAD_REQUEST).await;
    };
    let ip = client_ip(&req, &state.settings.trusted_proxies);
    match login::choose_factor(&state, &page.tx, factor, ip.as_deref(), &page.languages).await {
        Ok(ChooseOutcome::Ready | ChooseOutcome::Sent { .. }) => {
            see_other(&format!("/login/mfa/code?factor={}", factor.as_str()))
        }
        Ok(ChooseOutcome::Refused(reason)) => {
            let connection = match factor {
                Factor::Email => Connection::Email,
                _ => Connection::Sms,
            };
            let (text, status) = page.refusal(reason, connection);
            choose_page(&page, Some(&text), status).await
        }
        Ok(ChooseOutcome::NotDelivered) => {
            choose_page(&page, Some(page.t.not_delivered), StatusCode::BAD_GATEWAY).await
        }
        Ok(ChooseOutcome::NotOffered) => see_other("/login/mfa"),
        Err(e) => internal_error(&req, &e),
    }
}

/// `GET /login/mfa/code?factor=…`: the code field of the picked factor.
pub async fn code_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<FactorQuery>,
) -> HttpResponse {
    let page = match Page::open(&req, &state, query.lang.as_deref()).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    match query
        .factor
        .as_deref()
        .and_then(|f| f.parse::<Factor>().ok())
    {
        Some(factor) => code_page(&page, factor, None, StatusCode::OK),
        None => see_other("/login/mfa"),
    }
}

fn code_page(
    page: &Page<'_>,
    factor: Factor,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let m = mfa_catalogue_for(page.t);
    let length = page
        .state
        .connection
        .last_code_length()
        .unwrap_or(page.state.settings.otp.length);
    let (label, sent_to) = match factor {
        Factor::Totp => (m.totp_label.to_owned(), None),
        Factor::RecoveryCode => (m.recovery_label.to_owned(), None),
        Factor::Sms | Factor::Email => match &page.tx.recipient {
            Some(recipient) if page.tx.challenge_id.is_some() => (
                with_number(page.t.code_label, length),
                Some(recipient.masked()),
            ),
            // Nothing was sent for this factor yet.
            _ => return see_other("/login/mfa"),
        },
    };
    let csrf = login::csrf_token(page.state, &page.id);
    let here = format!("/login/mfa/code?factor={}", factor.as_str());
    page.finish(render_with_status(
        status,
        &CodePage {
            t: page.t,
            m,
            languages: &CATALOGUES,
            here: &here,
            app_name: page.app_name(),
            csrf: &csrf,
            factor: factor.as_str(),
            label,
            sent_to,
            numeric: factor != Factor::RecoveryCode,
            error,
        },
    ))
}

/// `POST /login/mfa/code`: check the second factor; on success back to
/// the application.
pub async fn code(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<FactorForm>,
) -> HttpResponse {
    let page = match Page::open_form(&req, &state, form.csrf.as_deref()).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let Some(factor) = form
        .factor
        .as_deref()
        .and_then(|f| f.parse::<Factor>().ok())
    else {
        return see_other("/login/mfa");
    };
    let ip = client_ip(&req, &state.settings.trusted_proxies);
    let context = sign_in_context(&req, ip.as_deref(), page.t.lang);
    let answer = sign_in_answer(&state, &page.tx);
    let code_input = form.code.as_deref().unwrap_or("");
    let outcome =
        match login::verify_second_factor(&state, &page.tx, factor, code_input, context, answer)
            .await
        {
            Ok(outcome) => outcome,
            Err(e) => return internal_error(&req, &e),
        };
    let outcome = match completed(&page, outcome) {
        Ok(res) => return res,
        Err(outcome) => outcome,
    };
    let (t, m) = (page.t, mfa_catalogue_for(page.t));
    let bad = StatusCode::BAD_REQUEST;
    match *outcome {
        VerifyCodeOutcome::Wrong { .. } if factor == Factor::RecoveryCode => {
            code_page(&page, factor, Some(m.wrong_recovery), bad)
        }
        VerifyCodeOutcome::Wrong { attempts_left } => {
            code_page(&page, factor, Some(&wrong_code(t, attempts_left)), bad)
        }
        VerifyCodeOutcome::Malformed => {
            let length = state
                .connection
                .last_code_length()
                .unwrap_or(state.settings.otp.length);
            let message = with_number(t.malformed_code, length);
            code_page(&page, factor, Some(&message), bad)
        }
        VerifyCodeOutcome::Replayed => code_page(&page, factor, Some(m.replayed), bad),
        VerifyCodeOutcome::TooManyAttempts => {
            choose_page(
                &page,
                Some(t.too_many_attempts),
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await
        }
        VerifyCodeOutcome::Expired => choose_page(&page, Some(t.code_expired), bad).await,
        _ => see_other("/login/mfa"),
    }
}

/// `POST /login/mfa/continue`: complete a sign-in whose factors are proved.
pub async fn continue_sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let page = match Page::open_form(&req, &state, form.csrf.as_deref()).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let ip = client_ip(&req, &state.settings.trusted_proxies);
    let context = sign_in_context(&req, ip.as_deref(), page.t.lang);
    let answer = sign_in_answer(&state, &page.tx);
    match login::continue_sign_in(&state, &page.tx, context, answer).await {
        Ok(outcome) => match completed(&page, outcome) {
            Ok(res) => res,
            Err(_) => see_other("/login/mfa"),
        },
        Err(e) => internal_error(&req, &e),
    }
}

pub(super) fn sign_in_context<'a>(
    req: &'a HttpRequest,
    ip: Option<&'a str>,
    locale: &'static str,
) -> SignInContext<'a> {
    SignInContext {
        ip,
        user_agent: req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok()),
        locale: Some(locale),
    }
}
