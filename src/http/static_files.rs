//! Static assets, embedded in the binary so that one file runs anywhere.

use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{HttpResponse, web};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "ferrid.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../static/ferrid.css"),
    },
    Asset {
        name: "form_post.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/form_post.js"),
    },
    Asset {
        name: "login.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/login.js"),
    },
    Asset {
        name: "template_editor.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/template_editor.js"),
    },
];

/// `GET /static/{file}`: a day in caches; unknown names are a 404 page.
pub async fn asset(path: web::Path<String>, req: actix_web::HttpRequest) -> HttpResponse {
    match ASSETS.iter().find(|a| a.name == path.as_str()) {
        Some(asset) => HttpResponse::Ok()
            .content_type(asset.content_type)
            .insert_header(CacheControl(vec![
                CacheDirective::Public,
                CacheDirective::MaxAge(86_400),
            ]))
            .body(asset.body),
        None => super::errors::not_found(req).await,
    }
}
