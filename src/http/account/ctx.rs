//! What every signed-in account page shares: the request's user,
//! language and address, and how outcomes become pages.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;

use super::super::client_ip::client_ip;
use super::super::errors::{internal_error, render_with_status};
use super::super::login::csrf_failure;
use super::SignedIn;
use super::factors::RecoveryCodesPage;
use super::view::{CodePage, Lang, OverviewPage};
use crate::account::{self, CodeProblem, Continued, Gated, Request, SendProblem};
use crate::app::AppState;
use crate::domain::{EmailError, PhoneError};
use crate::messages::catalogue::{CATALOGUES, with_number};
use crate::otp::Refusal;

#[derive(Deserialize)]
pub struct PageQuery {
    pub lang: Option<String>,
    pub notice: Option<String>,
    /// Set after "send a new code".
    pub sent: Option<String>,
}

/// Which code page: the re-authentication, or the new number's proof.
#[derive(Clone, Copy)]
pub(super) enum Step {
    Reauth,
    VerifyPhone,
    VerifyEmail,
}

impl Step {
    pub(super) fn action(self) -> &'static str {
        match self {
            Self::Reauth => "/account/reauth",
            Self::VerifyPhone => "/account/phone/verify",
            Self::VerifyEmail => "/account/email/verify",
        }
    }

    pub(super) fn resend_action(self) -> &'static str {
        match self {
            Self::Reauth => "/account/reauth/resend",
            Self::VerifyPhone => "/account/phone/resend",
            Self::VerifyEmail => "/account/email/resend",
        }
    }
}

/// What the user typed in one of the overview's forms, shown again.
#[derive(Clone, Copy)]
pub(super) enum Input<'a> {
    Phone(&'a str),
    Email(&'a str),
}

#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf: Option<String>,
}

#[derive(Deserialize)]
pub struct PhoneForm {
    pub csrf: Option<String>,
    pub phone: Option<String>,
}

#[derive(Deserialize)]
pub struct EmailForm {
    pub csrf: Option<String>,
    pub email: Option<String>,
}

#[derive(Deserialize)]
pub struct CodeForm {
    pub csrf: Option<String>,
    pub code: Option<String>,
}

pub(super) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location))
        .finish()
}

/// One request on a signed-in page: the user, the language, the address.
pub(super) struct Ctx<'a> {
    req: &'a HttpRequest,
    state: &'a AppState,
    signed_in: &'a SignedIn,
    pub lang: Lang,
    ip: Option<String>,
}

impl<'a> Ctx<'a> {
    /// Opens a page; the language used is remembered on the user.
    pub(super) async fn open(
        req: &'a HttpRequest,
        state: &'a AppState,
        signed_in: &'a SignedIn,
        picked: Option<&str>,
    ) -> Result<Self, HttpResponse> {
        let lang = Lang::resolve(req, picked, signed_in.me.user.locale.as_deref());
        if let Err(e) = account::remember_locale(state, signed_in.me.user.id, lang.t().lang).await {
            return Err(internal_error(req, &e));
        }
        Ok(Self {
            req,
            state,
            signed_in,
            lang,
            ip: client_ip(req, &state.settings.trusted_proxies),
        })
    }

    /// Opens a form post, refusing a CSRF token that is not this session's
    /// before anything changes.
    pub(super) async fn form(
        req: &'a HttpRequest,
        state: &'a AppState,
        signed_in: &'a SignedIn,
        csrf: Option<&str>,
    ) -> Result<Self, HttpResponse> {
        if !account::check_csrf(state, &signed_in.token, csrf) {
            return Err(csrf_failure(req));
        }
        Self::open(req, state, signed_in, None).await
    }

    pub(super) fn state(&self) -> &AppState {
        self.state
    }

    /// The CSRF token of this session's forms.
    pub(super) fn csrf(&self) -> &str {
        &self.signed_in.me.csrf
    }

    pub(super) fn request(&self) -> Request<'_> {
        Request {
            state: self.state,
            me: &self.signed_in.me,
            ip: self.ip.as_deref(),
            languages: &self.lang.languages,
        }
    }

    /// The overview, with a notice or a problem shown.
    pub(super) async fn overview(
        &self,
        notice: Option<&str>,
        error: Option<&str>,
        phone_input: &str,
        status: StatusCode,
    ) -> HttpResponse {
        self.overview_with(notice, error, Input::Phone(phone_input), status)
            .await
    }

    /// The overview, with a notice or a problem shown next to the form
    /// `input` was typed in.
    pub(super) async fn overview_with(
        &self,
        notice: Option<&str>,
        error: Option<&str>,
        input: Input<'_>,
        status: StatusCode,
    ) -> HttpResponse {
        let overview = match account::overview(self.state, &self.signed_in.me).await {
            Ok(o) => o,
            Err(e) => return internal_error(self.req, &e),
        };
        let mut page = OverviewPage::new(&self.lang, &self.signed_in.me.csrf, overview);
        page.notice = notice;
        page.error = error;
        match input {
            Input::Phone(phone) => page.phone_input = phone,
            Input::Email(email) => {
                page.email_input = email;
                page.email_error = error.is_some();
            }
        }
        self.lang.finish(self.state, page.render(status))
    }

    pub(super) fn code_page(
        &self,
        step: Step,
        masked: &str,
        error: Option<&str>,
        notice: Option<&str>,
        status: StatusCode,
    ) -> HttpResponse {
        let a = self.lang.a;
        let (title, intro) = match step {
            Step::Reauth => (a.reauth_title, a.reauth_intro),
            Step::VerifyPhone => (a.verify_title, a.t.sent_to),
            Step::VerifyEmail => (self.lang.e().verify_title, a.t.sent_to),
        };
        let action = step.action();
        let length = self
            .state
            .connection
            .last_code_length()
            .unwrap_or(self.state.settings.otp.length);
        let page = CodePage {
            a,
            t: a.t,
            languages: &CATALOGUES,
            here: action,
            csrf: &self.signed_in.me.csrf,
            title,
            intro,
            masked,
            action,
            resend_action: step.resend_action(),
            code_label: with_number(a.t.code_label, length),
            code_length: length,
            error,
            notice,
        };
        self.lang
            .finish(self.state, render_with_status(status, &page))
    }

    /// Why a code was not sent, in words, with the status to answer.
    pub(super) fn send_problem(&self, problem: SendProblem) -> (String, StatusCode) {
        let t = self.lang.t();
        let bad = StatusCode::BAD_REQUEST;
        match problem {
            SendProblem::InvalidPhone(PhoneError::NeedsCountryCode) => {
                (t.needs_country_code.to_owned(), bad)
            }
            SendProblem::InvalidPhone(PhoneError::Invalid) => (t.invalid_phone.to_owned(), bad),
            SendProblem::InvalidEmail(EmailError::Invalid) => {
                (self.lang.e().invalid_email.to_owned(), bad)
            }
            SendProblem::InvalidEmail(EmailError::TooLong) => {
                (self.lang.e().email_too_long.to_owned(), bad)
            }
            SendProblem::NotDelivered => (t.not_delivered.to_owned(), StatusCode::BAD_GATEWAY),
            SendProblem::NoFactor => (self.lang.a.no_factor.to_owned(), StatusCode::CONFLICT),
            SendProblem::AddressLimit => (
                self.lang.e().address_limit.to_owned(),
                StatusCode::TOO_MANY_REQUESTS,
            ),
            SendProblem::Refused(reason) => {
                let text = match reason {
                    Refusal::Country => t.country_refused.to_owned(),
                    Refusal::LineKind(kind) => t.line_refused.replace("{kind}", kind),
                    Refusal::PhoneLimit => t.phone_limit.to_owned(),
                    Refusal::NetworkLimit => t.network_limit.to_owned(),
                    Refusal::Ceiling => t.ceiling.to_owned(),
                    Refusal::Cooldown(secs) => with_number(t.cooldown, secs),
                };
                let status = if reason.is_about_the_number() {
                    bad
                } else {
                    StatusCode::TOO_MANY_REQUESTS
                };
                (text, status)
            }
        }
    }

    /// A typed code that proved nothing, in words.
    pub(super) fn code_problem(&self, problem: CodeProblem) -> String {
        let t = self.lang.t();
        match problem {
            CodeProblem::Malformed => {
                let length = self
                    .state
                    .connection
                    .last_code_length()
                    .unwrap_or(self.state.settings.otp.length);
                with_number(t.malformed_code, length)
            }
            CodeProblem::Wrong { attempts_left: 1 } => t.wrong_code_one.to_owned(),
            CodeProblem::Wrong { attempts_left } => with_number(t.wrong_code_many, attempts_left),
            CodeProblem::TooManyAttempts => t.too_many_attempts.to_owned(),
            CodeProblem::Expired => t.code_expired.to_owned(),
        }
    }

    /// Where a change that went on leads.
    pub(super) async fn continued(&self, continued: Continued, phone_input: &str) -> HttpResponse {
        self.continued_with(continued, Input::Phone(phone_input))
            .await
    }

    /// Where a change that went on leads, `input` shown again on a problem.
    pub(super) async fn continued_with(
        &self,
        continued: Continued,
        input: Input<'_>,
    ) -> HttpResponse {
        let a = self.lang.a;
        let e = self.lang.e();
        let phone_input = match input {
            Input::Phone(p) => p,
            Input::Email(_) => "",
        };
        match continued {
            Continued::EmailCodeSent => see_other("/account/email/verify"),
            Continued::EmailNotSent(problem) => {
                let (text, status) = self.send_problem(problem);
                self.overview_with(None, Some(&text), input, status).await
            }
            Continued::SameEmail => {
                self.overview_with(None, Some(e.same_email), input, StatusCode::BAD_REQUEST)
                    .await
            }
            Continued::EmailRemoved => see_other("/account?notice=email_removed"),
            Continued::EmailLastWayIn => {
                self.overview(None, Some(e.last_way_in), "", StatusCode::CONFLICT)
                    .await
            }
            Continued::NoEmail => {
                self.overview(
                    None,
                    Some(e.no_email_to_remove),
                    "",
                    StatusCode::BAD_REQUEST,
                )
                .await
            }
            Continued::PhoneCodeSent => see_other("/account/phone/verify"),
            Continued::PhoneNotSent(problem) => {
                let (text, status) = self.send_problem(problem);
                self.overview(None, Some(&text), phone_input, status).await
            }
            Continued::SameNumber => {
                self.overview(
                    None,
                    Some(a.same_number),
                    phone_input,
                    StatusCode::BAD_REQUEST,
                )
                .await
            }
            Continued::PhoneRemoved => see_other("/account?notice=phone_removed"),
            Continued::LastWayIn => {
                self.overview(None, Some(a.last_way_in), "", StatusCode::CONFLICT)
                    .await
            }
            Continued::NoPhone => {
                self.overview(
                    None,
                    Some(a.no_phone_to_remove),
                    "",
                    StatusCode::BAD_REQUEST,
                )
                .await
            }
            Continued::OthersSignedOut(_) => see_other("/account?notice=others_signed_out"),
            Continued::TotpStarted => see_other("/account/totp"),
            Continued::TotpRemoved => see_other("/account?notice=totp_removed"),
            Continued::TotpAlreadyAdded => {
                let text = self.lang.f().totp_already;
                self.overview(None, Some(text), "", StatusCode::CONFLICT)
                    .await
            }
            Continued::NoTotp => {
                let text = self.lang.f().no_totp;
                self.overview(None, Some(text), "", StatusCode::BAD_REQUEST)
                    .await
            }
            Continued::MfaRequired => {
                let text = self.lang.f().mfa_required;
                self.overview(None, Some(text), "", StatusCode::CONFLICT)
                    .await
            }
            Continued::RecoveryCodes(codes) => {
                let page = RecoveryCodesPage {
                    f: self.lang.f(),
                    t: a.t,
                    codes: &codes,
                };
                self.lang
                    .finish(self.state, render_with_status(StatusCode::OK, &page))
            }
        }
    }

    /// Where a change that needs a recent sign-in leads: its result, the
    /// re-authentication page, or the reason no code could be sent.
    pub(super) async fn gated(&self, gated: Gated, input: Input<'_>) -> HttpResponse {
        match gated {
            Gated::Done(continued) => self.continued_with(continued, input).await,
            Gated::NeedsReauth => see_other("/account/reauth"),
            Gated::ReauthNotSent(problem) => self.reauth_not_sent_with(problem, input).await,
        }
    }

    pub(super) async fn reauth_not_sent_with(
        &self,
        problem: SendProblem,
        input: Input<'_>,
    ) -> HttpResponse {
        let (text, status) = self.send_problem(problem);
        self.overview_with(None, Some(&text), input, status).await
    }
}

/// Opens a page, or answers with why it cannot be opened.
macro_rules! open {
    ($e:expr) => {
        match $e.await {
            Ok(ctx) => ctx,
            Err(res) => return res,
        }
    };
}
pub(super) use open;
