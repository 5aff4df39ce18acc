//! Error pages and the rendering helper: internals go to the log, the user
//! sees a plain message and the request id that matches the log lines.

use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use askama::Template;
use tracing_actix_web::RequestId;

#[derive(Template)]
#[template(path = "errors/error.html")]
pub struct ErrorPage<'a> {
    pub title: &'a str,
    pub message: &'a str,
    pub request_id: String,
}

/// Renders a page as a 200 HTML response.
pub fn render(page: &impl Template) -> HttpResponse {
    render_with_status(StatusCode::OK, page)
}

/// Renders a page with the given status; a template failure is logged and
/// becomes a bare 500.
pub fn render_with_status(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("Something went wrong on our side.")
        }
    }
}

/// The request id of this request, for error pages.
pub fn request_id(req: &HttpRequest) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(|id| id.to_string())
        .unwrap_or_default()
}

/// An error page with a title and a message for the user.
pub fn error_page(
    req: &HttpRequest,
    status: StatusCode,
    title: &str,
    message: &str,
) -> HttpResponse {
    render_with_status(
        status,
        &ErrorPage {
            title,
            message,
            request_id: request_id(req),
        },
    )
}

/// The styled 404 page for every unknown route.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    error_page(
        &req,
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is nothing at this address. Check the link, or start again from the application you came from.",
    )
}

/// Seconds a client is asked to wait (`Retry-After`, RFC 9110 §10.2.3)
/// while the database is away: the pool reconnects by itself within seconds
/// of its return.
pub const RETRY_AFTER_SECS: u64 = 5;

/// Whether a failure is the database being away (down, restarting): such a
/// request is answered 503 with `Retry-After`, never 500. The one place
/// that decides it for pages and OAuth endpoints alike.
pub fn is_unavailable(error: &anyhow::Error) -> bool {
    crate::store::is_unavailable(error)
}

/// Adds `Retry-After` to a 503.
pub fn with_retry_after(mut res: HttpResponse, secs: u64) -> HttpResponse {
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&secs.to_string()) {
        res.headers_mut()
            .insert(actix_web::http::header::RETRY_AFTER, value);
    }
    res
}

/// The page for an unexpected failure: details are in the log under the
/// request id. The database being away is a 503 page with `Retry-After`.
pub fn internal_error(req: &HttpRequest, error: &anyhow::Error) -> HttpResponse {
    if is_unavailable(error) {
        tracing::warn!(error = %error, "the database is unavailable");
        return with_retry_after(
            error_page(
                req,
                StatusCode::SERVICE_UNAVAILABLE,
                "Temporarily unavailable",
                "This service is briefly unavailable. Please try again in a few seconds.",
            ),
            RETRY_AFTER_SECS,
        );
    }
    tracing::error!(error = ?error, "request failed");
    error_page(
        req,
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Something went wrong on our side. Please try again; if it keeps happening, quote the request id below.",
    )
}
