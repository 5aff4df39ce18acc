use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::AppState;
use crate::http::cookies::{self, CookieKind};
use crate::http::errors::{error_page, internal_error, render};
use crate::oidc::end_session::{
    Confirmation, EndSessionOutcome, EndSessionRequest, check_confirmation_token,
    confirmation_token, end_session,
};

#[derive(Template)]
#[template(path = "logout/confirm.html")]
struct ConfirmPage<'a> {
    csrf: &'a str,
    request: &'a EndSessionRequest,
}

#[derive(Template)]
#[template(path = "logout/signed_out.html")]
struct SignedOutPage;

#[derive(Deserialize)]
pub struct ConfirmForm {
    csrf: Option<String>,
    #[serde(flatten)]
    request: EndSessionRequest,
}

/// `GET /end_session`.
pub async fn end_session_get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match serde_urlencoded::from_str::<EndSessionRequest>(req.query_string()) {
        Ok(request) => handle(&req, &state, &request, Confirmation::NotGiven).await,
        Err(_) => bad_request(&req),
    }
}

/// `POST /end_session` (form-encoded), as GET.
pub async fn end_session_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    match serde_urlencoded::from_bytes::<EndSessionRequest>(&body) {
        Ok(request) => handle(&req, &state, &request, Confirmation::NotGiven).await,
        Err(_) => bad_request(&req),
    }
}

/// `POST /end_session/confirm`: the user confirmed on ferrid's page.
pub async fn end_session_confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ConfirmForm>,
) -> HttpResponse {
    let session = cookies::read(&state, &req, CookieKind::Session);
    if !check_confirmation_token(&state.csrf_key, session.as_deref(), form.csrf.as_deref()) {
        return error_page(
            &req,
            StatusCode::FORBIDDEN,
            "This form has expired",
            "The form was out of date or did not come from this page. Reload it and try again.",
        );
    }
    handle(&req, &state, &form.request, Confirmation::Given).await
}

fn bad_request(req: &HttpRequest) -> HttpResponse {
    error_page(
        req,
        StatusCode::BAD_REQUEST,
        "Invalid sign-out request",
        "The request could not be read.",
    )
}

async fn handle(
    req: &HttpRequest,
    state: &AppState,
    request: &EndSessionRequest,
    confirmation: Confirmation,
) -> HttpResponse {
    let session = cookies::read(state, req, CookieKind::Session);
    match end_session(state, request, session.as_deref(), confirmation).await {
        Ok(EndSessionOutcome::Refused(message)) => error_page(
            req,
            StatusCode::BAD_REQUEST,
            "Sign-out request refused",
            message,
        ),
        Ok(EndSessionOutcome::Confirm) => {
            let csrf = confirmation_token(&state.csrf_key, session.as_deref());
            render(&ConfirmPage {
                csrf: &csrf,
                request,
            })
        }
        Ok(EndSessionOutcome::SignedOut { redirect }) => {
            let mut res = match redirect {
                Some(url) => HttpResponse::Found()
                    .insert_header((LOCATION, url.as_str()))
                    .finish(),
                None => render(&SignedOutPage),
            };
            let _ = res.add_cookie(&cookies::clear(state, CookieKind::Session));
            res
        }
        Err(e) => internal_error(req, &e),
    }
}
