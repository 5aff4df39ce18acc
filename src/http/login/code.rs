//! The code page: `GET|POST /login/code`, `POST /login/resend` and
//! `POST /login/restart`, whichever way the code went.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::finish::{completed, sign_in_answer, wrong_code};
use super::{CsrfForm, Page, PageQuery, see_other};
use crate::app::AppState;
use crate::domain::{Connection, Recipient};
use crate::http::client_ip::client_ip;
use crate::http::errors::{internal_error, render_with_status};
use crate::login::{self, SendCodeOutcome, SignInContext, VerifyCodeOutcome};
use crate::messages::catalogue::{CATALOGUES, Catalogue, with_number};

#[derive(Template)]
#[template(path = "login/code.html")]
struct CodePage<'a> {
    t: &'a Catalogue,
    languages: &'a [&'static Catalogue],
    here: &'static str,
    app_name: &'a str,
    csrf: &'a str,
    /// "We sent a code to" (SMS) or "We emailed a code to".
    sent_to: &'a str,
    /// The number or address the code went to, masked.
    masked: &'a str,
    /// "Use a different number" or "… address".
    different: &'a str,
    code_length: u8,
    code_label: String,
    /// "You can request a new code in {n} seconds." around the countdown:
    /// the text before and after `{n}`, escaped by the template.
    resend_in: (&'a str, &'a str),
    error: Option<&'a str>,
    notice: Option<&'a str>,
    /// Seconds before "send a new code" works.
    cooldown: u64,
    /// The challenge is expired or dead: only a new code helps.
    need_new_code: bool,
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: Option<String>,
    code: Option<String>,
}

impl Page<'_> {
    /// Where the transaction's code went: by SMS or by email.
    fn channel(&self) -> Connection {
        self.tx
            .recipient
            .as_ref()
            .map_or(Connection::Sms, Recipient::connection)
    }

    fn code_page(
        &self,
        error: Option<&str>,
        notice: Option<&str>,
        need_new_code: bool,
        status: StatusCode,
    ) -> HttpResponse {
        let (Some(recipient), Some(_)) = (&self.tx.recipient, self.tx.challenge_id) else {
            return see_other("/login");
        };
        let cooldown = login::resend_cooldown(self.state, &self.tx);
        let length = self.code_length();
        let csrf = login::csrf_token(self.state, &self.id);
        let masked = recipient.masked();
        let (sent_to, different) = match recipient.connection() {
            Connection::Sms => (self.t.sent_to, self.t.different_number),
            Connection::Email => (self.e.emailed_to, self.e.different_address),
        };
        self.finish(render_with_status(
            status,
            &CodePage {
                t: self.t,
                languages: &CATALOGUES,
                here: "/login/code",
                app_name: self.app_name(),
                csrf: &csrf,
                sent_to,
                masked: &masked,
                different,
                code_length: length,
                code_label: with_number(self.t.code_label, length),
                resend_in: self
                    .t
                    .resend_in
                    .split_once("{n}")
                    .unwrap_or((self.t.resend_in, "")),
                error,
                notice,
                cooldown,
                need_new_code,
            },
        ))
    }

    /// The page to type a number or an address again, with `error`: the
    /// one the code went through, else the one the sign-in starts on.
    async fn retype_page(&self, error: &str, status: StatusCode) -> HttpResponse {
        let factors = match self.factors().await {
            Ok(f) => f,
            Err(res) => return res,
        };
        match self.channel() {
            Connection::Email if factors.offers(Connection::Email) => {
                let here = if factors.offers(Connection::Sms) {
                    "/login/email"
                } else {
                    "/login"
                };
                self.email_page(&factors, here, "", Some(error), status)
            }
            Connection::Sms if factors.offers(Connection::Sms) => {
                self.phone_page(&factors, "", Some(error), status)
            }
            _ => self.start_page(&factors, Some(error), status),
        }
    }
}

/// `GET /login/code`: the code page.
pub async fn code_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    let page = match Page::open(&req, &state, query.lang.as_deref()).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    if page.tx.user_id.is_some() {
        return see_other("/login/mfa");
    }
    let notice = query.sent.as_ref().map(|_| page.t.new_code_sent);
    page.code_page(None, notice, false, StatusCode::OK)
}

/// `POST /login/code`: check the code; on success back to the application.
pub async fn code(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CodeForm>,
) -> HttpResponse {
    let page = match Page::open_form(&req, &state, form.csrf.as_deref()).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let t = page.t;
    let bad = StatusCode::BAD_REQUEST;
    let ip = client_ip(&req, &state.settings.trusted_proxies);
    let code_input = form.code.as_deref().unwrap_or("");
    let answer = sign_in_answer(&state, &page.tx);
    let user_agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let context = SignInContext {
        ip: ip.as_deref(),
        user_agent,
        locale: Some(t.lang),
    };
    let outcome = match login::verify_code(&state, &page.tx, code_input, context, answer).await {
        Ok(outcome) => outcome,
        Err(e) => return internal_error(&req, &e),
    };
    let outcome = match completed(&page, outcome) {
        Ok(res) => return res,
        Err(outcome) => outcome,
    };
    match *outcome {
        VerifyCodeOutcome::Malformed => {
            let malformed = match page.channel() {
                Connection::Sms => t.malformed_code,
                Connection::Email => page.e.malformed_code,
            };
            let message = with_number(malformed, page.code_length());
            page.code_page(Some(&message), None, false, bad)
        }
        VerifyCodeOutcome::Wrong { attempts_left } => {
            let message = wrong_code(t, attempts_left);
            page.code_page(Some(&message), None, false, bad)
        }
        VerifyCodeOutcome::TooManyAttempts => {
            page.code_page(Some(t.too_many_attempts), None, true, bad)
        }
        // A first factor's code is never an authenticator app's.
        VerifyCodeOutcome::Expired | VerifyCodeOutcome::Replayed => {
            page.code_page(Some(t.code_expired), None, true, bad)
        }
        VerifyCodeOutcome::NoChallenge => see_other("/login"),
        VerifyCodeOutcome::NoAccount => {
            let message = match page.channel() {
                Connection::Sms => t.no_account,
                Connection::Email => page.e.no_account,
            };
            page.retype_page(message, StatusCode::FORBIDDEN).await
        }
        // Answered by `completed`.
        VerifyCodeOutcome::SignedIn { .. }
        | VerifyCodeOutcome::SecondFactor
        | VerifyCodeOutcome::Unmet
        | VerifyCodeOutcome::Blocked => see_other("/login"),
    }
}

/// `POST /login/resend`: a new code, after the cooldown.
pub async fn resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let mut page = match Page::open_form(&req, &state, form.csrf.as_deref()).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let ip = client_ip(&req, &state.settings.trusted_proxies);
    let sent = login::resend_code(&state, &page.tx, ip.as_deref(), &page.languages).await;
    if let Ok(SendCodeOutcome::Refused(_) | SendCodeOutcome::NotDelivered) = &sent {
        // The page shows the code's last send as it is now.
        page = match Page::open(&req, &state, None).await {
            Ok(p) => p,
            Err(res) => return res,
        };
    }
    match sent {
        Ok(SendCodeOutcome::Sent { .. }) => see_other("/login/code?sent=1"),
        Ok(SendCodeOutcome::Refused(reason)) => {
            let (message, status) = page.refusal(reason, page.channel());
            page.code_page(Some(&message), None, false, status)
        }
        Ok(SendCodeOutcome::NotDelivered) => page.code_page(
            Some(page.t.not_delivered),
            None,
            false,
            StatusCode::BAD_GATEWAY,
        ),
        Ok(
            SendCodeOutcome::InvalidPhone(_)
            | SendCodeOutcome::InvalidEmail(_)
            | SendCodeOutcome::NotOffered
            | SendCodeOutcome::NoChallenge,
        ) => see_other("/login"),
        Err(e) => internal_error(&req, &e),
    }
}

/// `POST /login/restart`: use a different number or address.
pub async fn restart(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let page = match Page::open_form(&req, &state, form.csrf.as_deref()).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let back = match page.channel() {
        Connection::Sms => "/login",
        Connection::Email => "/login/email",
    };
    match login::restart(&state, &page.tx).await {
        Ok(()) => see_other(back),
        Err(e) => internal_error(&req, &e),
    }
}
