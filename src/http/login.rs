//! Handlers of the hosted SMS login pages.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::cookies::{self, CookieKind};
use super::errors::{error_page, internal_error, render_with_status};
use super::oidc::authorization_response;
use crate::login::{self, AfterSignIn, LoginTransaction, SendCodeOutcome, VerifyCodeOutcome};
use crate::messages::LanguagePreference;
use crate::startup::AppState;

#[derive(Template)]
#[template(path = "login/phone.html")]
struct PhonePage<'a> {
    app_name: &'a str,
    code_length: u8,
    csrf: &'a str,
    phone: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "login/code.html")]
struct CodePage<'a> {
    app_name: &'a str,
    csrf: &'a str,
    masked_phone: &'a str,
    code_length: u8,
    error: Option<&'a str>,
    notice: Option<&'a str>,
    /// Seconds before "send a new code" works.
    cooldown: u64,
    /// The challenge is expired or dead: only a new code helps.
    need_new_code: bool,
}

#[derive(Deserialize)]
pub struct PhoneForm {
    csrf: Option<String>,
    phone: Option<String>,
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: Option<String>,
    code: Option<String>,
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

#[derive(Deserialize)]
pub struct CodeQuery {
    sent: Option<String>,
}

/// The current transaction, or the page that says it is gone.
pub(super) async fn transaction(
    req: &HttpRequest,
    state: &AppState,
) -> Result<(String, LoginTransaction), HttpResponse> {
    let expired = || {
        error_page(
            req,
            StatusCode::BAD_REQUEST,
            "This sign-in has expired",
            "This sign-in expired or was already completed. Go back to the application and sign in again.",
        )
    };
    let Some(id) = cookies::read(state, req, CookieKind::Login) else {
        return Err(expired());
    };
    match login::load(state, &id).await {
        Ok(Some(tx)) => Ok((id, tx)),
        Ok(None) => Err(expired()),
        Err(e) => Err(internal_error(req, &e)),
    }
}

pub(super) fn csrf_failure(req: &HttpRequest) -> HttpResponse {
    error_page(
        req,
        StatusCode::FORBIDDEN,
        "This form has expired",
        "The form was out of date or did not come from this page. Go back, reload the page and try again.",
    )
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location))
        .finish()
}

/// The languages to write the SMS in: the request's `ui_locales`, then the browser's.
fn languages(req: &HttpRequest, tx: &LoginTransaction) -> LanguagePreference {
    let accept = req
        .headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    LanguagePreference::from_sources(None, tx.request.ui_locales.as_deref(), accept)
}

fn client_ip(req: &HttpRequest) -> Option<String> {
    // The peer address: X-Forwarded-For is not trusted, or anyone could
    // choose the address the per-IP limits count.
    req.peer_addr().map(|a| a.ip().to_string())
}

/// `GET /login`: the phone number page.
pub async fn phone_form(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let (id, tx) = match transaction(&req, &state).await {
        Ok(t) => t,
        Err(res) => return res,
    };
    let phone = tx
        .phone
        .as_ref()
        .map(|p| p.as_str().to_owned())
        .or_else(|| tx.request.login_hint.clone())
        .unwrap_or_default();
    phone_page(&state, &id, &tx, &phone, None, StatusCode::OK)
}

fn phone_page(
    state: &AppState,
    id: &str,
    tx: &LoginTransaction,
    phone: &str,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let csrf = login::csrf_token(state, id);
    render_with_status(
        status,
        &PhonePage {
            app_name: &tx.request.client_name,
            code_length: state
                .connection
                .last_code_length()
                .unwrap_or(state.settings.otp.length),
            csrf: &csrf,
            phone,
            error,
        },
    )
}

/// `POST /login/phone`: send a code to the number.
pub async fn phone(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<PhoneForm>,
) -> HttpResponse {
    let (id, tx) = match transaction(&req, &state).await {
        Ok(t) => t,
        Err(res) => return res,
    };
    if !login::check_csrf(&state, &id, form.csrf.as_deref()) {
        return csrf_failure(&req);
    }
    let input = form.phone.as_deref().unwrap_or("");
    let ip = client_ip(&req);
    match login::send_code(&state, &tx, input, ip.as_deref(), &languages(&req, &tx)).await {
        Ok(SendCodeOutcome::Sent { .. }) => see_other("/login/code"),
        Ok(SendCodeOutcome::InvalidPhone(e)) => {
            let message = capitalise(&e.to_string());
            phone_page(
                &state,
                &id,
                &tx,
                input,
                Some(&message),
                StatusCode::BAD_REQUEST,
            )
        }
        Ok(SendCodeOutcome::Refused(message)) => phone_page(
            &state,
            &id,
            &tx,
            input,
            Some(&capitalise(&message)),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Ok(SendCodeOutcome::NotDelivered) => phone_page(
            &state,
            &id,
            &tx,
            input,
            Some("We couldn't send a code to this number. Try again, or use another number."),
            StatusCode::BAD_GATEWAY,
        ),
        Ok(SendCodeOutcome::NoChallenge) => see_other("/login"),
        Err(e) => internal_error(&req, &e),
    }
}

/// `GET /login/code`: the code page.
pub async fn code_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<CodeQuery>,
) -> HttpResponse {
    let (id, tx) = match transaction(&req, &state).await {
        Ok(t) => t,
        Err(res) => return res,
    };
    let notice = query.sent.as_ref().map(|_| "We sent you a new code.");
    code_page(&state, &id, &tx, None, notice, false, StatusCode::OK).await
}

#[allow(clippy::too_many_arguments)]
async fn code_page(
    state: &AppState,
    id: &str,
    tx: &LoginTransaction,
    error: Option<&str>,
    notice: Option<&str>,
    need_new_code: bool,
    status: StatusCode,
) -> HttpResponse {
    let (Some(phone), Some(challenge_id)) = (&tx.phone, tx.challenge_id) else {
        return see_other("/login");
    };
    let cooldown = match crate::store::otp_challenges::find_by_id(&state.db, challenge_id).await {
        Ok(Some(c)) => state.otp.cooldown_left(c.last_sent_at, Utc::now()),
        _ => 0,
    };
    let csrf = login::csrf_token(state, id);
    let masked = phone.masked();
    render_with_status(
        status,
        &CodePage {
            app_name: &tx.request.client_name,
            csrf: &csrf,
            masked_phone: &masked,
            code_length: state
                .connection
                .last_code_length()
                .unwrap_or(state.settings.otp.length),
            error,
            notice,
            cooldown,
            need_new_code,
        },
    )
}

/// `POST /login/code`: check the code; on success back to the application.
pub async fn code(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CodeForm>,
) -> HttpResponse {
    let (id, tx) = match transaction(&req, &state).await {
        Ok(t) => t,
        Err(res) => return res,
    };
    if !login::check_csrf(&state, &id, form.csrf.as_deref()) {
        return csrf_failure(&req);
    }
    let outcome = login::verify_code(&state, &tx, form.code.as_deref().unwrap_or("")).await;
    let bad = StatusCode::BAD_REQUEST;
    match outcome {
        Ok(VerifyCodeOutcome::SignedIn {
            next,
            session_token,
        }) => {
            let session = cookies::make(
                &state,
                CookieKind::Session,
                session_token,
                state.settings.tokens.sso_session_ttl.0,
            );
            match next {
                AfterSignIn::Respond(response) => {
                    let mut res = authorization_response(&response, req.method());
                    let _ = res.add_cookie(&session);
                    let _ = res.add_cookie(&cookies::clear(&state, CookieKind::Login));
                    res
                }
                AfterSignIn::Consent => HttpResponse::SeeOther()
                    .cookie(session)
                    .insert_header((LOCATION, "/consent"))
                    .finish(),
            }
        }
        Ok(VerifyCodeOutcome::Malformed(message)) => {
            code_page(
                &state,
                &id,
                &tx,
                Some(&capitalise(&message)),
                None,
                false,
                bad,
            )
            .await
        }
        Ok(VerifyCodeOutcome::Wrong { attempts_left }) => {
            let message = if attempts_left == 1 {
                "That code is not correct. You have 1 attempt left.".to_owned()
            } else {
                format!("That code is not correct. You have {attempts_left} attempts left.")
            };
            code_page(&state, &id, &tx, Some(&message), None, false, bad).await
        }
        Ok(VerifyCodeOutcome::TooManyAttempts) => {
            let message = "Too many wrong codes. Request a new code to try again.";
            code_page(&state, &id, &tx, Some(message), None, true, bad).await
        }
        Ok(VerifyCodeOutcome::Expired) => {
            let message = "This code has expired. Request a new code.";
            code_page(&state, &id, &tx, Some(message), None, true, bad).await
        }
        Ok(VerifyCodeOutcome::NoChallenge) => see_other("/login"),
        Ok(VerifyCodeOutcome::NoAccount) => {
            let message = "There is no account for this number. Use another number.";
            phone_page(&state, &id, &tx, "", Some(message), StatusCode::FORBIDDEN)
        }
        Ok(VerifyCodeOutcome::Blocked) => error_page(
            &req,
            StatusCode::FORBIDDEN,
            "This account is blocked",
            "This account cannot sign in. Contact the application's support.",
        ),
        Err(e) => internal_error(&req, &e),
    }
}

/// `POST /login/resend`: a new code, after the cooldown.
pub async fn resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let (id, tx) = match transaction(&req, &state).await {
        Ok(t) => t,
        Err(res) => return res,
    };
    if !login::check_csrf(&state, &id, form.csrf.as_deref()) {
        return csrf_failure(&req);
    }
    let ip = client_ip(&req);
    match login::resend_code(&state, &tx, ip.as_deref(), &languages(&req, &tx)).await {
        Ok(SendCodeOutcome::Sent { .. }) => see_other("/login/code?sent=1"),
        Ok(SendCodeOutcome::Refused(message)) => {
            code_page(
                &state,
                &id,
                &tx,
                Some(&capitalise(&message)),
                None,
                false,
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await
        }
        Ok(SendCodeOutcome::NotDelivered) => {
            let message =
                "We couldn't send a code to this number. Try again, or use another number.";
            code_page(
                &state,
                &id,
                &tx,
                Some(message),
                None,
                false,
                StatusCode::BAD_GATEWAY,
            )
            .await
        }
        Ok(SendCodeOutcome::InvalidPhone(_) | SendCodeOutcome::NoChallenge) => see_other("/login"),
        Err(e) => internal_error(&req, &e),
    }
}

/// `POST /login/restart`: use a different number.
pub async fn restart(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let (id, tx) = match transaction(&req, &state).await {
        Ok(t) => t,
        Err(res) => return res,
    };
    if !login::check_csrf(&state, &id, form.csrf.as_deref()) {
        return csrf_failure(&req);
    }
    match login::restart(&state, &tx).await {
        Ok(()) => see_other("/login"),
        Err(e) => internal_error(&req, &e),
    }
}

fn capitalise(message: &str) -> String {
    let mut chars = message.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}
