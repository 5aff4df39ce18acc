//! Handlers of the consent page.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::cookies::{self, CookieKind};
use super::errors::{error_page, internal_error, render};
use super::login::{csrf_failure, transaction};
use super::oidc::authorization_response;
use crate::app::AppState;
use crate::login::{self, ConsentViewOutcome, DecideOutcome, Decision};
use crate::oidc::authorize::{self, AuthorizationResponse};

#[derive(Template)]
#[template(path = "consent/consent.html")]
struct ConsentPage<'a> {
    app_name: &'a str,
    scopes: &'a [&'static str],
    csrf: &'a str,
}

#[derive(Deserialize)]
pub struct ConsentForm {
    csrf: Option<String>,
    decision: Option<String>,
}

fn not_asked(req: &HttpRequest) -> HttpResponse {
    error_page(
        req,
        StatusCode::BAD_REQUEST,
        "Nothing to allow",
        "This sign-in is not waiting for your answer. Go back to the application and start again.",
    )
}

fn not_signed_in(req: &HttpRequest) -> HttpResponse {
    error_page(
        req,
        StatusCode::BAD_REQUEST,
        "You are not signed in",
        "Your session ended before you answered. Go back to the application and sign in again.",
    )
}

/// Back to the application; the sign-in is over.
fn answered(req: &HttpRequest, state: &AppState, response: &AuthorizationResponse) -> HttpResponse {
    let mut res = authorization_response(response, req.method());
    let _ = res.add_cookie(&cookies::clear(state, CookieKind::Login));
    res
}

/// `GET /consent`.
pub async fn consent_form(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let (id, tx) = match transaction(&req, &state).await {
        Ok(t) => t,
        Err(res) => return res,
    };
    let session = cookies::read(&state, &req, CookieKind::Session);
    match login::consent_view(&state, &tx, session.as_deref()).await {
        Ok(ConsentViewOutcome::Show(view)) => {
            let csrf = login::csrf_token(&state, &id);
            render(&ConsentPage {
                app_name: &view.client_name,
                scopes: &view.scopes,
                csrf: &csrf,
            })
        }
        Ok(ConsentViewOutcome::NotSignedIn) => not_signed_in(&req),
        Ok(ConsentViewOutcome::NotAsked) => not_asked(&req),
        Err(e) => internal_error(&req, &e),
    }
}

/// `POST /consent`: allow or deny.
pub async fn consent(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ConsentForm>,
) -> HttpResponse {
    let (id, tx) = match transaction(&req, &state).await {
        Ok(t) => t,
        Err(res) => return res,
    };
    if !login::check_csrf(&state, &id, form.csrf.as_deref()) {
        return csrf_failure(&req);
    }
    let decision = match form.decision.as_deref() {
        Some("allow") => Decision::Allow,
        Some("deny") => Decision::Deny,
        _ => {
            return error_page(
                &req,
                StatusCode::BAD_REQUEST,
                "No answer",
                "Choose Allow or Deny.",
            );
        }
    };
    let session = cookies::read(&state, &req, CookieKind::Session);
    match login::decide(&state, &tx, session.as_deref(), decision).await {
        Ok(DecideOutcome::Allowed(session)) => {
            match authorize::issue_code(&state.db, &state, &tx.request, &session).await {
                Ok(response) => answered(&req, &state, &response),
                Err(e) => internal_error(&req, &e),
            }
        }
        Ok(DecideOutcome::Denied) => {
            answered(&req, &state, &authorize::access_denied(&state, &tx.request))
        }
        Ok(DecideOutcome::NotSignedIn) => not_signed_in(&req),
        Ok(DecideOutcome::NotAsked) => not_asked(&req),
        Err(e) => internal_error(&req, &e),
    }
}
