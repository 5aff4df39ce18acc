//! Users: search, one user's page, block and unblock.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use uuid::Uuid;

use super::super::errors::{internal_error, render, render_with_status};
use super::super::login::csrf_failure;
use super::view::{Lang, LineRow, Nav, UserPage, UserRow, UsersPage, factor_name, when};
use super::{AdminUser, see_other};
use crate::admin::directory::{self, BlockOutcome, Blocking, UserQuery};
use crate::app::AppState;
use crate::messages::admin_user_catalogue::admin_user_catalogue_for;
use crate::messages::catalogue::with_number;
use crate::store::users::User;

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

fn row(u: &User) -> UserRow {
    UserRow {
        id: u.id.to_string(),
        phone: u
            .phone
            .as_ref()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
        email: u.email.clone().unwrap_or_default(),
        blocked: u.blocked,
        admin: u.admin,
        created: when(u.created_at),
    }
}

/// `GET /admin/users?q=…`.
pub async fn search(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    query: web::Query<SearchQuery>,
) -> HttpResponse {
    let lang = Lang::resolve(&req, admin.user.locale.as_deref());
    let q = query.q.clone().unwrap_or_default();
    let parsed = UserQuery::parse(&q);
    let problem = (parsed == UserQuery::Unrecognised).then_some(lang.a.users_unrecognised);
    match directory::search(&state.db, &parsed).await {
        Ok(users) => render(&UsersPage {
            a: lang.a,
            csrf: &admin.csrf,
            nav: Nav::Users,
            q,
            users: users.iter().map(row).collect(),
            problem,
        }),
        Err(e) => internal_error(&req, &e),
    }
}

#[derive(Deserialize)]
pub struct UserQueryString {
    notice: Option<String>,
    sessions_ended: Option<usize>,
}

/// A user's page, with a notice or a problem.
pub(super) async fn user_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &AdminUser,
    raw_id: &str,
    notice: Option<String>,
    problem: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let lang = Lang::resolve(req, admin.user.locale.as_deref());
    let a = lang.a;
    let u = admin_user_catalogue_for(a.t);
    let found = match Uuid::parse_str(raw_id) {
        Ok(id) => directory::user_detail(&state.db, id, state.clock.now()).await,
        Err(_) => Ok(None),
    };
    match found {
        Ok(Some(d)) => render_with_status(
            status,
            &UserPage {
                a,
                csrf: &admin.csrf,
                nav: Nav::Users,
                user: row(&d.user),
                u: admin_user_catalogue_for(a.t),
                factors: d
                    .factors
                    .iter()
                    .map(|f| (f.as_str(), factor_name(a, *f)))
                    .collect(),
                code_pending: notice.as_deref() == Some(u.code_sent)
                    || problem == Some(u.code_wrong),
                sessions: d
                    .sessions
                    .iter()
                    .map(|s| LineRow {
                        text: s.origin.network.clone().unwrap_or_default(),
                        at: when(s.last_seen_at),
                    })
                    .collect(),
                consents: d
                    .consents
                    .iter()
                    .map(|c| LineRow {
                        text: format!("{} ({})", c.client_id, c.scope),
                        at: when(c.granted_at),
                    })
                    .collect(),
                events: d
                    .events
                    .iter()
                    .map(|e| LineRow {
                        text: e.kind.clone(),
                        at: when(e.at),
                    })
                    .collect(),
                notice,
                problem,
            },
        ),
        Ok(None) => super::view::message_page(
            req,
            &lang,
            StatusCode::NOT_FOUND,
            a.user_not_found,
            a.user_not_found,
        ),
        Err(e) => internal_error(req, &e),
    }
}

/// `GET /admin/users/{id}`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    query: web::Query<UserQueryString>,
) -> HttpResponse {
    let a = Lang::resolve(&req, admin.user.locale.as_deref()).a;
    let notice = match query.notice.as_deref() {
        Some("blocked") => Some(with_number(
            a.blocked_notice,
            query.sessions_ended.unwrap_or(0),
        )),
        Some("unblocked") => Some(a.unblocked_notice.to_owned()),
        Some(other) => super::user_actions::notice(a, other, query.sessions_ended),
        None => None,
    };
    user_page(&req, &state, &admin, &path, notice, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct CsrfForm {
    pub(super) csrf: Option<String>,
}

/// `POST /admin/users/{id}/block`.
pub async fn block(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    set_blocked(req, state, admin, path, form, Blocking::Block).await
}

/// `POST /admin/users/{id}/unblock`.
pub async fn unblock(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    set_blocked(req, state, admin, path, form, Blocking::Unblock).await
}

async fn set_blocked(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
    blocking: Blocking,
) -> HttpResponse {
    if !admin.csrf_ok(form.csrf.as_deref()) {
        return csrf_failure(&req);
    }
    let a = Lang::resolve(&req, admin.user.locale.as_deref()).a;
    let Ok(user_id) = Uuid::parse_str(&path) else {
        return user_page(
            &req,
            &state,
            &admin,
            &path,
            None,
            None,
            StatusCode::NOT_FOUND,
        )
        .await;
    };
    let now = state.clock.now();
    match directory::set_blocked(&state.db, admin.user.id, user_id, blocking, now).await {
        Ok(BlockOutcome::Changed { sessions_ended }) => match blocking {
            Blocking::Block => see_other(&format!(
                "/admin/users/{user_id}?notice=blocked&sessions_ended={sessions_ended}"
            )),
            Blocking::Unblock => see_other(&format!("/admin/users/{user_id}?notice=unblocked")),
        },
        Ok(BlockOutcome::Unchanged) => see_other(&format!("/admin/users/{user_id}")),
        Ok(BlockOutcome::OwnAccount) => {
            user_page(
                &req,
                &state,
                &admin,
                &path,
                None,
                Some(a.own_account),
                StatusCode::CONFLICT,
            )
            .await
        }
        Ok(BlockOutcome::NoSuchUser) => {
            user_page(
                &req,
                &state,
                &admin,
                &path,
                None,
                None,
                StatusCode::NOT_FOUND,
            )
            .await
        }
        Err(e) => internal_error(&req, &e),
    }
}
