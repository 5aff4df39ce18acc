//! The email page: `GET /login/email` and `POST /login/email`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Page, PageQuery, see_other};
use crate::app::AppState;
use crate::domain::{Connection, EmailError, Recipient};
use crate::http::errors::render_with_status;
use crate::login::{self, FirstFactors, SendCodeOutcome};
use crate::messages::catalogue::{CATALOGUES, Catalogue, with_number};
use crate::messages::login_email_catalogue::LoginEmailStrings;

#[derive(Template)]
#[template(path = "login/email.html")]
struct EmailPage<'a> {
    t: &'a Catalogue,
    e: &'a LoginEmailStrings,
    languages: &'a [&'static Catalogue],
    here: &'static str,
    app_name: &'a str,
    hint: String,
    csrf: &'a str,
    email: &'a str,
    error: Option<&'a str>,
    /// "Use phone instead", when the sign-in offers SMS too.
    use_phone: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct EmailForm {
    csrf: Option<String>,
    email: Option<String>,
}

impl Page<'_> {
    /// The email page, served at `here` (`/login` when email is the only
    /// first factor).
    pub(super) fn email_page(
        &self,
        factors: &FirstFactors,
        here: &'static str,
        email: &str,
        error: Option<&str>,
        status: StatusCode,
    ) -> HttpResponse {
        let csrf = login::csrf_token(self.state, &self.id);
        self.finish(render_with_status(
            status,
            &EmailPage {
                t: self.t,
                e: self.e,
                languages: &CATALOGUES,
                here,
                app_name: self.app_name(),
                hint: with_number(self.e.email_hint, self.code_length()),
                csrf: &csrf,
                email,
                error,
                use_phone: factors.offers(Connection::Sms).then_some(self.e.use_phone),
            },
        ))
    }
}

/// `GET /login/email`: the email address page, when the sign-in offers it.
pub async fn email_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    let page = match Page::open(&req, &state, query.lang.as_deref()).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let factors = match page.factors().await {
        Ok(f) => f,
        Err(res) => return res,
    };
    if !factors.offers(Connection::Email) {
        return page.start_page(&factors, Some(page.e.not_offered), StatusCode::NOT_FOUND);
    }
    let email = page
        .tx
        .recipient
        .as_ref()
        .and_then(Recipient::email)
        .map(|e| e.as_str().to_owned())
        .or_else(|| {
            page.tx
                .request
                .login_hint
                .clone()
                .filter(|hint| hint.contains('@'))
        })
        .unwrap_or_default();
    page.email_page(&factors, "/login/email", &email, None, StatusCode::OK)
}

/// `POST /login/email`: send a code to the address.
pub async fn email(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<EmailForm>,
) -> HttpResponse {
    let page = match Page::open_form(&req, &state, form.csrf.as_deref()).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let input = form.email.as_deref().unwrap_or("");
    let (t, e) = (page.t, page.e);
    let (outcome, factors) = match page.send_first_code(Connection::Email, input).await {
        Ok(sent) => sent,
        Err(res) => return res,
    };
    let bad = StatusCode::BAD_REQUEST;
    let (message, status) = match outcome {
        SendCodeOutcome::InvalidEmail(EmailError::TooLong) => (e.email_too_long.to_owned(), bad),
        SendCodeOutcome::InvalidEmail(EmailError::Invalid) | SendCodeOutcome::InvalidPhone(_) => {
            (e.invalid_email.to_owned(), bad)
        }
        SendCodeOutcome::Refused(reason) => page.refusal(reason, Connection::Email),
        SendCodeOutcome::NotDelivered => (t.not_delivered.to_owned(), StatusCode::BAD_GATEWAY),
        // The policy or the application leaves email out: the page the
        // sign-in starts on says so, and nothing was sent.
        SendCodeOutcome::NotOffered => {
            return page.start_page(&factors, Some(e.not_offered), StatusCode::NOT_FOUND);
        }
        SendCodeOutcome::Sent { .. } | SendCodeOutcome::NoChallenge => {
            return see_other("/login/email");
        }
    };
    let here = if factors.offers(Connection::Sms) {
        "/login/email"
    } else {
        "/login"
    };
    page.email_page(&factors, here, input, Some(&message), status)
}
