//! The management API under `/api/v1`: JSON in and out, errors as RFC 9457
//! problems, every scope of routes behind [`auth::authorize`] with the API
//! scope it needs.

mod audit;
mod auth;
mod clients;
mod config;
mod openapi;
mod policy;
mod problem;
mod user_factors;
mod users;

use actix_web::body::BoxBody;
use actix_web::dev::ServiceRequest;
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use auth::{Needs, authorize};
use problem::Problem;

use crate::oidc::api_token::ApiScope;

/// Users: read with `ferrid:users:read`, change with `ferrid:users:write`.
const USERS: Needs = Needs {
    read: ApiScope::UsersRead,
    write: ApiScope::UsersWrite,
};
const CLIENTS: Needs = Needs::only(ApiScope::ClientsWrite);
const CONFIG: Needs = Needs::only(ApiScope::ConfigWrite);
const AUDIT: Needs = Needs::only(ApiScope::AuditRead);

/// The `/api/v1` routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .app_data(json_config())
            .app_data(query_config())
            .app_data(path_config())
            .route("/openapi.json", web::get().to(openapi::openapi_json))
            .route("/docs", web::get().to(openapi::docs))
            .service(
                web::scope("/users")
                    .wrap(from_fn(|req: ServiceRequest, next: Next<BoxBody>| {
                        authorize(USERS, req, next)
                    }))
                    .route("", web::get().to(users::list_users))
                    .route("", web::post().to(users::create_user))
                    .route("/{id}", web::get().to(users::get_user))
                    .route("/{id}", web::patch().to(users::patch_user))
                    .route("/{id}", web::delete().to(users::delete_user))
                    .route("/{id}/phone-numbers", web::post().to(users::add_phone))
                    .route("/{id}/phone-numbers", web::delete().to(users::remove_phone))
                    .route(
                        "/{id}/phone-numbers/verify",
                        web::post().to(users::verify_phone),
                    )
                    .route(
                        "/{id}/factors/{factor}",
                        web::get().to(user_factors::get_factor),
                    )
                    .route(
                        "/{id}/factors/{factor}",
                        web::delete().to(user_factors::delete_factor),
                    )
                    .route("/{id}/sessions", web::get().to(user_factors::list_sessions))
                    .route(
                        "/{id}/sessions",
                        web::delete().to(user_factors::delete_sessions),
                    )
                    .route(
                        "/{id}/sessions/{sid}",
                        web::delete().to(user_factors::delete_session),
                    )
                    .default_service(web::to(not_found)),
            )
            .service(
                web::scope("/clients")
                    .wrap(from_fn(|req: ServiceRequest, next: Next<BoxBody>| {
                        authorize(CLIENTS, req, next)
                    }))
                    .route("", web::get().to(clients::list_clients))
                    .route("", web::post().to(clients::create_client))
                    .route("/{id}", web::get().to(clients::get_client))
                    .route("/{id}", web::patch().to(clients::patch_client))
                    .route("/{id}", web::delete().to(clients::delete_client))
                    .route("/{id}/secret", web::post().to(clients::rotate_secret))
                    .default_service(web::to(not_found)),
            )
            .service(
                web::scope("/policy")
                    .wrap(from_fn(|req: ServiceRequest, next: Next<BoxBody>| {
                        authorize(CONFIG, req, next)
                    }))
                    .route("", web::get().to(policy::get_policy))
                    .route("", web::patch().to(policy::patch_policy))
                    .default_service(web::to(not_found)),
            )
            .service(
                web::scope("/connections")
                    .wrap(from_fn(|req: ServiceRequest, next: Next<BoxBody>| {
                        authorize(CONFIG, req, next)
                    }))
                    .route("/sms", web::get().to(config::get_sms_connection))
                    .route("/sms", web::patch().to(config::patch_sms_connection))
                    .default_service(web::to(not_found)),
            )
            .service(
                web::scope("/templates")
                    .wrap(from_fn(|req: ServiceRequest, next: Next<BoxBody>| {
                        authorize(CONFIG, req, next)
                    }))
                    .route("/preview", web::post().to(config::preview_template))
                    .route(
                        "/{channel}/{usage}/{lang}",
                        web::put().to(config::put_template),
                    )
                    .default_service(web::to(not_found)),
            )
            .service(
                web::scope("/audit-events")
                    .wrap(from_fn(|req: ServiceRequest, next: Next<BoxBody>| {
                        authorize(AUDIT, req, next)
                    }))
                    .route("", web::get().to(audit::list_audit_events))
                    .default_service(web::to(not_found)),
            )
            .default_service(web::to(not_found)),
    );
}

/// No such operation (or not with this method): a problem, not a page.
async fn not_found(req: HttpRequest) -> HttpResponse {
    Problem::not_found(format!("No operation {} {}", req.method(), req.path())).error_response()
}

/// A body that is not the JSON an operation takes: 400 with why.
fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(64 * 1024)
        .error_handler(|err, _| {
            let reason = err.to_string();
            Problem::bad_request(
                format!("The body is not what this operation takes: {reason}"),
                vec![problem::InvalidParam::new("body", reason)],
            )
            .into()
        })
}

fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        let reason = err.to_string();
        Problem::bad_request(
            format!("The query is invalid: {reason}"),
            vec![problem::InvalidParam::new("query", reason)],
        )
        .into()
    })
}

/// A path id that cannot be one (not a UUID) names nothing: 404.
fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|_, req| Problem::not_found(format!("Nothing at {}", req.path())).into())
}
