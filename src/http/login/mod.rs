//! Handlers of the hosted login pages, in the user's language: the phone
//! page (`phone`), the email page (`email`) and the code page (`code`).

mod code;
mod email;
mod enroll;
mod finish;
mod phone;
mod second_factor;

pub use code::{code, code_form, resend, restart};
pub use email::{email, email_form};
pub use enroll::{confirm as confirm_enrollment, enroll, enroll_form};
pub use phone::{phone, phone_form};
pub use second_factor::{
    choose, choose_form, code as second_factor_code, code_form as second_factor_code_form,
    continue_sign_in,
};

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header::{ACCEPT_LANGUAGE, LOCATION};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;

use super::cookies::{self, CookieKind};
use super::errors::{error_page, internal_error};
use crate::app::AppState;
use crate::domain::Connection;
use crate::login::{self, FirstFactors, LoginTransaction, Refusal, Target};
use crate::messages::LanguagePreference;
use crate::messages::account_catalogue::account_catalogue_for;
use crate::messages::catalogue::{CATALOGUES, Catalogue, catalogue_for, with_number};
use crate::messages::login_email_catalogue::{LoginEmailStrings, login_email_strings_for};

/// The cookie remembering a language picked with the switch.
pub(super) const LANGUAGE_COOKIE: &str = "ferrid_lang";

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

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location))
        .finish()
}

/// One request on the login pages: its transaction and its language.
struct Page<'a> {
    state: &'a AppState,
    req: &'a HttpRequest,
    id: String,
    tx: LoginTransaction,
    /// A language picked with the switch on this request, to remember.
    picked: Option<&'static str>,
    languages: LanguagePreference,
    t: &'static Catalogue,
    /// The strings of the email pages, in the same language.
    e: &'static LoginEmailStrings,
}

impl<'a> Page<'a> {
    async fn open(
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
            e: login_email_strings_for(t.lang),
        })
    }

    /// Opens the page for a form post, refusing a CSRF token that is not
    /// this transaction's.
    async fn open_form(
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

    fn finish(&self, mut res: HttpResponse) -> HttpResponse {
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
    fn app_name(&self) -> &str {
        match self.tx.target {
            Target::Application => &self.tx.request.client_name,
            Target::Account => account_catalogue_for(self.t).sign_in_to,
        }
    }

    /// The length of the codes the pages ask for.
    fn code_length(&self) -> u8 {
        self.state
            .connection
            .last_code_length()
            .unwrap_or(self.state.settings.otp.length)
    }

    /// The first factors this sign-in offers.
    async fn factors(&self) -> Result<FirstFactors, HttpResponse> {
        login::first_factors(self.state, &self.tx)
            .await
            .map_err(|e| internal_error(self.req, &e))
    }

    /// The page a sign-in starts on: the phone page, or the email page when
    /// email is the only first factor offered.
    fn start_page(
        &self,
        factors: &FirstFactors,
        error: Option<&str>,
        status: StatusCode,
    ) -> HttpResponse {
        match factors.first() {
            Some(Connection::Email) => self.email_page(factors, "/login", "", error, status),
            _ => self.phone_page(factors, "", error, status),
        }
    }

    fn refusal(&self, reason: Refusal, connection: Connection) -> (String, StatusCode) {
        let t = self.t;
        let text = match reason {
            Refusal::Country => t.country_refused.to_owned(),
            Refusal::LineKind(kind) => t.line_refused.replace("{kind}", kind),
            Refusal::PhoneLimit if connection == Connection::Email => {
                self.e.address_limit.to_owned()
            }
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
}
