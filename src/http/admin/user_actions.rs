//! What an admin does to one user from their page: sign them out
//! everywhere, remove a factor, set their phone number (verified at once
//! or once the code sent to it comes back), delete them. The same use cases
//! as the management API (`admin::users`), audited with the admin's id.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use uuid::Uuid;

use super::super::errors::internal_error;
use super::super::login::csrf_failure;
use super::users::{CsrfForm, user_page};
use super::view::Lang;
use super::{AdminUser, see_other};
use crate::admin::users::{
    self, AddPhoneOutcome, PhoneVerification, RemoveFactorOutcome, VerifyPhoneOutcome,
};
use crate::app::AppState;
use crate::audit::Actor;
use crate::domain::Factor;
use crate::messages::admin_catalogue::AdminCatalogue;
use crate::messages::admin_user_catalogue::admin_user_catalogue_for;
use crate::messages::catalogue::with_number;

/// The notice of a `?notice=` the actions below redirect with.
pub(super) fn notice(
    a: &AdminCatalogue,
    name: &str,
    sessions_ended: Option<usize>,
) -> Option<String> {
    let u = admin_user_catalogue_for(a.t);
    Some(match name {
        "signed_out" => with_number(u.signed_out_notice, sessions_ended.unwrap_or(0)),
        "factor_removed" => u.factor_removed.to_owned(),
        "phone_saved" => u.phone_saved.to_owned(),
        "code_sent" => u.code_sent.to_owned(),
        _ => return None,
    })
}

fn actor(admin: &AdminUser) -> Actor {
    Actor::Admin(admin.user.id)
}

/// The user's page again, with `problem` and `status`.
async fn refused(
    req: &HttpRequest,
    state: &AppState,
    admin: &AdminUser,
    user_id: Uuid,
    problem: &str,
    status: StatusCode,
) -> HttpResponse {
    let id = user_id.to_string();
    user_page(req, state, admin, &id, None, Some(problem), status).await
}

/// `POST /admin/users/{id}/signout`: every session of the user ends.
pub async fn sign_out_everywhere(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<Uuid>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    if !admin.csrf_ok(form.csrf.as_deref()) {
        return csrf_failure(&req);
    }
    let id = path.into_inner();
    match users::revoke_sessions(&state, &actor(&admin), id, None).await {
        Ok(Some(ended)) => see_other(&format!(
            "/admin/users/{id}?notice=signed_out&sessions_ended={ended}"
        )),
        Ok(None) => see_other("/admin/users"),
        Err(e) => internal_error(&req, &e),
    }
}

/// `POST /admin/users/{id}/factors/{factor}/remove`.
pub async fn remove_factor(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<(Uuid, String)>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    if !admin.csrf_ok(form.csrf.as_deref()) {
        return csrf_failure(&req);
    }
    let (id, factor) = path.into_inner();
    let u = admin_user_catalogue_for(Lang::resolve(&req, admin.user.locale.as_deref()).a.t);
    let Ok(factor) = factor.parse::<Factor>() else {
        return refused(
            &req,
            &state,
            &admin,
            id,
            u.factor_not_enrolled,
            StatusCode::NOT_FOUND,
        )
        .await;
    };
    match users::remove_factor(&state, &actor(&admin), id, factor).await {
        Ok(RemoveFactorOutcome::Removed) => {
            see_other(&format!("/admin/users/{id}?notice=factor_removed"))
        }
        Ok(RemoveFactorOutcome::NotEnrolled) => {
            refused(
                &req,
                &state,
                &admin,
                id,
                u.factor_not_enrolled,
                StatusCode::CONFLICT,
            )
            .await
        }
        Ok(RemoveFactorOutcome::NoUser) => see_other("/admin/users"),
        Err(e) => internal_error(&req, &e),
    }
}

#[derive(Deserialize)]
pub struct PhoneForm {
    csrf: Option<String>,
    phone: Option<String>,
    /// Present (a ticked box) when a code must verify the number first.
    verify: Option<String>,
}

/// `POST /admin/users/{id}/phone`: set the number, verified at once or
/// after a code.
pub async fn set_phone(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<Uuid>,
    form: web::Form<PhoneForm>,
) -> HttpResponse {
    if !admin.csrf_ok(form.csrf.as_deref()) {
        return csrf_failure(&req);
    }
    let id = path.into_inner();
    let u = admin_user_catalogue_for(Lang::resolve(&req, admin.user.locale.as_deref()).a.t);
    let verification = if form.verify.is_some() {
        PhoneVerification::SendCode
    } else {
        PhoneVerification::AlreadyVerified
    };
    let input = form.phone.as_deref().unwrap_or("");
    let bad = StatusCode::BAD_REQUEST;
    match users::add_phone(&state, &actor(&admin), id, input, verification).await {
        Ok(AddPhoneOutcome::Saved(_)) => {
            see_other(&format!("/admin/users/{id}?notice=phone_saved"))
        }
        Ok(AddPhoneOutcome::CodeSent) => see_other(&format!("/admin/users/{id}?notice=code_sent")),
        Ok(AddPhoneOutcome::Invalid(_)) => {
            refused(&req, &state, &admin, id, u.phone_invalid, bad).await
        }
        Ok(AddPhoneOutcome::Taken) => {
            refused(
                &req,
                &state,
                &admin,
                id,
                u.phone_taken,
                StatusCode::CONFLICT,
            )
            .await
        }
        Ok(AddPhoneOutcome::Refused(_) | AddPhoneOutcome::NotDelivered) => {
            refused(
                &req,
                &state,
                &admin,
                id,
                u.not_sent,
                StatusCode::BAD_GATEWAY,
            )
            .await
        }
        Ok(AddPhoneOutcome::NoUser) => see_other("/admin/users"),
        Err(e) => internal_error(&req, &e),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: Option<String>,
    code: Option<String>,
}

/// `POST /admin/users/{id}/phone/verify`: the code the user received.
pub async fn verify_phone(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<Uuid>,
    form: web::Form<CodeForm>,
) -> HttpResponse {
    if !admin.csrf_ok(form.csrf.as_deref()) {
        return csrf_failure(&req);
    }
    let id = path.into_inner();
    let u = admin_user_catalogue_for(Lang::resolve(&req, admin.user.locale.as_deref()).a.t);
    let code = form.code.as_deref().unwrap_or("");
    let bad = StatusCode::BAD_REQUEST;
    match users::verify_phone(&state, &actor(&admin), id, code).await {
        Ok(VerifyPhoneOutcome::Saved(_)) => {
            see_other(&format!("/admin/users/{id}?notice=phone_saved"))
        }
        Ok(
            VerifyPhoneOutcome::Malformed
            | VerifyPhoneOutcome::Wrong { .. }
            | VerifyPhoneOutcome::TooManyAttempts
            | VerifyPhoneOutcome::Expired,
        ) => refused(&req, &state, &admin, id, u.code_wrong, bad).await,
        Ok(VerifyPhoneOutcome::NothingPending) => {
            refused(
                &req,
                &state,
                &admin,
                id,
                u.nothing_pending,
                StatusCode::CONFLICT,
            )
            .await
        }
        Ok(VerifyPhoneOutcome::Taken) => {
            refused(
                &req,
                &state,
                &admin,
                id,
                u.phone_taken,
                StatusCode::CONFLICT,
            )
            .await
        }
        Ok(VerifyPhoneOutcome::NoUser) => see_other("/admin/users"),
        Err(e) => internal_error(&req, &e),
    }
}

#[derive(Deserialize)]
pub struct DeleteForm {
    csrf: Option<String>,
    confirm: Option<String>,
}

/// `POST /admin/users/{id}/delete`, after a ticked confirmation.
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<Uuid>,
    form: web::Form<DeleteForm>,
) -> HttpResponse {
    if !admin.csrf_ok(form.csrf.as_deref()) {
        return csrf_failure(&req);
    }
    let id = path.into_inner();
    let a = Lang::resolve(&req, admin.user.locale.as_deref()).a;
    let u = admin_user_catalogue_for(a.t);
    if form.confirm.as_deref() != Some("yes") {
        return refused(
            &req,
            &state,
            &admin,
            id,
            u.confirm_needed,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    if id == admin.user.id {
        return refused(
            &req,
            &state,
            &admin,
            id,
            a.own_account,
            StatusCode::CONFLICT,
        )
        .await;
    }
    match users::delete_user(&state, &actor(&admin), id).await {
        Ok(_) => see_other("/admin/users"),
        Err(e) => internal_error(&req, &e),
    }
}
