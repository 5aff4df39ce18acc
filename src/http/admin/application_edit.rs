//! Changing an application: its settings (the new-application form, filled
//! in), and a new secret shown once.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::super::errors::{internal_error, render, render_with_status};
use super::super::login::csrf_failure;
use super::applications::{
    ApplicationForm, Basics, ConfirmForm, basics_of, detail, find, not_found, values_of,
};
use super::view::{AppFormValues, ApplicationPage, Lang, Nav, NewApplicationPage};
use super::{AdminUser, see_other};
use crate::admin::clients::{EditClientError, RotateSecretOutcome};
use crate::admin::dashboard;
use crate::app::AppState;
use crate::domain::{ClientType, Connection, GrantType};
use crate::messages::admin_catalogue::AdminCatalogue;
use crate::store::clients::{Client, ClientSettings};

fn values_from(c: &Client) -> AppFormValues {
    let join = |items: Vec<String>| items.join("\n");
    AppFormValues {
        name: c.name.as_ref().to_owned(),
        public: c.client_type == ClientType::Public,
        redirect_uris: join(c.redirect_uris.iter().map(ToString::to_string).collect()),
        post_logout_redirect_uris: join(
            c.post_logout_redirect_uris
                .iter()
                .map(ToString::to_string)
                .collect(),
        ),
        allowed_origins: join(
            c.allowed_origins
                .iter()
                .map(|o| o.as_str().to_owned())
                .collect(),
        ),
        refresh: c.grant_types.contains(&GrantType::RefreshToken),
        first_party: c.first_party,
        require_mfa: c.require_mfa,
        sms: c.connections.contains(&Connection::Sms),
        email: c.connections.contains(&Connection::Email),
    }
}

fn edit_page<'a>(
    a: &'static AdminCatalogue,
    admin: &'a AdminUser,
    client_id: &str,
    form: AppFormValues,
    problems: Vec<String>,
) -> NewApplicationPage<'a> {
    NewApplicationPage {
        a,
        csrf: &admin.csrf,
        nav: Nav::Applications,
        heading: a.app_edit,
        action: format!("/admin/applications/{client_id}/edit"),
        editing: true,
        cancel: format!("/admin/applications/{client_id}"),
        form,
        problems,
    }
}

/// `GET /admin/applications/{client_id}/edit`.
pub async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
) -> HttpResponse {
    let lang = Lang::resolve(&req, admin.user.locale.as_deref());
    match find(&state, &path).await {
        Ok(Some(client)) => render(&edit_page(
            lang.a,
            &admin,
            client.client_id.as_str(),
            values_from(&client),
            Vec::new(),
        )),
        Ok(None) => not_found(&req, &lang),
        Err(e) => internal_error(&req, &e),
    }
}

/// The form read into settings, keeping the grants the form does not show
/// (client credentials, the passwordless grant), or every problem.
fn settings_of(
    values: &AppFormValues,
    existing: &Client,
    a: &AdminCatalogue,
) -> Result<ClientSettings, Vec<String>> {
    let Basics {
        name,
        redirect_uris,
        post_logout_redirect_uris,
        allowed_origins,
    } = basics_of(values, a)?;
    let mut grant_types: Vec<GrantType> = existing
        .grant_types
        .iter()
        .copied()
        .filter(|g| !matches!(g, GrantType::RefreshToken))
        .collect();
    if values.refresh {
        grant_types.push(GrantType::RefreshToken);
    }
    let connections = [
        (Connection::Sms, values.sms),
        (Connection::Email, values.email),
    ]
    .into_iter()
    .filter(|(_, on)| *on)
    .map(|(c, _)| c)
    .collect();
    Ok(ClientSettings {
        name,
        redirect_uris,
        post_logout_redirect_uris,
        allowed_origins,
        grant_types,
        connections,
        first_party: values.first_party,
        require_mfa: values.require_mfa,
    })
}

fn edit_problem(a: &AdminCatalogue, e: &EditClientError) -> String {
    match e {
        EditClientError::NoRedirectUri => a.app_needs_redirect.to_owned(),
        other => other.to_string(),
    }
}

/// `POST /admin/applications/{client_id}/edit`: saves the settings, or
/// shows the form again with every problem (nothing changed).
pub async fn edit(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    form: web::Form<ApplicationForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !admin.csrf_ok(form.get("csrf").map(String::as_str)) {
        return csrf_failure(&req);
    }
    let lang = Lang::resolve(&req, admin.user.locale.as_deref());
    let a = lang.a;
    let existing = match find(&state, &path).await {
        Ok(Some(client)) => client,
        Ok(None) => return not_found(&req, &lang),
        Err(e) => return internal_error(&req, &e),
    };
    let id = existing.client_id.clone();
    let mut values = values_of(&form);
    values.public = existing.client_type == ClientType::Public;
    let refused = |values: AppFormValues, problems: Vec<String>| {
        let page = edit_page(a, &admin, id.as_str(), values, problems);
        render_with_status(StatusCode::BAD_REQUEST, &page)
    };
    let settings = match settings_of(&values, &existing, a) {
        Ok(settings) => settings,
        Err(problems) => return refused(values, problems),
    };
    let now = state.clock.now();
    match dashboard::edit_application(&state.db, admin.user.id, &id, settings, now).await {
        Ok(client) => render(&ApplicationPage {
            a,
            csrf: &admin.csrf,
            nav: Nav::Applications,
            app: detail(&client),
            secret: None,
            rotated: false,
            notice: Some(a.app_updated),
        }),
        Err(EditClientError::Unexpected(e)) => internal_error(&req, &e),
        Err(EditClientError::NotFound(_) | EditClientError::Reserved(_)) => not_found(&req, &lang),
        Err(e) => {
            let problem = edit_problem(a, &e);
            refused(values, vec![problem])
        }
    }
}

/// `POST /admin/applications/{client_id}/rotate`: a new secret, shown
/// once, when the confirmation was ticked.
pub async fn rotate(
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
    let a = lang.a;
    let client = match find(&state, &path).await {
        Ok(Some(client)) => client,
        Ok(None) => return not_found(&req, &lang),
        Err(e) => return internal_error(&req, &e),
    };
    let page = |secret: Option<String>, notice: Option<&'static str>| ApplicationPage {
        a,
        csrf: &admin.csrf,
        nav: Nav::Applications,
        app: detail(&client),
        rotated: secret.is_some(),
        secret,
        notice,
    };
    if form.confirm.as_deref() != Some("yes") {
        return render_with_status(
            StatusCode::BAD_REQUEST,
            &page(None, Some(a.app_rotate_confirm)),
        );
    }
    let now = state.clock.now();
    match dashboard::rotate_application_secret(&state.db, admin.user.id, &client.client_id, now)
        .await
    {
        Ok(RotateSecretOutcome::Rotated(secret)) => render(&page(Some(secret), None)),
        // `Forbidden` is for callers of the management API only.
        Ok(
            RotateSecretOutcome::Public
            | RotateSecretOutcome::NotFound
            | RotateSecretOutcome::Forbidden(_),
        ) => see_other(&format!("/admin/applications/{}", client.client_id)),
        Err(e) => internal_error(&req, &e),
    }
}
