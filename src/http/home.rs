use actix_web::{HttpResponse, web};
use askama::Template;

use super::errors::render;
use crate::app::AppState;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    issuer: &'a str,
    dev: bool,
}

/// What ferrid is, and links to the places that exist.
pub async fn home(state: web::Data<AppState>) -> HttpResponse {
    render(&HomePage {
        issuer: state.settings.issuer_base(),
        dev: state.settings.dev,
    })
}
