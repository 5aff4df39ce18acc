//! The phone page: `GET /login` and `POST /login/phone`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Page, PageQuery, see_other};
use crate::app::AppState;
use crate::domain::{Connection, PhoneError, Recipient};
use crate::http::errors::render_with_status;
use crate::login::{self, FirstFactors, SendCodeOutcome};
use crate::messages::catalogue::{CATALOGUES, Catalogue, with_number};

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
    /// "Use email instead", when the sign-in offers email too.
    use_email: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct PhoneForm {
    csrf: Option<String>,
    phone: Option<String>,
}

impl Page<'_> {
    pub(super) fn phone_page(
        &self,
        factors: &FirstFactors,
        phone: &str,
        error: Option<&str>,
        status: StatusCode,
    ) -> HttpResponse {
        let csrf = login::csrf_token(self.state, &self.id);
        self.finish(render_with_status(
            status,
            &PhonePage {
                t: self.t,
                languages: &CATALOGUES,
                here: "/login",
                app_name: self.app_name(),
                hint: with_number(self.t.phone_hint, self.code_length()),
                csrf: &csrf,
                phone,
                error,
                use_email: factors
                    .offers(Connection::Email)
                    .then_some(self.e.use_email),
            },
        ))
    }
}

/// `GET /login`: the phone number page, or the email page when email is
/// the only first factor the sign-in offers.
pub async fn phone_form(
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
    if !factors.offers(Connection::Sms) {
        return match factors.first() {
            Some(_) => page.start_page(&factors, None, StatusCode::OK),
            None => page.start_page(&factors, Some(page.e.not_offered), StatusCode::NOT_FOUND),
        };
    }
    let phone = page
        .tx
        .recipient
        .as_ref()
        .and_then(Recipient::phone)
        .map(|p| p.as_str().to_owned())
        .or_else(|| page.tx.request.login_hint.clone())
        .unwrap_or_default();
    page.phone_page(&factors, &phone, None, StatusCode::OK)
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
    let t = page.t;
    let (outcome, factors) = match page.send_first_code(Connection::Sms, input).await {
        Ok(sent) => sent,
        Err(res) => return res,
    };
    let (message, status) = match outcome {
        SendCodeOutcome::InvalidPhone(PhoneError::NeedsCountryCode) => {
            (t.needs_country_code.to_owned(), StatusCode::BAD_REQUEST)
        }
        SendCodeOutcome::InvalidPhone(PhoneError::Invalid) | SendCodeOutcome::InvalidEmail(_) => {
            (t.invalid_phone.to_owned(), StatusCode::BAD_REQUEST)
        }
        SendCodeOutcome::Refused(reason) => page.refusal(reason, Connection::Sms),
        SendCodeOutcome::NotDelivered => (t.not_delivered.to_owned(), StatusCode::BAD_GATEWAY),
        // The policy or the application leaves SMS out: the page the
        // sign-in starts on says so, and nothing was sent.
        SendCodeOutcome::NotOffered => {
            return page.start_page(&factors, Some(page.e.not_offered), StatusCode::NOT_FOUND);
        }
        SendCodeOutcome::Sent { .. } | SendCodeOutcome::NoChallenge => return see_other("/login"),
    };
    page.phone_page(&factors, input, Some(&message), status)
}
