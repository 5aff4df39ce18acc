//! The token signing keys: listed with their state and dates, and rotated
//! as `ferrid keys rotate` rotates them.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::super::errors::{internal_error, render};
use super::super::login::csrf_failure;
use super::view::{Lang, Nav, when};
use super::{AdminUser, see_other};
use crate::admin::keys::{self, KeyEntry};
use crate::app::AppState;
use crate::messages::admin_catalogue::AdminCatalogue;
use crate::oidc::keys::Activation;

/// A key as the page lists it.
pub struct KeyRow {
    pub kid: String,
    pub alg: String,
    pub state: &'static str,
    pub created: String,
    pub signs_from: String,
    pub retire_after: String,
}

impl KeyRow {
    fn of(k: &KeyEntry) -> Self {
        Self {
            kid: k.kid.clone(),
            alg: k.alg.clone(),
            state: k.state,
            created: when(k.created_at),
            signs_from: when(k.signs_from),
            retire_after: k.retire_after.map(when).unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/keys.html")]
pub struct KeysPage<'a> {
    pub a: &'static AdminCatalogue,
    pub csrf: &'a str,
    pub nav: Nav,
    pub rows: Vec<KeyRow>,
    pub notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct KeysQuery {
    notice: Option<String>,
}

/// `GET /admin/keys`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    query: web::Query<KeysQuery>,
) -> HttpResponse {
    let a = Lang::resolve(&req, admin.user.locale.as_deref()).a;
    match keys::list(&state.db, state.clock.now()).await {
        Ok(entries) => render(&KeysPage {
            a,
            csrf: &admin.csrf,
            nav: Nav::Keys,
            rows: entries.iter().map(KeyRow::of).collect(),
            notice: (query.notice.as_deref() == Some("rotated")).then_some(a.keys_rotated),
        }),
        Err(e) => internal_error(&req, &e),
    }
}

#[derive(Deserialize)]
pub struct RotateForm {
    csrf: Option<String>,
    /// "on": sign with the new key at once (a compromised key).
    now: Option<String>,
}

/// `POST /admin/keys/rotate`.
pub async fn rotate(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    form: web::Form<RotateForm>,
) -> HttpResponse {
    if !admin.csrf_ok(form.csrf.as_deref()) {
        return csrf_failure(&req);
    }
    let tokens = &state.settings.tokens;
    let activation = if form.now.as_deref() == Some("on") {
        Activation::Now
    } else {
        Activation::AfterLead(tokens.key_publish_lead.0)
    };
    let grace = tokens.key_rotation_grace.0;
    let now = state.clock.now();
    match keys::rotate_as(
        &state.db,
        &state.master_key,
        admin.user.id,
        activation,
        grace,
        now,
    )
    .await
    {
        Ok(_) => see_other("/admin/keys?notice=rotated"),
        Err(e) => internal_error(&req, &e),
    }
}
