//! Signing in to the dashboard through the hosted login, and out.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::super::errors::internal_error;
use super::super::login::csrf_failure;
use super::view::{Lang, message_page};
use super::{AdminUser, refusal, see_other, session};
use crate::admin::dashboard::{self, SignInOutcome};
use crate::admin::relying_party::{self, Callback, SignInError};
use crate::app::AppState;

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

/// `GET /admin/signin`: off to the hosted login, as the dashboard's client.
pub async fn signin(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
) -> HttpResponse {
    let started = relying_party::start(
        state.settings.issuer_base(),
        &dashboard::redirect_uri(&state.settings),
    )
    .await
    .and_then(|(url, pending)| session::keep_pending(&session, &pending).map(|()| url));
    match started {
        Ok(url) => see_other(&url),
        Err(e) => internal_error(&req, &e),
    }
}

/// `GET /admin/callback`: the hosted login's answer.
pub async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<CallbackQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let back = Callback {
        code: query.code,
        state: query.state,
        iss: query.iss,
        error: query.error,
    };
    let now = state.clock.now();
    let pending = session::take_pending(&session);
    let lang = Lang::resolve(&req, None);
    let a = lang.a;
    match dashboard::complete_sign_in(&state.db, &state.settings, pending, back, now).await {
        Ok(SignInOutcome::Admitted(user)) => match session::sign_in(&session, user.id, now) {
            Ok(()) => see_other("/admin"),
            Err(e) => internal_error(&req, &e),
        },
        Ok(SignInOutcome::NotAnAdmin) => {
            session.purge();
            refusal(&req, &Lang::resolve(&req, None))
        }
        Ok(SignInOutcome::Failed(SignInError::NoSecondFactor)) => message_page(
            &req,
            &lang,
            StatusCode::FORBIDDEN,
            a.signin_failed_title,
            a.signin_no_mfa,
        ),
        Ok(SignInOutcome::Failed(e)) => {
            tracing::info!(reason = %e, "a dashboard sign-in failed");
            message_page(
                &req,
                &lang,
                StatusCode::BAD_REQUEST,
                a.signin_failed_title,
                a.signin_failed_text,
            )
        }
        Err(e) => internal_error(&req, &e),
    }
}

/// `POST /admin/signout`: ends the dashboard's session (the SSO session
/// stays: signing out of ferrid is `/end_session`).
pub async fn signout(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    session: Session,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    if !admin.csrf_ok(form.csrf.as_deref()) {
        return csrf_failure(&req);
    }
    session.purge();
    dashboard::record_signed_out(&state.db, admin.user.id, state.clock.now()).await;
    see_other("/")
}
