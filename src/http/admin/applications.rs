//! Applications: the list, a new one (its secret shown once), one whole,
//! and deleting one after confirmation. Through `admin::clients`, each
//! action audit-logged with the admin's id.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::super::errors::{internal_error, render, render_with_status};
use super::super::login::csrf_failure;
use super::view::{
    AppDetail, AppFormValues, AppRow, ApplicationPage, ApplicationsPage, Lang, Nav,
    NewApplicationPage, message_page,
};
use super::{AdminUser, see_other};
use crate::admin::clients::{self, CreateClient, CreateClientError};
use crate::admin::dashboard;
use crate::app::AppState;
use crate::domain::{ClientId, ClientName, ClientType, GrantType, Origin, RedirectUri};
use crate::messages::admin_catalogue::AdminCatalogue;
use crate::store::clients::Client;

#[derive(Deserialize)]
pub struct ListQuery {
    notice: Option<String>,
}

/// `GET /admin/applications`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    let lang = Lang::resolve(&req, admin.user.locale.as_deref());
    let all = match clients::list_clients(&state.db).await {
        Ok(all) => all,
        Err(e) => return internal_error(&req, &e),
    };
    let notice = match query.notice.as_deref() {
        Some("deleted") => Some(lang.a.app_deleted),
        _ => None,
    };
    render(&ApplicationsPage {
        a: lang.a,
        csrf: &admin.csrf,
        nav: Nav::Applications,
        apps: all
            .into_iter()
            .filter(|c| !c.client_id.is_reserved())
            .map(|c| AppRow {
                client_id: c.client_id.to_string(),
                name: c.name.as_ref().to_owned(),
                public: c.client_type == ClientType::Public,
            })
            .collect(),
        notice,
    })
}

/// `GET /admin/applications/new`.
pub async fn new_form(req: HttpRequest, admin: AdminUser) -> HttpResponse {
    let lang = Lang::resolve(&req, admin.user.locale.as_deref());
    render(&NewApplicationPage {
        a: lang.a,
        csrf: &admin.csrf,
        nav: Nav::Applications,
        heading: lang.a.app_new,
        action: "/admin/applications".to_owned(),
        editing: false,
        cancel: "/admin/applications".to_owned(),
        form: AppFormValues {
            sms: true,
            email: true,
            ..AppFormValues::default()
        },
        problems: Vec::new(),
    })
}

/// The new-application form as posted: a checkbox is there when ticked.
pub type ApplicationForm = HashMap<String, String>;

pub(super) fn values_of(form: &ApplicationForm) -> AppFormValues {
    let text = |name: &str| form.get(name).cloned().unwrap_or_default();
    let on = |name: &str| form.get(name).is_some_and(|v| v == "on");
    AppFormValues {
        name: text("name"),
        public: form.get("client_type").is_some_and(|v| v == "public"),
        redirect_uris: text("redirect_uris"),
        post_logout_redirect_uris: text("post_logout_redirect_uris"),
        allowed_origins: text("allowed_origins"),
        refresh: on("refresh"),
        first_party: on("first_party"),
        require_mfa: on("require_mfa"),
        sms: on("sms"),
        email: on("email"),
    }
}

/// The non-empty lines of a text area, each parsed.
pub(super) fn lines<T>(
    text: &str,
    parse: impl Fn(&str) -> Result<T, String>,
    problems: &mut Vec<String>,
    a: &AdminCatalogue,
) -> Vec<T> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter_map(|l| match parse(l) {
            Ok(v) => Some(v),
            Err(_) => {
                problems.push(format!("{} {l}", a.app_bad_value));
                None
            }
        })
        .collect()
}

/// What the registration and the edit forms share: the name and the
/// text areas' lists.
pub(super) struct Basics {
    pub name: ClientName,
    pub redirect_uris: Vec<RedirectUri>,
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    pub allowed_origins: Vec<Origin>,
}

/// The shared fields read, or every problem with them (the name's first).
pub(super) fn basics_of(values: &AppFormValues, a: &AdminCatalogue) -> Result<Basics, Vec<String>> {
    let mut problems = Vec::new();
    let name = ClientName::parse(values.name.trim()).map_err(|_| a.app_bad_name.to_owned());
    let redirect_uris = lines(&values.redirect_uris, RedirectUri::parse, &mut problems, a);
    let post_logout_redirect_uris = lines(
        &values.post_logout_redirect_uris,
        RedirectUri::parse,
        &mut problems,
        a,
    );
    let allowed_origins = lines(&values.allowed_origins, Origin::parse, &mut problems, a);
    let name = match name {
        Ok(name) => Some(name),
        Err(problem) => {
            problems.insert(0, problem);
            None
        }
    };
    let (Some(name), true) = (name, problems.is_empty()) else {
        return Err(problems);
    };
    Ok(Basics {
        name,
        redirect_uris,
        post_logout_redirect_uris,
        allowed_origins,
    })
}

/// The form read into a registration, or every problem with it.
fn request_of(values: &AppFormValues, a: &AdminCatalogue) -> Result<CreateClient, Vec<String>> {
    let Basics {
        name,
        redirect_uris,
        post_logout_redirect_uris,
        allowed_origins,
    } = basics_of(values, a)?;
    let mut grant_types = vec![GrantType::AuthorizationCode];
    if values.refresh {
        grant_types.push(GrantType::RefreshToken);
    }
    let connections = [("sms", values.sms), ("email", values.email)]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(c, _)| c.to_owned())
        .collect();
    Ok(CreateClient {
        client_id: None,
        name,
        client_type: if values.public {
            ClientType::Public
        } else {
            ClientType::Confidential
        },
        redirect_uris,
        post_logout_redirect_uris,
        allowed_origins,
        grant_types,
        first_party: values.first_party,
        allowed_scopes: Vec::new(),
        refresh_without_offline_access: false,
        connections,
        introspect: false,
        require_mfa: values.require_mfa,
    })
}

fn create_problem(a: &AdminCatalogue, e: &CreateClientError) -> String {
    match e {
        CreateClientError::NoRedirectUri => a.app_needs_redirect.to_owned(),
        // The policy's reasons are written for the operator already.
        other => other.to_string(),
    }
}

/// `POST /admin/applications`: registers it and shows it, with its secret
/// this once; or the form again with every problem.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    form: web::Form<ApplicationForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !admin.csrf_ok(form.get("csrf").map(String::as_str)) {
        return csrf_failure(&req);
    }
    let lang = Lang::resolve(&req, admin.user.locale.as_deref());
    let a = lang.a;
    let values = values_of(&form);
    let refused = |values: AppFormValues, problems: Vec<String>| {
        let page = NewApplicationPage {
            a,
            csrf: &admin.csrf,
            nav: Nav::Applications,
            heading: a.app_new,
            action: "/admin/applications".to_owned(),
            editing: false,
            cancel: "/admin/applications".to_owned(),
            form: values,
            problems,
        };
        render_with_status(StatusCode::BAD_REQUEST, &page)
    };
    let request = match request_of(&values, a) {
        Ok(request) => request,
        Err(problems) => return refused(values, problems),
    };
    let now = state.clock.now();
    match dashboard::create_application(&state.db, admin.user.id, request, now).await {
        Ok(created) => render(&ApplicationPage {
            a,
            csrf: &admin.csrf,
            nav: Nav::Applications,
            app: detail(&created.client),
            notice: created
                .client_secret
                .is_none()
                .then_some(a.app_created_public),
            secret: created.client_secret,
            rotated: false,
        }),
        Err(CreateClientError::Unexpected(e)) => internal_error(&req, &e),
        Err(e) => {
            let problem = create_problem(a, &e);
            refused(values, vec![problem])
        }
    }
}

pub(super) fn detail(c: &Client) -> AppDetail {
    let join = |items: Vec<&str>| items.join(", ");
    AppDetail {
        client_id: c.client_id.to_string(),
        name: c.name.as_ref().to_owned(),
        public: c.client_type == ClientType::Public,
        redirect_uris: c.redirect_uris.iter().map(ToString::to_string).collect(),
        post_logout_redirect_uris: c
            .post_logout_redirect_uris
            .iter()
            .map(ToString::to_string)
            .collect(),
        allowed_origins: c
            .allowed_origins
            .iter()
            .map(|o| o.as_str().to_owned())
            .collect(),
        grants: join(c.grant_types.iter().map(|g| g.as_str()).collect()),
        connections: join(c.connections.iter().map(|c| c.as_str()).collect()),
        first_party: c.first_party,
        require_mfa: c.require_mfa,
    }
}

/// The application named in the path, unless it is one of ferrid's own.
pub(super) async fn find(state: &AppState, raw: &str) -> anyhow::Result<Option<Client>> {
    let Ok(client_id) = ClientId::parse(raw) else {
        return Ok(None);
    };
    if client_id.is_reserved() {
        return Ok(None);
    }
    clients::find_client(&state.db, &client_id).await
}

pub(super) fn not_found(req: &HttpRequest, lang: &Lang) -> HttpResponse {
    let a = lang.a;
    message_page(
        req,
        lang,
        StatusCode::NOT_FOUND,
        a.app_not_found,
        a.app_not_found,
    )
}

/// `GET /admin/applications/{client_id}`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
) -> HttpResponse {
    let lang = Lang::resolve(&req, admin.user.locale.as_deref());
    match find(&state, &path).await {
        Ok(Some(client)) => render(&ApplicationPage {
            a: lang.a,
            csrf: &admin.csrf,
            nav: Nav::Applications,
            app: detail(&client),
            secret: None,
            rotated: false,
            notice: None,
        }),
        Ok(None) => not_found(&req, &lang),
        Err(e) => internal_error(&req, &e),
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    pub(super) csrf: Option<String>,
    pub(super) confirm: Option<String>,
}

/// `POST /admin/applications/{client_id}/delete`: deletes it when the
/// confirmation was ticked; the application's page again otherwise.
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    form: web::Form<ConfirmForm>,
) -> HttpResponse {
    if !admin.csrf_ok(form.csrf.as_deref()) {
        return csrf_failure(&req);
    }
    let lang = Lang::resolve(&req, admin.user.locale.as_deref());
    let client = match find(&state, &path).await {
        Ok(Some(client)) => client,
        Ok(None) => return not_found(&req, &lang),
        Err(e) => return internal_error(&req, &e),
    };
    if form.confirm.as_deref() != Some("yes") {
        let page = ApplicationPage {
            a: lang.a,
            csrf: &admin.csrf,
            nav: Nav::Applications,
            app: detail(&client),
            secret: None,
            rotated: false,
            notice: Some(lang.a.app_delete_confirm),
        };
        return render_with_status(StatusCode::BAD_REQUEST, &page);
    }
    let now = state.clock.now();
    match dashboard::delete_application(&state.db, admin.user.id, &client.client_id, now).await {
        Ok(_) => see_other("/admin/applications?notice=deleted"),
        Err(e) => internal_error(&req, &e),
    }
}
