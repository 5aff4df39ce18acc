//! The account area (`/account`): the signed-in user's "Privacy &
//! Security" pages. One middleware on the scope reads the SSO session and
//! puts a [`SignedIn`] into the request; without a live session the browser
//! goes through the hosted sign-in and comes back here. The revert link and
//! the start of that sign-in live outside the scope.

mod codes;
mod ctx;
mod factors;
mod pages;
mod revert;
mod view;

use std::future::{Ready, ready};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};

use super::client_ip::client_ip;
use super::cookies::{self, CookieKind};
use super::errors::{error_page, internal_error};
use crate::account::{self, SignedInUser};
use crate::app::AppState;
use crate::login::{self, Begun};

/// The account area's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    // Outside the signed-in scope, and registered before it so that its
    // prefix does not take them.
    cfg.route("/account/signin", web::get().to(signin))
        .route(
            "/account/revert/{token}",
            web::get().to(revert::confirm_form),
        )
        .route("/account/revert/{token}", web::post().to(revert::confirm))
        .service(
            web::scope("/account")
                .wrap(actix_web::middleware::from_fn(require_session))
                .route("", web::get().to(pages::overview))
                .route("/phone", web::post().to(pages::phone))
                .route("/phone/verify", web::get().to(codes::verify_form))
                .route("/phone/verify", web::post().to(codes::verify))
                .route("/phone/resend", web::post().to(codes::verify_resend))
                .route("/phone/remove", web::post().to(pages::remove))
                .route("/email", web::post().to(pages::email))
                .route("/email/verify", web::get().to(codes::verify_email_form))
                .route("/email/verify", web::post().to(codes::verify_email))
                .route("/email/resend", web::post().to(codes::verify_email_resend))
                .route("/email/remove", web::post().to(pages::remove_email))
                .route("/reauth", web::get().to(codes::reauth_form))
                .route("/reauth", web::post().to(codes::reauth))
                .route("/reauth/resend", web::post().to(codes::reauth_resend))
                .route(
                    "/sessions/revoke-others",
                    web::post().to(pages::revoke_others),
                )
                .route(
                    "/sessions/{id}/revoke",
                    web::post().to(pages::revoke_session),
                )
                .route(
                    "/consents/{client_id}/revoke",
                    web::post().to(pages::revoke_consent),
                )
                .route("/totp", web::get().to(factors::totp_form))
                .route("/totp", web::post().to(factors::add_totp))
                .route("/totp/confirm", web::post().to(factors::confirm_totp))
                .route("/totp/remove", web::post().to(factors::remove_totp))
                .route("/recovery-codes", web::post().to(factors::recovery_codes))
                .route("/activity", web::get().to(pages::activity)),
        );
}

/// The signed-in user of an account page, put into the request by the
/// scope's middleware.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub me: SignedInUser,
    /// The SSO cookie's value: the CSRF tokens are bound to it.
    pub token: String,
}

impl FromRequest for SignedIn {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<SignedIn>()
                .cloned()
                .ok_or_else(|| actix_web::error::ErrorInternalServerError("no signed-in user")),
        )
    }
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location))
        .finish()
}

/// The scope's middleware: a live SSO session, or the way to sign in.
async fn require_session(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError("no state"));
    };
    let token = cookies::read(&state, req.request(), CookieKind::Session);
    let found = match &token {
        Some(token) => account::signed_in(&state, token).await,
        None => Ok(None),
    };
    match (found, token) {
        (Ok(Some(me)), Some(token)) => {
            req.extensions_mut().insert(SignedIn { me, token });
            Ok(next.call(req).await?.map_into_left_body())
        }
        (Ok(_), _) => Ok(req
            .into_response(see_other("/account/signin"))
            .map_into_right_body()),
        (Err(e), _) => {
            let res = internal_error(req.request(), &e);
            Ok(req.into_response(res).map_into_right_body())
        }
    }
}

/// `GET /account/signin`: the hosted sign-in, ending at `/account`.
async fn signin(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let ip = client_ip(&req, &state.settings.trusted_proxies);
    let lang = req
        .cookie(view::LANGUAGE_COOKIE)
        .map(|c| c.value().to_owned());
    match login::begin_account(&state, ip.as_deref(), lang.as_deref()).await {
        Ok(Begun::Started(transaction_id)) => HttpResponse::SeeOther()
            .cookie(cookies::make(
                &state,
                CookieKind::Login,
                transaction_id,
                state.settings.tokens.login_transaction_ttl.0,
            ))
            .insert_header((LOCATION, "/login"))
            .finish(),
        Ok(Begun::TooManyPending) => error_page(
            &req,
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-ins in progress",
            "Too many sign-ins were started from your network. Finish one, or try again later.",
        ),
        Err(e) => internal_error(&req, &e),
    }
}
