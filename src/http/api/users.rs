//! `/api/v1/users`: find, create, change, block and delete users, and set
//! their phone numbers.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::auth::ApiCaller;
use super::problem::{InvalidParam, Problem};
use crate::admin::users::{
    self, AddPhoneOutcome, CreateUser, CreateUserError, ListUsersError, PhoneVerification,
    UserUpdate, VerifyPhoneOutcome,
};
use crate::app::AppState;
use crate::domain::{EmailAddress, PhoneNumber};
use crate::otp::Refusal;
use crate::store::users::{User, UserFilter};

/// A user, as the API shows one.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub name: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
    /// E.164.
    pub phone_number: Option<String>,
    pub phone_verified: bool,
    /// A blocked user cannot sign in.
    pub blocked: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            name: u.name,
            email_verified: u.email.is_some() && u.email_verified_at.is_some(),
            email: u.email,
            phone_verified: u.phone.is_some() && u.phone_verified_at.is_some(),
            phone_number: u.phone.map(|p| p.as_str().to_owned()),
            blocked: u.blocked,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// A page of users.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub users: Vec<UserView>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    /// Users with exactly this phone number.
    pub phone: Option<String>,
    /// Users with this email address (without case).
    pub email: Option<String>,
    /// Users whose name, email address or phone number contains this.
    pub q: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Users per page, at most 100 (default 50).
    pub limit: Option<u64>,
}

/// Lists users, a page at a time, filtered by phone, email or a search.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UsersQuery),
    responses(
        (status = 200, description = "A page of users", body = UserList),
        (status = 400, description = "A bad filter or cursor", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:users:read"])))]
pub async fn list_users(
    _caller: ApiCaller,
    state: web::Data<AppState>,
    query: web::Query<UsersQuery>,
) -> Result<HttpResponse, Problem> {
    let query = query.into_inner();
    let region = state.settings.otp.default_region.as_deref();
    let filter = UserFilter {
        phone: query
            .phone
            .as_deref()
            .map(|p| PhoneNumber::parse(p, region))
            .transpose()
            .map_err(|e| Problem::invalid("phone", e))?,
        email: query
            .email
            .as_deref()
            .map(EmailAddress::parse)
            .transpose()
            .map_err(|e| Problem::invalid("email", e))?,
        q: query.q.filter(|q| !q.trim().is_empty()),
    };
    let page = users::list_users(
        &state,
        &filter,
        query.cursor.as_deref(),
        query.limit.unwrap_or(50),
    )
    .await
    .map_err(|e| match e {
        ListUsersError::BadCursor => Problem::invalid("cursor", e),
        ListUsersError::Unexpected(e) => Problem::unexpected(&e),
    })?;
    Ok(HttpResponse::Ok().json(UserList {
        users: page.users.into_iter().map(UserView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// A user to create; a number or an address given is taken as verified.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserBody {
    pub name: Option<String>,
    pub email: Option<String>,
    /// E.164, or national in the default region.
    pub phone_number: Option<String>,
}

/// Creates a user.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUserBody,
    responses(
        (status = 201, description = "The user was created", body = UserView),
        (status = 400, description = "Bad input", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The number or address is another user's", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:users:write"])))]
pub async fn create_user(
    caller: ApiCaller,
    state: web::Data<AppState>,
    body: web::Json<CreateUserBody>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let mut invalid = Vec::new();
    let region = state.settings.otp.default_region.as_deref();
    let phone = match body
        .phone_number
        .as_deref()
        .map(|p| PhoneNumber::parse(p, region))
    {
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => {
            invalid.push(InvalidParam::new("phone_number", e));
            None
        }
        None => None,
    };
    let email = match body.email.as_deref().map(EmailAddress::parse) {
        Some(Ok(e)) => Some(e),
        Some(Err(e)) => {
            invalid.push(InvalidParam::new("email", e));
            None
        }
        None => None,
    };
    let name = name_of(body.name.as_deref())
        .map_err(|p| invalid.push(p))
        .ok()
        .flatten();
    if !invalid.is_empty() {
        return Err(Problem::bad_request("The user is invalid", invalid));
    }
    let req = CreateUser { phone, email, name };
    match users::create_user(&state, &caller.actor(), req).await {
        Ok(user) => Ok(HttpResponse::Created().json(UserView::from(user))),
        Err(CreateUserError::Taken) => Err(Problem::conflict(
            "The phone number or the email address belongs to another user",
        )),
        Err(CreateUserError::Unexpected(e)) => Err(Problem::unexpected(&e)),
    }
}

/// The `name` field through the use case's rule.
fn name_of(raw: Option<&str>) -> Result<Option<String>, InvalidParam> {
    raw.map(users::parse_name)
        .transpose()
        .map(Option::flatten)
        .map_err(|e| InvalidParam::new("name", e))
}

/// Shows one user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = Uuid, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user", body = UserView),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:users:read"])))]
pub async fn get_user(
    _caller: ApiCaller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    match users::find_user(&state, id.into_inner()).await? {
        Some(user) => Ok(HttpResponse::Ok().json(UserView::from(user))),
        None => Err(no_user()),
    }
}

fn no_user() -> Problem {
    Problem::not_found("There is no user with this id")
}

/// A change to a user; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchUserBody {
    /// An empty name removes it.
    pub name: Option<String>,
    /// A blocked user cannot sign in, and their sessions end.
    pub blocked: Option<bool>,
}

/// Changes a user's name, or blocks or unblocks them.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = PatchUserBody,
    params(("id" = Uuid, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user as changed", body = UserView),
        (status = 400, description = "Bad input", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:users:write"])))]
pub async fn patch_user(
    caller: ApiCaller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: web::Json<PatchUserBody>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let name = match body.name.as_deref() {
        Some(raw) => Some(
            name_of(Some(raw))
                .map_err(|p| Problem::bad_request("The change is invalid", vec![p]))?,
        ),
        None => None,
    };
    let update = UserUpdate {
        name,
        blocked: body.blocked,
    };
    match users::update_user(&state, &caller.actor(), id.into_inner(), update).await? {
        Some(user) => Ok(HttpResponse::Ok().json(UserView::from(user))),
        None => Err(no_user()),
    }
}

/// Deletes a user and everything of theirs.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = Uuid, Path, description = "The user's id")),
    responses(
        (status = 204, description = "The user and everything of theirs are gone"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:users:write"])))]
pub async fn delete_user(
    caller: ApiCaller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    if users::delete_user(&state, &caller.actor(), id.into_inner()).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(no_user())
    }
}

/// A phone number for a user (Frontegg's shape).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddPhoneBody {
    /// E.164, or national in the default region.
    pub phone_number: String,
    /// `true`: send a code, and save the number once it comes back to
    /// `/verify`; `false`: save it as verified now.
    pub verify: bool,
}

/// The answer when a code was sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeSent {
    /// Always `code_sent`.
    pub status: String,
}

/// Sets a user's phone number, verified now or once a code comes back.
#[utoipa::path(post, path = "/api/v1/users/{id}/phone-numbers", tag = "users", request_body = AddPhoneBody,
    params(("id" = Uuid, Path, description = "The user's id")),
    responses(
        (status = 200, description = "Saved as verified (`verify: false`)", body = UserView),
        (status = 202, description = "A code was sent (`verify: true`)", body = CodeSent),
        (status = 400, description = "Not a phone number, or one the SMS connection refuses", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another user holds the number", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many codes", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The code could not be delivered", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:users:write"])))]
pub async fn add_phone(
    caller: ApiCaller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: web::Json<AddPhoneBody>,
) -> Result<HttpResponse, Problem> {
    let verification = if body.verify {
        PhoneVerification::SendCode
    } else {
        PhoneVerification::AlreadyVerified
    };
    let outcome = users::add_phone(
        &state,
        &caller.actor(),
        id.into_inner(),
        &body.phone_number,
        verification,
    )
    .await?;
    match outcome {
        AddPhoneOutcome::Saved(user) => Ok(HttpResponse::Ok().json(UserView::from(user))),
        AddPhoneOutcome::CodeSent => Ok(HttpResponse::Accepted().json(CodeSent {
            status: "code_sent".to_owned(),
        })),
        AddPhoneOutcome::Invalid(e) => Err(Problem::invalid("phone_number", e)),
        AddPhoneOutcome::Refused(refusal) => Err(refused(refusal)),
        AddPhoneOutcome::NotDelivered => Err(Problem::bad_gateway(
            "The SMS provider did not take the code",
        )),
        AddPhoneOutcome::Taken => Err(Problem::conflict("Another user holds this phone number")),
        AddPhoneOutcome::NoUser => Err(no_user()),
    }
}

fn refused(refusal: Refusal) -> Problem {
    match refusal {
        Refusal::Country => Problem::invalid(
            "phone_number",
            "the SMS connection does not send to this country",
        ),
        Refusal::LineKind(kind) => Problem::invalid(
            "phone_number",
            format!("a {kind} number cannot receive SMS"),
        ),
        Refusal::Cooldown(secs) => {
            Problem::too_many_requests(format!("A new code may be sent in {secs} s"))
        }
        Refusal::PhoneLimit | Refusal::NetworkLimit | Refusal::Ceiling => {
            Problem::too_many_requests("Too many codes were sent; try again later")
        }
    }
}

/// The code sent to a pending number.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyPhoneBody {
    pub code: String,
}

/// Saves the pending phone number with the code sent to it.
#[utoipa::path(post, path = "/api/v1/users/{id}/phone-numbers/verify", tag = "users", request_body = VerifyPhoneBody,
    params(("id" = Uuid, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The number is saved, verified", body = UserView),
        (status = 400, description = "Not a code", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another user took the number meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A wrong or expired code, or no number waiting", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:users:write"])))]
pub async fn verify_phone(
    caller: ApiCaller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: web::Json<VerifyPhoneBody>,
) -> Result<HttpResponse, Problem> {
    let outcome = users::verify_phone(&state, &caller.actor(), id.into_inner(), &body.code).await?;
    let wrong = |detail: String| {
        Problem::unprocessable(detail.clone(), vec![InvalidParam::new("code", detail)])
    };
    match outcome {
        VerifyPhoneOutcome::Saved(user) => Ok(HttpResponse::Ok().json(UserView::from(user))),
        VerifyPhoneOutcome::Malformed => {
            Err(Problem::invalid("code", "not a code of the right length"))
        }
        VerifyPhoneOutcome::Wrong { attempts_left } => Err(wrong(format!(
            "The code is wrong; {attempts_left} attempts left"
        ))),
        VerifyPhoneOutcome::TooManyAttempts => {
            Err(wrong("Too many wrong codes: send a new one".to_owned()))
        }
        VerifyPhoneOutcome::Expired => Err(wrong("The code expired: send a new one".to_owned())),
        VerifyPhoneOutcome::NothingPending => {
            Err(wrong("No phone number is waiting for a code".to_owned()))
        }
        VerifyPhoneOutcome::Taken => Err(Problem::conflict("Another user holds this phone number")),
        VerifyPhoneOutcome::NoUser => Err(no_user()),
    }
}

/// Removes a user's phone number.
#[utoipa::path(delete, path = "/api/v1/users/{id}/phone-numbers", tag = "users",
    params(("id" = Uuid, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user, without a phone number", body = UserView),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:users:write"])))]
pub async fn remove_phone(
    caller: ApiCaller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    match users::remove_phone(&state, &caller.actor(), id.into_inner()).await? {
        Some(user) => Ok(HttpResponse::Ok().json(UserView::from(user))),
        None => Err(no_user()),
    }
}
