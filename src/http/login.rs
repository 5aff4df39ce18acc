//! Handlers of the hosted SMS login pages, in the user's language.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header::{ACCEPT_LANGUAGE, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::client_ip::client_ip;
use super::cookies::{self, CookieKind};
use super::errors::{error_page, internal_error, render_with_status};
use super::oidc::authorization_response;
use crate::app::AppState;
use crate::domain::{PhoneError, Recipient};
use crate::login::{
    self, Answer, LoginTransaction, Refusal, SendCodeOutcome, SignInContext, Target,
    VerifyCodeOutcome,
};
use crate::messages::LanguagePreference;
use crate::messages::account_catalogue::account_catalogue_for;
use crate::messages::catalogue::{CATALOGUES, Catalogue, catalogue_for, with_number};
use crate::oidc::authorize::{self, AuthorizationResponse, SignedInAnswer};
use crate::session::SsoSession;
use crate::store::DatabaseTransaction;

/// The cookie remembering a language picked with the switch.
pub(super) const LANGUAGE_COOKIE: &str = "ferrid_lang";

#[derive(Template)]
#[template(path = "login/phone.html")]
struct PhonePage<'a> {
    t: &'a Catalogue,
    languages: &'a [&'static Catalogue],
    here: &'static str,
    app_name: &'a str,
    hint: String,
    csrf: &'a str,
    phone: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "login/code.html")]
struct CodePage<'a> {
    t: &'a Catalogue,
    languages: &'a [&'static Catalogue],
    here: &'static str,
    app_name: &'a str,
    csrf: &'a str,
    masked_phone: &'a str,
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
pub struct PageQuery {
    sent: Option<String>,
    lang: Option<String>,
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

pub(super) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location))
        .finish()
}

/// One request on the login pages: its transaction and its language.
pub(super) struct Page<'a> {
    pub(super) state: &'a AppState,
    pub(super) req: &'a HttpRequest,
    pub(super) id: String,
    pub(super) tx: LoginTransaction,
    /// A language picked with the switch on this request, to remember.
    picked: Option<&'static str>,
    pub(super) languages: LanguagePreference,
    pub(super) t: &'static Catalogue,
}

impl<'a> Page<'a> {
    pub(super) async fn open(
        req: &'a HttpRequest,
        state: &'a AppState,
        lang: Option<&str>,
    ) -> Result<Self, HttpResponse> {
        let (id, tx) = transaction(req, state).await?;
        let picked = lang
            .and_then(|l| CATALOGUES.iter().find(|c| c.lang == l))
            .map(|c| c.lang);
        let remembered = req.cookie(LANGUAGE_COOKIE).map(|c| c.value().to_owned());
        let explicit = picked.map(str::to_owned).or(remembered);
        let accept = req
            .headers()
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let ui_locales = [explicit.as_deref(), tx.request.ui_locales.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        // The page switch first, then ui_locales, then the browser.
        let languages = LanguagePreference::from_sources(None, Some(&ui_locales), accept);
        let t = catalogue_for(&languages);
        Ok(Self {
            state,
            req,
            id,
            tx,
            picked,
            languages,
            t,
        })
    }

    /// Opens the page for a form post, refusing a CSRF token that is not
    /// this transaction's.
    pub(super) async fn open_form(
        req: &'a HttpRequest,
        state: &'a AppState,
        csrf: Option<&str>,
    ) -> Result<Self, HttpResponse> {
        let page = Self::open(req, state, None).await?;
        if login::check_csrf(state, &page.id, csrf) {
            Ok(page)
        } else {
            Err(csrf_failure(req))
        }
    }

    pub(super) fn finish(&self, mut res: HttpResponse) -> HttpResponse {
        if let Some(lang) = self.picked {
            let cookie = Cookie::build(LANGUAGE_COOKIE, lang)
                .path("/")
                .same_site(SameSite::Lax)
                .secure(self.state.settings.secure_cookies)
                .finish();
            let _ = res.add_cookie(&cookie);
        }
        res
    }

    /// What the sign-in continues to: the application, or the account.
    pub(super) fn app_name(&self) -> &str {
        match self.tx.target {
            Target::Application => &self.tx.request.client_name,
            Target::Account => account_catalogue_for(self.t).sign_in_to,
        }
    }

    fn phone_page(&self, phone: &str, error: Option<&str>, status: StatusCode) -> HttpResponse {
        let csrf = login::csrf_token(self.state, &self.id);
        let length = self
            .state
            .connection
            .last_code_length()
            .unwrap_or(self.state.settings.otp.length);
        self.finish(render_with_status(
            status,
            &PhonePage {
                t: self.t,
                languages: &CATALOGUES,
                here: "/login",
                app_name: self.app_name(),
                hint: with_number(self.t.phone_hint, length),
                csrf: &csrf,
                phone,
                error,
            },
        ))
    }

    async fn code_page(
        &self,
        error: Option<&str>,
        notice: Option<&str>,
        need_new_code: bool,
        status: StatusCode,
    ) -> HttpResponse {
        let (Some(recipient), Some(_)) = (&self.tx.recipient, self.tx.challenge_id) else {
            return see_other("/login");
        };
        let cooldown = match login::resend_cooldown(self.state, &self.tx).await {
            Ok(secs) => secs,
            Err(e) => return internal_error(self.req, &e),
        };
        let length = self
            .state
            .connection
            .last_code_length()
            .unwrap_or(self.state.settings.otp.length);
        let csrf = login::csrf_token(self.state, &self.id);
        let masked = recipient.masked();
        self.finish(render_with_status(
            status,
            &CodePage {
                t: self.t,
                languages: &CATALOGUES,
                here: "/login/code",
                app_name: self.app_name(),
                csrf: &csrf,
                masked_phone: &masked,
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

    fn refusal(&self, reason: Refusal) -> (String, StatusCode) {
        refusal_text(self.t, reason)
    }
}

/// `GET /login`: the phone number page.
pub async fn phone_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    let page = match Page::open(&req, &state, query.lang.as_deref()).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let phone = page
        .tx
        .recipient
        .as_ref()
        .and_then(Recipient::phone)
        .map(|p| p.as_str().to_owned())
        .or_else(|| page.tx.request.login_hint.clone())
        .unwrap_or_default();
    page.phone_page(&phone, None, StatusCode::OK)
}

/// `POST /login/phone`: send a code to the number.
pub async fn phone(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<PhoneForm>,
) -> HttpResponse {
    let page = match Page::open_form(&req, &state, form.csrf.as_deref()).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let input = form.phone.as_deref().unwrap_or("");
    let ip = client_ip(&req, &state.settings.trusted_proxies);
    let t = page.t;
    match login::send_code(&state, &page.tx, input, ip.as_deref(), &page.languages).await {
        Ok(SendCodeOutcome::Sent { .. }) => see_other("/login/code"),
        Ok(SendCodeOutcome::InvalidPhone(e)) => {
            let message = match e {
                PhoneError::NeedsCountryCode => t.needs_country_code,
                PhoneError::Invalid => t.invalid_phone,
            };
            page.phone_page(input, Some(message), StatusCode::BAD_REQUEST)
        }
        Ok(SendCodeOutcome::Refused(reason)) => {
            let (message, status) = page.refusal(reason);
            page.phone_page(input, Some(&message), status)
        }
        Ok(SendCodeOutcome::NotDelivered) => {
            page.phone_page(input, Some(t.not_delivered), StatusCode::BAD_GATEWAY)
        }
        Ok(SendCodeOutcome::NoChallenge) => see_other("/login"),
        Err(e) => internal_error(&req, &e),
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
    let notice = query.sent.as_ref().map(|_| page.t.new_code_sent);
    page.code_page(None, notice, false, StatusCode::OK).await
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
            let length = state
                .connection
                .last_code_length()
                .unwrap_or(state.settings.otp.length);
            page.code_page(
                Some(&with_number(t.malformed_code, length)),
                None,
                false,
                bad,
            )
            .await
        }
        VerifyCodeOutcome::Wrong { attempts_left } => {
            let message = wrong_code(t, attempts_left);
            page.code_page(Some(&message), None, false, bad).await
        }
        VerifyCodeOutcome::TooManyAttempts => {
            page.code_page(Some(t.too_many_attempts), None, true, bad)
                .await
        }
        // A first factor's code is never an authenticator app's.
        VerifyCodeOutcome::Expired | VerifyCodeOutcome::Replayed => {
            page.code_page(Some(t.code_expired), None, true, bad).await
        }
        VerifyCodeOutcome::NoAccount => {
            page.phone_page("", Some(t.no_account), StatusCode::FORBIDDEN)
        }
        VerifyCodeOutcome::NoChallenge => see_other("/login"),
        // Answered by `completed`.
        VerifyCodeOutcome::SignedIn { .. }
        | VerifyCodeOutcome::SecondFactor
        | VerifyCodeOutcome::Unmet
        | VerifyCodeOutcome::Blocked => see_other("/login"),
    }
}

/// Why a code was not sent, in the page's words, and the status to answer.
pub(super) fn refusal_text(t: &Catalogue, reason: Refusal) -> (String, StatusCode) {
    let text = match reason {
        Refusal::Country => t.country_refused.to_owned(),
        Refusal::LineKind(kind) => t.line_refused.replace("{kind}", kind),
        Refusal::PhoneLimit => t.phone_limit.to_owned(),
        Refusal::NetworkLimit => t.network_limit.to_owned(),
        Refusal::Ceiling => t.ceiling.to_owned(),
        Refusal::Cooldown(secs) => with_number(t.cooldown, secs),
    };
    let status = if reason.is_about_the_number() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::TOO_MANY_REQUESTS
    };
    (text, status)
}

/// "Wrong code, n attempts left."
pub(super) fn wrong_code(t: &Catalogue, attempts_left: u32) -> String {
    if attempts_left == 1 {
        t.wrong_code_one.to_owned()
    } else {
        with_number(t.wrong_code_many, attempts_left)
    }
}

/// How the OIDC side answers the authorization request once the user is
/// signed in, inside the sign-in's transaction. A sign-in for the account
/// area ends there, without a code.
pub(super) fn sign_in_answer<'a>(
    state: &'a AppState,
    tx: &'a LoginTransaction,
) -> impl AsyncFnOnce(
    &DatabaseTransaction,
    &SsoSession,
) -> anyhow::Result<Answer<Option<AuthorizationResponse>>>
+ 'a {
    async move |db: &DatabaseTransaction, session: &SsoSession| {
        if tx.target == Target::Account {
            return Ok(Answer::Respond(None));
        }
        Ok(
            match authorize::answer_signed_in(db, state, &tx.request, session).await? {
                SignedInAnswer::Respond(response) => Answer::Respond(Some(response)),
                SignedInAnswer::NeedsConsent => Answer::NeedsConsent,
            },
        )
    }
}

/// The responses of a sign-in that went somewhere: signed in (the session
/// cookie, then the application, the consent page or the account), on to
/// a second factor, an unmet request, a blocked account. Other outcomes
/// come back for the page to show.
pub(super) fn completed(
    page: &Page<'_>,
    outcome: VerifyCodeOutcome<Option<AuthorizationResponse>>,
) -> Result<HttpResponse, Box<VerifyCodeOutcome<Option<AuthorizationResponse>>>> {
    let (req, state) = (page.req, page.state);
    match outcome {
        VerifyCodeOutcome::SignedIn {
            session_token,
            answer,
            ..
        } => {
            let cookie = cookies::make(
                state,
                CookieKind::Session,
                session_token,
                state.settings.tokens.sso_session_ttl.0,
            );
            Ok(match answer {
                Answer::Respond(response) => {
                    let mut res = match response {
                        Some(response) => authorization_response(&response, req.method()),
                        None => see_other("/account"),
                    };
                    let _ = res.add_cookie(&cookie);
                    let _ = res.add_cookie(&cookies::clear(state, CookieKind::Login));
                    res
                }
                Answer::NeedsConsent => HttpResponse::SeeOther()
                    .cookie(cookie)
                    .insert_header((LOCATION, "/consent"))
                    .finish(),
            })
        }
        VerifyCodeOutcome::SecondFactor => Ok(see_other("/login/mfa")),
        VerifyCodeOutcome::Unmet => Ok(unmet(page)),
        VerifyCodeOutcome::Blocked => Ok(error_page(
            req,
            StatusCode::FORBIDDEN,
            "This account is blocked",
            "This account cannot sign in. Contact the application's support.",
        )),
        other => Err(Box::new(other)),
    }
}

/// The request asked for what cannot be performed: the application hears
/// `unmet_authentication_requirements`; the account area shows why.
pub(super) fn unmet(page: &Page<'_>) -> HttpResponse {
    match page.tx.target {
        Target::Application => {
            let mut res = authorization_response(
                &authorize::unmet(page.state, &page.tx.request),
                page.req.method(),
            );
            let _ = res.add_cookie(&cookies::clear(page.state, CookieKind::Login));
            res
        }
        Target::Account => error_page(
            page.req,
            StatusCode::FORBIDDEN,
            page.t.sign_in,
            crate::messages::mfa_catalogue::mfa_catalogue_for(page.t).unmet,
        ),
    }
}

/// `POST /login/resend`: a new code, after the cooldown.
pub async fn resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let page = match Page::open_form(&req, &state, form.csrf.as_deref()).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let ip = client_ip(&req, &state.settings.trusted_proxies);
    match login::resend_code(&state, &page.tx, ip.as_deref(), &page.languages).await {
        Ok(SendCodeOutcome::Sent { .. }) => see_other("/login/code?sent=1"),
        Ok(SendCodeOutcome::Refused(reason)) => {
            let (message, status) = page.refusal(reason);
            page.code_page(Some(&message), None, false, status).await
        }
        Ok(SendCodeOutcome::NotDelivered) => {
            page.code_page(
                Some(page.t.not_delivered),
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
    let page = match Page::open_form(&req, &state, form.csrf.as_deref()).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    match login::restart(&state, &page.tx).await {
        Ok(()) => see_other("/login"),
        Err(e) => internal_error(&req, &e),
    }
}
