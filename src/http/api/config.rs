//! `/api/v1/connections/sms` and `/api/v1/templates`: the SMS connection
//! (secrets write-only) and message templates, checked before they are saved.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiCaller;
use super::problem::{InvalidParam, Problem};
use crate::admin::sms_connection::{self, ConnectionChange, ConnectionError, TestNumbers};
use crate::admin::templates::{self, Channel, TemplateProblem};
use crate::app::AppState;

/// Shows the SMS connection; secrets only as `set`.
#[utoipa::path(get, path = "/api/v1/connections/sms", tag = "config",
    responses((status = 200, description = "The SMS connection", body = Object)),
    security(("bearer" = ["ferrid:config:write"])))]
pub async fn get_sms_connection(
    _caller: ApiCaller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let settings = sms_connection::show(&state.db).await?;
    Ok(HttpResponse::Ok().json(sms_connection::describe(&settings)))
}

/// A change to the SMS connection; absent fields stay as they are.
/// Secrets are written, never read back.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchSmsConnectionBody {
    /// `outbox`, `twilio` or `webhook`.
    pub provider: Option<String>,
    pub twilio_account_sid: Option<String>,
    pub twilio_auth_token: Option<String>,
    pub twilio_messaging_service_sid: Option<String>,
    pub twilio_from: Option<String>,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
    pub timeout_secs: Option<u64>,
    pub otp_length: Option<u8>,
    pub otp_ttl_secs: Option<u64>,
    pub max_attempts: Option<u32>,
    /// ISO 3166 alpha-2 codes; empty allows every country.
    pub allowed_countries: Option<Vec<String>>,
}

/// Changes the SMS connection: the result is checked to work before it is saved.
#[utoipa::path(patch, path = "/api/v1/connections/sms", tag = "config", request_body = PatchSmsConnectionBody,
    responses(
        (status = 200, description = "The connection as saved", body = Object),
        (status = 400, description = "Bad input", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A connection that would not work; nothing saved", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:config:write"])))]
pub async fn patch_sms_connection(
    caller: ApiCaller,
    state: web::Data<AppState>,
    body: web::Json<PatchSmsConnectionBody>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let provider = b
        .provider
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e: String| Problem::invalid("provider", e))?;
    let change = ConnectionChange {
        provider,
        twilio_account_sid: b.twilio_account_sid,
        twilio_auth_token: b.twilio_auth_token,
        twilio_messaging_service_sid: b.twilio_messaging_service_sid,
        twilio_from: b.twilio_from,
        twilio_base_url: None,
        webhook_url: b.webhook_url,
        webhook_secret: b.webhook_secret,
        timeout: b.timeout_secs.map(Duration::from_secs),
        otp_length: b.otp_length,
        otp_ttl: b.otp_ttl_secs.map(Duration::from_secs),
        max_attempts: b.max_attempts,
        allowed_countries: b.allowed_countries,
        test_numbers: None,
    };
    let test_numbers = TestNumbers::from_settings(&state.settings);
    match sms_connection::set_by(
        &state.db,
        &state.master_key,
        caller.client_id(),
        change,
        test_numbers,
    )
    .await
    {
        Ok(settings) => Ok(HttpResponse::Ok().json(sms_connection::describe(&settings))),
        Err(ConnectionError::Unexpected(e)) => Err(Problem::unexpected(&e)),
        Err(refused) => {
            let reason = refused.to_string();
            Err(Problem::unprocessable(
                reason.clone(),
                vec![InvalidParam::new("connection", reason)],
            ))
        }
    }
}

/// A template's text (Liquid; an email's starts with a `Subject:` line).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    pub source: String,
}

/// A template to preview.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewBody {
    /// `sms` or `email`.
    pub channel: String,
    pub source: String,
}

/// What a template makes with sample values.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewView {
    /// An email's subject.
    pub subject: Option<String>,
    pub body: String,
}

/// 422 with the Liquid error and its line, or 404 for what names nothing.
fn template_problem(problem: TemplateProblem) -> Problem {
    match problem {
        TemplateProblem::UnknownUsage(_) => Problem::not_found(problem.to_string()),
        TemplateProblem::Language(_) => Problem::invalid("lang", &problem),
        TemplateProblem::Invalid { message, line } => {
            let name = match line {
                Some(line) => format!("source:{line}"),
                None => "source".to_owned(),
            };
            Problem::unprocessable(
                format!("The template is refused: {message}"),
                vec![InvalidParam::new(name, message)],
            )
        }
    }
}

fn channel_of(raw: &str) -> Result<Channel, Problem> {
    raw.parse().map_err(|e: String| Problem::not_found(e))
}

/// Sets the template of a channel, usage and language (`default`: the fallback text).
#[utoipa::path(put, path = "/api/v1/templates/{channel}/{usage}/{lang}", tag = "config", request_body = TemplateBody,
    params(
        ("channel" = String, Path, description = "sms or email"),
        ("usage" = String, Path, description = "The usage, e.g. login, verify (sms) or sign_in (email)"),
        ("lang" = String, Path, description = "A language tag, or default"),
    ),
    responses(
        (status = 204, description = "Saved; in force at once"),
        (status = 400, description = "Bad input", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such channel or usage", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The Liquid error and its line; nothing saved", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:config:write"])))]
pub async fn put_template(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    body: web::Json<TemplateBody>,
) -> Result<HttpResponse, Problem> {
    let (channel, usage, lang) = path.into_inner();
    let channel = channel_of(&channel)?;
    match templates::put_template(
        &state,
        caller.client_id(),
        channel,
        &usage,
        &lang,
        &body.source,
    )
    .await?
    {
        Ok(()) => Ok(HttpResponse::NoContent().finish()),
        Err(problem) => Err(template_problem(problem)),
    }
}

/// Renders a template with sample values, without saving it.
#[utoipa::path(post, path = "/api/v1/templates/preview", tag = "config", request_body = PreviewBody,
    responses(
        (status = 200, description = "What the template makes", body = PreviewView),
        (status = 400, description = "Bad input", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The Liquid error and its line", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:config:write"])))]
pub async fn preview_template(
    _caller: ApiCaller,
    body: web::Json<PreviewBody>,
) -> Result<HttpResponse, Problem> {
    let channel = body
        .channel
        .parse::<Channel>()
        .map_err(|e| Problem::invalid("channel", e))?;
    match templates::preview(channel, &body.source) {
        Ok(p) => Ok(HttpResponse::Ok().json(PreviewView {
            subject: p.subject,
            body: p.body,
        })),
        Err(problem) => Err(template_problem(problem)),
    }
}
