//! Sending an authorization response: a redirect with the parameters in the
//! query, or (`response_mode=form_post`) a page that posts them.

use actix_web::HttpResponse;
use actix_web::http::Method;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, LOCATION};
use askama::Template;

use crate::http::CONTENT_SECURITY_POLICY as BASE_CSP;
use crate::http::errors::render;
use crate::oidc::authorize::{AuthorizationResponse, ResponseMode};

#[derive(Template)]
#[template(path = "oidc/form_post.html")]
struct FormPostPage<'a> {
    action: &'a str,
    params: &'a [(String, String)],
}

/// The HTTP response carrying an authorization response to the client.
/// After a POST the redirect is a 303, so the browser does not post the
/// form again to the client (OAuth 2.0 Security BCP §4.11).
pub fn authorization_response(response: &AuthorizationResponse, method: &Method) -> HttpResponse {
    match response.mode {
        ResponseMode::Query => match response.to_query_url() {
            Ok(url) if method == Method::POST => HttpResponse::SeeOther()
                .insert_header((LOCATION, url.as_str()))
                .finish(),
            Ok(url) => HttpResponse::Found()
                .insert_header((LOCATION, url.as_str()))
                .finish(),
            Err(e) => {
                tracing::error!(error = %e, "redirect URI did not parse");
                HttpResponse::InternalServerError().finish()
            }
        },
        ResponseMode::FormPost => {
            let mut res = render(&FormPostPage {
                action: &response.redirect_uri,
                params: &response.params,
            });
            // The form posts to the client, so form-action must allow it.
            res.headers_mut().insert(
                CACHE_CONTROL,
                actix_web::http::header::HeaderValue::from_static("no-store"),
            );
            if let Ok(csp) = actix_web::http::header::HeaderValue::from_str(&format!(
                "{BASE_CSP}; form-action {}",
                origin_of(&response.redirect_uri)
            )) {
                res.headers_mut().insert(CONTENT_SECURITY_POLICY, csp);
            }
            res
        }
    }
}

fn origin_of(uri: &str) -> String {
    url::Url::parse(uri)
        .map(|u| u.origin().ascii_serialization())
        .ok()
        .filter(|o| o != "null")
        .unwrap_or_else(|| "'none'".to_owned())
}
