//! Handlers of the signed-in account pages: parse, call one use case, map
//! its outcome to a page or a redirect.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::super::client_ip::client_ip;
use super::super::errors::{internal_error, render_with_status};
use super::super::login::csrf_failure;
use super::SignedIn;
use super::view::{ActivityPage, CodePage, Lang, OverviewPage, activity_row};
use crate::account::{
    self, CodeProblem, ConsentRevoked, Continued, PhoneOutcome, ReauthOutcome, RemoveOutcome,
    Request, RevokeOthersOutcome, SendProblem, SessionRevoked, VerifyPhoneOutcome,
};
use crate::app::AppState;
use crate::domain::PhoneError;
use crate::messages::catalogue::{CATALOGUES, with_number};
use crate::otp::Refusal;

#[derive(Deserialize)]
pub struct PageQuery {
    lang: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
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

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location))
        .finish()
}

/// One request on a signed-in page: the user, the language, the address.
struct Ctx<'a> {
    req: &'a HttpRequest,
    state: &'a AppState,
    signed_in: &'a SignedIn,
    lang: Lang,
    ip: Option<String>,
}

impl<'a> Ctx<'a> {
    /// Opens a page; the language used is remembered on the user.
    async fn open(
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
    async fn form(
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

    fn request(&self) -> Request<'_> {
        Request {
            state: self.state,
            me: &self.signed_in.me,
            ip: self.ip.as_deref(),
            languages: &self.lang.languages,
        }
    }

    /// The overview, with a notice or a problem shown.
    async fn overview(
        &self,
        notice: Option<&str>,
        error: Option<&str>,
        phone_input: &str,
        status: StatusCode,
    ) -> HttpResponse {
        let overview = match account::overview(self.state, &self.signed_in.me).await {
            Ok(o) => o,
            Err(e) => return internal_error(self.req, &e),
        };
        let mut page = OverviewPage::new(&self.lang, &self.signed_in.me.csrf, overview);
        page.notice = notice;
        page.error = error;
        page.phone_input = phone_input;
        self.lang.finish(self.state, page.render(status))
    }

    fn code_page(
        &self,
        title: &str,
        intro: &str,
        masked: &str,
        action: &'static str,
        error: Option<&str>,
        status: StatusCode,
    ) -> HttpResponse {
        let length = self
            .state
            .connection
            .last_code_length()
            .unwrap_or(self.state.settings.otp.length);
        let a = self.lang.a;
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
            code_label: with_number(a.t.code_label, length),
            code_length: length,
            error,
        };
        self.lang
            .finish(self.state, render_with_status(status, &page))
    }

    /// Why a code was not sent, in words, with the status to answer.
    fn send_problem(&self, problem: SendProblem) -> (String, StatusCode) {
        let t = self.lang.t();
        let bad = StatusCode::BAD_REQUEST;
        match problem {
            SendProblem::InvalidPhone(PhoneError::NeedsCountryCode) => {
                (t.needs_country_code.to_owned(), bad)
            }
            SendProblem::InvalidPhone(PhoneError::Invalid) => (t.invalid_phone.to_owned(), bad),
            SendProblem::NotDelivered => (t.not_delivered.to_owned(), StatusCode::BAD_GATEWAY),
            SendProblem::NoFactor => (self.lang.a.no_factor.to_owned(), StatusCode::CONFLICT),
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
    fn code_problem(&self, problem: CodeProblem) -> String {
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
    async fn continued(&self, continued: Continued, phone_input: &str) -> HttpResponse {
        let a = self.lang.a;
        match continued {
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
        }
    }

    async fn reauth_not_sent(&self, problem: SendProblem, phone_input: &str) -> HttpResponse {
        let (text, status) = self.send_problem(problem);
        self.overview(None, Some(&text), phone_input, status).await
    }
}

macro_rules! open {
    ($e:expr) => {
        match $e.await {
            Ok(ctx) => ctx,
            Err(res) => return res,
        }
    };
}

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
        Ok(PhoneOutcome::Done(continued)) => ctx.continued(continued, input).await,
        Ok(PhoneOutcome::NeedsReauth) => see_other("/account/reauth"),
        Ok(PhoneOutcome::ReauthNotSent(problem)) => ctx.reauth_not_sent(problem, input).await,
        Err(e) => internal_error(&req, &e),
    }
}

/// `GET /account/phone/verify`: the code sent to the new number.
pub async fn verify_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    let ctx = open!(Ctx::open(&req, &state, &signed_in, query.lang.as_deref()));
    let a = ctx.lang.a;
    match account::pending_phone(&ctx.request()).await {
        Ok(Some(masked)) => ctx.code_page(
            a.verify_title,
            a.t.sent_to,
            &masked,
            "/account/phone/verify",
            None,
            StatusCode::OK,
        ),
        Ok(None) => see_other("/account"),
        Err(e) => internal_error(&req, &e),
    }
}

/// `POST /account/phone/verify`.
pub async fn verify(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn,
    form: web::Form<CodeForm>,
) -> HttpResponse {
    let ctx = open!(Ctx::form(&req, &state, &signed_in, form.csrf.as_deref()));
    let a = ctx.lang.a;
    let input = form.code.as_deref().unwrap_or("");
    match account::verify_phone(&ctx.request(), input).await {
        Ok(VerifyPhoneOutcome::Saved) => see_other("/account?notice=phone_saved"),
        Ok(VerifyPhoneOutcome::Taken) => {
            ctx.overview(None, Some(a.phone_taken), "", StatusCode::CONFLICT)
                .await
        }
        Ok(VerifyPhoneOutcome::Code(problem)) => {
            let masked = account::pending_phone(&ctx.request())
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
            let text = ctx.code_problem(problem);
            ctx.code_page(
                a.verify_title,
                a.t.sent_to,
                &masked,
                "/account/phone/verify",
                Some(&text),
                StatusCode::BAD_REQUEST,
            )
        }
        Ok(VerifyPhoneOutcome::NothingPending) => {
            ctx.overview(None, Some(a.nothing_pending), "", StatusCode::BAD_REQUEST)
                .await
        }
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
        Ok(RemoveOutcome::Done(continued)) => ctx.continued(continued, "").await,
        Ok(RemoveOutcome::NeedsReauth) => see_other("/account/reauth"),
        Ok(RemoveOutcome::ReauthNotSent(problem)) => ctx.reauth_not_sent(problem, "").await,
        Err(e) => internal_error(&req, &e),
    }
}

/// `GET /account/reauth`: the code sent to confirm it's the user.
pub async fn reauth_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    let ctx = open!(Ctx::open(&req, &state, &signed_in, query.lang.as_deref()));
    let a = ctx.lang.a;
    match account::reauth_view(&ctx.request()).await {
        Ok(Some(masked)) => ctx.code_page(
            a.reauth_title,
            a.reauth_intro,
            &masked,
            "/account/reauth",
            None,
            StatusCode::OK,
        ),
        Ok(None) => see_other("/account"),
        Err(e) => internal_error(&req, &e),
    }
}

/// `POST /account/reauth`: the code; then the change asked for goes on.
pub async fn reauth(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn,
    form: web::Form<CodeForm>,
) -> HttpResponse {
    let ctx = open!(Ctx::form(&req, &state, &signed_in, form.csrf.as_deref()));
    let a = ctx.lang.a;
    let input = form.code.as_deref().unwrap_or("");
    match account::verify_reauth(&ctx.request(), input).await {
        Ok(ReauthOutcome::Continued(continued)) => ctx.continued(continued, "").await,
        Ok(ReauthOutcome::Code(problem)) => {
            let masked = signed_in
                .me
                .user
                .phone
                .as_ref()
                .map(|p| p.masked())
                .unwrap_or_default();
            let text = ctx.code_problem(problem);
            ctx.code_page(
                a.reauth_title,
                a.reauth_intro,
                &masked,
                "/account/reauth",
                Some(&text),
                StatusCode::BAD_REQUEST,
            )
        }
        Ok(ReauthOutcome::NothingPending) => {
            ctx.overview(None, Some(a.nothing_pending), "", StatusCode::BAD_REQUEST)
                .await
        }
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
        Ok(RevokeOthersOutcome::Done(continued)) => ctx.continued(continued, "").await,
        Ok(RevokeOthersOutcome::NeedsReauth) => see_other("/account/reauth"),
        Ok(RevokeOthersOutcome::ReauthNotSent(problem)) => ctx.reauth_not_sent(problem, "").await,
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
