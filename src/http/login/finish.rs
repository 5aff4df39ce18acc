//! What every code page does once a code was right: the session cookie
//! and the way back to the application, on to a second factor, or the
//! error the request earned.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;

use super::{Page, see_other};
use crate::app::AppState;
use crate::http::cookies::{self, CookieKind};
use crate::http::errors::error_page;
use crate::http::oidc::authorization_response;
use crate::login::{Answer, LoginTransaction, Target, VerifyCodeOutcome};
use crate::messages::catalogue::{Catalogue, with_number};
use crate::oidc::authorize::{self, AuthorizationResponse, SignedInAnswer};
use crate::session::SsoSession;
use crate::store::DatabaseTransaction;

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
