//! Dev mode only: the SMS outbox and the mail.

use actix_web::http::header::ACCEPT;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::errors::{internal_error, render};
use crate::admin;
use crate::app::AppState;
use crate::email::DevMail;
use crate::store::sms_outbox::OutboxMessage;

#[derive(Template)]
#[template(path = "dev/outbox.html")]
struct OutboxPage {
    messages: Vec<OutboxMessage>,
}

/// `GET /dev/outbox`: kept messages, newest first; JSON when asked for.
pub async fn outbox(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let messages = match admin::demo::outbox_messages(&state.db).await {
        Ok(m) => m,
        Err(e) => return internal_error(&req, &e),
    };
    if wants_json(&req) {
        HttpResponse::Ok().json(serde_json::json!({ "messages": messages }))
    } else {
        render(&OutboxPage { messages })
    }
}

fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

#[derive(Template)]
#[template(path = "dev/mail.html")]
struct MailPage {
    messages: Vec<DevMail>,
}

/// `GET /dev/mail`: emails of the outbox, newest first, with their text
/// and HTML parts; JSON when asked for.
pub async fn mail(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let messages = match admin::demo::dev_mail(&state.db).await {
        Ok(m) => m,
        Err(e) => return internal_error(&req, &e),
    };
    if wants_json(&req) {
        HttpResponse::Ok().json(serde_json::json!({ "messages": messages }))
    } else {
        render(&MailPage { messages })
    }
}
