//! The span every request runs in. Unlike tracing-actix-web's default it
//! records the path without the query string: queries carry authorization
//! codes, login hints (phone numbers) and states, which never go to the log.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};

/// Builds the per-request span and logs one line when the request ends.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::info_span!(
            "request",
            method = %request.method(),
            path = %request.path(),
            request_id = %request_id,
            status = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let status = match outcome {
            Ok(response) => response.status().as_u16(),
            Err(error) => error.as_response_error().status_code().as_u16(),
        };
        span.record("status", status);
        span.in_scope(|| {
            if status >= 500 {
                tracing::warn!(status, "request failed");
            } else {
                tracing::debug!(status, "request done");
            }
        });
    }
}
