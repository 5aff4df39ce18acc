//! The dashboard (`/admin`): a relying party of ferrid itself with its own
//! session. The sign-in and its return live outside the signed-in part;
//! one middleware on the rest puts an [`AdminUser`] into the request, or
//! sends the browser to sign in (again, after 30 idle minutes), or refuses
//! a user who is not, or is no longer, an admin.

mod application_edit;
mod applications;
mod audit;
mod connection;
mod keys;
mod outbox;
mod pages;
pub mod session;
mod signin;
mod templates;
mod user_actions;
mod users;
mod view;

use std::future::{Ready, ready};

use actix_session::{SessionExt, SessionMiddleware};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};

use super::errors::internal_error;
use crate::admin::dashboard::{self, Admission};
use crate::app::AppState;
use crate::crypto::constant_time_eq;
use crate::store::users::User;
use session::{DashboardSessions, Signed};
use view::Lang;

/// The dashboard's routes, under its session middleware.
pub fn routes(cfg: &mut web::ServiceConfig, sessions: SessionMiddleware<DashboardSessions>) {
    cfg.service(
        web::scope("/admin")
            .wrap(sessions)
            .route("/signin", web::get().to(signin::signin))
            .route("/callback", web::get().to(signin::callback))
            .service(
                web::scope("")
                    .wrap(actix_web::middleware::from_fn(require_admin))
                    .route("", web::get().to(pages::overview))
                    .route("/signout", web::post().to(signin::signout))
                    .route("/policy", web::get().to(pages::policy_form))
                    .route("/policy", web::post().to(pages::policy))
                    .route("/applications", web::get().to(applications::list))
                    .route("/applications", web::post().to(applications::create))
                    .route("/applications/new", web::get().to(applications::new_form))
                    .route(
                        "/applications/{client_id}",
                        web::get().to(applications::show),
                    )
                    .route(
                        "/applications/{client_id}/delete",
                        web::post().to(applications::delete),
                    )
                    .route(
                        "/applications/{client_id}/edit",
                        web::get().to(application_edit::edit_form),
                    )
                    .route(
                        "/applications/{client_id}/edit",
                        web::post().to(application_edit::edit),
                    )
                    .route(
                        "/applications/{client_id}/rotate",
                        web::post().to(application_edit::rotate),
                    )
                    .route("/users", web::get().to(users::search))
                    .route("/users/{id}", web::get().to(users::show))
                    .route("/users/{id}/block", web::post().to(users::block))
                    .route("/users/{id}/unblock", web::post().to(users::unblock))
                    .route("/templates", web::get().to(templates::list))
                    .route("/templates/preview", web::post().to(templates::preview))
                    .route(
                        "/templates/{channel}/{usage}/{lang}",
                        web::get().to(templates::edit_form),
                    )
                    .route(
                        "/templates/{channel}/{usage}/{lang}",
                        web::post().to(templates::edit),
                    )
                    .route("/audit", web::get().to(audit::page))
                    .route("/audit.csv", web::get().to(audit::csv))
                    .route("/connection", web::get().to(connection::show))
                    .route("/connection", web::post().to(connection::save))
                    .route("/connection/test", web::post().to(connection::test))
                    .route("/outbox", web::get().to(outbox::list))
                    .route("/outbox/{id}/retry", web::post().to(outbox::retry))
                    .route("/outbox/{id}/abandon", web::post().to(outbox::abandon))
                    .route("/keys", web::get().to(keys::list))
                    .route("/keys/rotate", web::post().to(keys::rotate))
                    .route(
                        "/users/{id}/signout",
                        web::post().to(user_actions::sign_out_everywhere),
                    )
                    .route(
                        "/users/{id}/factors/{factor}/remove",
                        web::post().to(user_actions::remove_factor),
                    )
                    .route("/users/{id}/phone", web::post().to(user_actions::set_phone))
                    .route(
                        "/users/{id}/phone/verify",
                        web::post().to(user_actions::verify_phone),
                    )
                    .route("/users/{id}/delete", web::post().to(user_actions::delete)),
            ),
    );
}

/// The signed-in admin of a dashboard page, put into the request by the
/// scope's middleware.
#[derive(Clone, Debug)]
pub struct AdminUser {
    pub user: User,
    /// The CSRF token of this session's forms.
    pub csrf: String,
}

impl AdminUser {
    /// Whether a form's CSRF token is this session's.
    fn csrf_ok(&self, given: Option<&str>) -> bool {
        given.is_some_and(|g| constant_time_eq(g.as_bytes(), self.csrf.as_bytes()))
    }
}

impl FromRequest for AdminUser {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<AdminUser>()
                .cloned()
                .ok_or_else(|| actix_web::error::ErrorInternalServerError("no admin")),
        )
    }
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location))
        .finish()
}

/// The scope's middleware: a recent session of a user who is an admin
/// now, or the way to sign in, or a refusal.
async fn require_admin(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError("no state"));
    };
    let session = req.get_session();
    let now = state.clock.now();
    let id = match session::signed(&session, now) {
        Signed::In(id) => id,
        Signed::Idle => {
            session.purge();
            return Ok(req
                .into_response(see_other("/admin/signin"))
                .map_into_right_body());
        }
        Signed::Out => {
            return Ok(req
                .into_response(see_other("/admin/signin"))
                .map_into_right_body());
        }
    };
    let res = match (
        dashboard::admit(&state.db, id).await,
        session::csrf(&session),
    ) {
        (Ok(Admission::Admitted(user)), Some(csrf)) => {
            session::touch(&session, now);
            req.extensions_mut().insert(AdminUser { user, csrf });
            return Ok(next.call(req).await?.map_into_left_body());
        }
        (Ok(_), _) => {
            // Revoked, blocked or gone since signing in.
            session.purge();
            let lang = Lang::resolve(req.request(), None);
            refusal(req.request(), &lang)
        }
        (Err(e), _) => internal_error(req.request(), &e),
    };
    Ok(req.into_response(res).map_into_right_body())
}

/// The page a signed-in user who is not an admin sees.
fn refusal(req: &HttpRequest, lang: &Lang) -> HttpResponse {
    let a = lang.a;
    view::message_page(
        req,
        lang,
        StatusCode::FORBIDDEN,
        a.refused_title,
        a.refused_text,
    )
}
