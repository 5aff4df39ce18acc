//! `/api/v1/users/{id}/factors/{factor}` and `/api/v1/users/{id}/sessions`:
//! a user's factors and SSO sessions.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::ApiCaller;
use super::problem::Problem;
use crate::admin::users::{self, RemoveFactorOutcome};
use crate::app::AppState;
use crate::domain::Factor;

/// A user's factor; never a secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct FactorView {
    /// `totp`, `sms`, `email` or `recovery_code`.
    pub factor: String,
    pub enrolled: bool,
    /// The phone number or address, masked.
    pub masked: Option<String>,
    /// Recovery codes not used yet.
    pub remaining: Option<u64>,
}

fn factor_of(raw: &str) -> Result<Factor, Problem> {
    raw.parse::<Factor>().map_err(|_| {
        Problem::not_found(format!(
            "`{raw}` is not a factor (totp, sms, email, recovery_code)"
        ))
    })
}

fn no_user() -> Problem {
    Problem::not_found("There is no user with this id")
}

/// Shows whether a user has a factor.
#[utoipa::path(get, path = "/api/v1/users/{id}/factors/{factor}", tag = "users",
    params(
        ("id" = Uuid, Path, description = "The user's id"),
        ("factor" = String, Path, description = "totp, sms, email or recovery_code"),
    ),
    responses(
        (status = 200, description = "The factor", body = FactorView),
        (status = 404, description = "No such user or factor", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:users:read"])))]
pub async fn get_factor(
    _caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, Problem> {
    let (id, factor) = path.into_inner();
    let factor = factor_of(&factor)?;
    match users::factor_state(&state, id, factor).await? {
        Some(f) => Ok(HttpResponse::Ok().json(FactorView {
            factor: f.factor.as_str().to_owned(),
            enrolled: f.enrolled,
            masked: f.masked,
            remaining: f.remaining,
        })),
        None => Err(no_user()),
    }
}

/// Removes a user's factor; the user is told.
#[utoipa::path(delete, path = "/api/v1/users/{id}/factors/{factor}", tag = "users",
    params(
        ("id" = Uuid, Path, description = "The user's id"),
        ("factor" = String, Path, description = "totp, sms, email or recovery_code"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such user, or the user does not have the factor", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:users:write"])))]
pub async fn delete_factor(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, Problem> {
    let (id, factor) = path.into_inner();
    let factor = factor_of(&factor)?;
    match users::remove_factor(&state, &caller.actor(), id, factor).await? {
        RemoveFactorOutcome::Removed => Ok(HttpResponse::NoContent().finish()),
        RemoveFactorOutcome::NotEnrolled => Err(Problem::not_found(format!(
            "The user has no {} factor",
            factor.as_str()
        ))),
        RemoveFactorOutcome::NoUser => Err(no_user()),
    }
}

/// A live SSO session of a user.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub sid: String,
    pub signed_in_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    /// The /24 (IPv4) or /48 (IPv6) network it was opened from.
    pub network: Option<String>,
}

/// A user's live sessions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub sessions: Vec<SessionView>,
}

/// Lists a user's live sessions, newest first.
#[utoipa::path(get, path = "/api/v1/users/{id}/sessions", tag = "users",
    params(("id" = Uuid, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The live sessions", body = SessionList),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:users:read"])))]
pub async fn list_sessions(
    _caller: ApiCaller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let Some(sessions) = users::list_sessions(&state, id.into_inner()).await? else {
        return Err(no_user());
    };
    Ok(HttpResponse::Ok().json(SessionList {
        sessions: sessions
            .into_iter()
            .map(|s| SessionView {
                sid: s.sid,
                signed_in_at: s.signed_in_at,
                last_seen_at: s.last_seen_at,
                user_agent: s.origin.user_agent,
                network: s.origin.network,
            })
            .collect(),
    }))
}

/// Ends every live session of a user, and the refresh tokens issued under them.
#[utoipa::path(delete, path = "/api/v1/users/{id}/sessions", tag = "users",
    params(("id" = Uuid, Path, description = "The user's id")),
    responses(
        (status = 204, description = "Every session ended"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:users:write"])))]
pub async fn delete_sessions(
    caller: ApiCaller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    match users::revoke_sessions(&state, &caller.actor(), id.into_inner(), None).await? {
        Some(_) => Ok(HttpResponse::NoContent().finish()),
        None => Err(no_user()),
    }
}

/// Ends one session of a user.
#[utoipa::path(delete, path = "/api/v1/users/{id}/sessions/{sid}", tag = "users",
    params(
        ("id" = Uuid, Path, description = "The user's id"),
        ("sid" = String, Path, description = "The session's sid"),
    ),
    responses(
        (status = 204, description = "The session ended"),
        (status = 404, description = "No such user, or no such live session of theirs", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:users:write"])))]
pub async fn delete_session(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, Problem> {
    let (id, sid) = path.into_inner();
    match users::revoke_sessions(&state, &caller.actor(), id, Some(&sid)).await? {
        Some(0) => Err(Problem::not_found(
            "The user has no live session with this sid",
        )),
        Some(_) => Ok(HttpResponse::NoContent().finish()),
        None => Err(no_user()),
    }
}
