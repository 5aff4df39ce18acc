//! The account pages that wait for a code: re-authentication and the
//! proof of a new number or address, with "send a new code".

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::super::errors::internal_error;
use super::SignedIn;
use super::ctx::{CodeForm, CsrfForm, Ctx, Input, PageQuery, Step, open, see_other};
use crate::account::{self, ReauthOutcome, ResendOutcome, VerifyOutcome};
use crate::app::AppState;

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
            Step::VerifyPhone,
            &masked,
            None,
            query.sent.as_ref().map(|_| a.t.new_code_sent),
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
        Ok(VerifyOutcome::Saved) => see_other("/account?notice=phone_saved"),
        Ok(VerifyOutcome::Taken) => {
            ctx.overview(None, Some(a.phone_taken), "", StatusCode::CONFLICT)
                .await
        }
        Ok(VerifyOutcome::Code(problem)) => {
            let masked = match account::pending_phone(&ctx.request()).await {
                Ok(masked) => masked.unwrap_or_default(),
                Err(e) => return internal_error(&req, &e),
            };
            let text = ctx.code_problem(problem);
            ctx.code_page(
                Step::VerifyPhone,
                &masked,
                Some(&text),
                None,
                StatusCode::BAD_REQUEST,
            )
        }
        Ok(VerifyOutcome::NothingPending) => {
            ctx.overview(None, Some(a.nothing_pending), "", StatusCode::BAD_REQUEST)
                .await
        }
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
            Step::Reauth,
            &masked,
            None,
            query.sent.as_ref().map(|_| a.t.new_code_sent),
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
            let masked = match account::reauth_view(&ctx.request()).await {
                Ok(masked) => masked.unwrap_or_default(),
                Err(e) => return internal_error(&req, &e),
            };
            let text = ctx.code_problem(problem);
            ctx.code_page(
                Step::Reauth,
                &masked,
                Some(&text),
                None,
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

/// `POST /account/reauth/resend` and `POST /account/phone/resend`: a new
/// code for the page's pending step, after the cooldown.
async fn resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn,
    form: web::Form<CsrfForm>,
    step: Step,
) -> HttpResponse {
    let ctx = open!(Ctx::form(&req, &state, &signed_in, form.csrf.as_deref()));
    let masked = match step {
        Step::Reauth => account::reauth_view(&ctx.request()).await,
        Step::VerifyPhone => account::pending_phone(&ctx.request()).await,
        Step::VerifyEmail => account::pending_email(&ctx.request()).await,
    };
    let masked = match masked {
        Ok(Some(masked)) => masked,
        Ok(None) => return see_other("/account"),
        Err(e) => return internal_error(&req, &e),
    };
    match account::resend_code(&ctx.request()).await {
        Ok(ResendOutcome::Sent) => see_other(&format!("{}?sent=1", step.action())),
        Ok(ResendOutcome::NotSent(problem)) => {
            let (text, status) = ctx.send_problem(problem);
            ctx.code_page(step, &masked, Some(&text), None, status)
        }
        Ok(ResendOutcome::NothingPending) => see_other("/account"),
        Err(e) => internal_error(&req, &e),
    }
}

/// `POST /account/reauth/resend`.
pub async fn reauth_resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    resend(req, state, signed_in, form, Step::Reauth).await
}

/// `POST /account/phone/resend`.
pub async fn verify_resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    resend(req, state, signed_in, form, Step::VerifyPhone).await
}

/// `GET /account/email/verify`: the code sent to the new address.
pub async fn verify_email_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    let ctx = open!(Ctx::open(&req, &state, &signed_in, query.lang.as_deref()));
    let a = ctx.lang.a;
    match account::pending_email(&ctx.request()).await {
        Ok(Some(masked)) => ctx.code_page(
            Step::VerifyEmail,
            &masked,
            None,
            query.sent.as_ref().map(|_| a.t.new_code_sent),
            StatusCode::OK,
        ),
        Ok(None) => see_other("/account"),
        Err(e) => internal_error(&req, &e),
    }
}

/// `POST /account/email/verify`.
pub async fn verify_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn,
    form: web::Form<CodeForm>,
) -> HttpResponse {
    let ctx = open!(Ctx::form(&req, &state, &signed_in, form.csrf.as_deref()));
    let a = ctx.lang.a;
    let input = form.code.as_deref().unwrap_or("");
    match account::verify_email(&ctx.request(), input).await {
        Ok(VerifyOutcome::Saved) => see_other("/account?notice=email_saved"),
        Ok(VerifyOutcome::Taken) => {
            let taken = ctx.lang.e().email_taken;
            ctx.overview_with(None, Some(taken), Input::Email(""), StatusCode::CONFLICT)
                .await
        }
        Ok(VerifyOutcome::Code(problem)) => {
            let masked = match account::pending_email(&ctx.request()).await {
                Ok(masked) => masked.unwrap_or_default(),
                Err(e) => return internal_error(&req, &e),
            };
            let text = ctx.code_problem(problem);
            ctx.code_page(
                Step::VerifyEmail,
                &masked,
                Some(&text),
                None,
                StatusCode::BAD_REQUEST,
            )
        }
        Ok(VerifyOutcome::NothingPending) => {
            ctx.overview(None, Some(a.nothing_pending), "", StatusCode::BAD_REQUEST)
                .await
        }
        Err(e) => internal_error(&req, &e),
    }
}

/// `POST /account/email/resend`.
pub async fn verify_email_resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    resend(req, state, signed_in, form, Step::VerifyEmail).await
}
