use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};

use super::respond::authorization_response;
use crate::app::AppState;
use crate::http::cookies::{self, CookieKind};
use crate::http::errors::{error_page, internal_error};
use crate::login::{self, Begun, Step};
use crate::oidc::authorize::{AuthorizeOutcome, authorize};

/// `GET /authorize`.
pub async fn authorize_get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string()) {
        Ok(params) => handle(&req, &state, &params).await,
        Err(_) => bad_request(&req),
    }
}

/// `POST /authorize` (form-encoded), as OIDC Core §3.1.2.1 allows.
pub async fn authorize_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    match serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) {
        Ok(params) => handle(&req, &state, &params).await,
        Err(_) => bad_request(&req),
    }
}

fn bad_request(req: &HttpRequest) -> HttpResponse {
    error_page(
        req,
        StatusCode::BAD_REQUEST,
        "Invalid sign-in request",
        "The application sent a request we could not read.",
    )
}

async fn handle(req: &HttpRequest, state: &AppState, params: &[(String, String)]) -> HttpResponse {
    let session = cookies::read(state, req, CookieKind::Session);
    let ip = crate::http::client_ip::client_ip(req, &state.settings.trusted_proxies);
    // The hosted login takes over a request that needs the user: a sign-in,
    // or only the consent of the user signed in with session `sid`.
    let begun = match authorize(state, params, session.as_deref()).await {
        Ok(AuthorizeOutcome::Untrusted(reason)) => {
            return error_page(
                req,
                StatusCode::BAD_REQUEST,
                "Invalid sign-in request",
                reason.message(),
            );
        }
        Ok(AuthorizeOutcome::Respond(response)) => {
            return authorization_response(&response, req.method());
        }
        Ok(AuthorizeOutcome::NeedsSignIn(request)) => {
            login::begin(state, &request, Step::SignIn, ip.as_deref())
                .await
                .map(|begun| (begun, "/login"))
        }
        Ok(AuthorizeOutcome::NeedsSecondFactor { request, session }) => {
            login::begin(state, &request, Step::SecondFactor(&session), ip.as_deref())
                .await
                .map(|begun| (begun, "/login/mfa"))
        }
        Ok(AuthorizeOutcome::NeedsConsent { request, sid }) => {
            login::begin(state, &request, Step::Consent { sid: &sid }, ip.as_deref())
                .await
                .map(|begun| (begun, "/consent"))
        }
        Err(e) => Err(e),
    };
    match begun {
        Ok((Begun::Started(transaction_id), page)) => HttpResponse::SeeOther()
            .cookie(cookies::make(
                state,
                CookieKind::Login,
                transaction_id,
                state.settings.tokens.login_transaction_ttl.0,
            ))
            .insert_header((LOCATION, page))
            .finish(),
        Ok((Begun::TooManyPending, _)) => {
            let mut res = error_page(
                req,
                StatusCode::TOO_MANY_REQUESTS,
                "Too many sign-ins in progress",
                "Too many sign-ins were started from your network. Finish one, or try again later.",
            );
            res.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from(
                    state.settings.tokens.login_transaction_ttl.0.as_secs(),
                ),
            );
            res
        }
        Err(e) => internal_error(req, &e),
    }
}
