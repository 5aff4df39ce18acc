//! The SMS connection: its provider and rules, saved through the same use
//! case as `ferrid connection sms set`, and "Send test message" through
//! the connection codes are sent with.

use std::collections::HashMap;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::super::errors::{internal_error, render, render_with_status};
use super::super::login::csrf_failure;
use super::AdminUser;
use super::view::{Lang, Nav};
use crate::admin::sms_connection::{
    self, ConnectionChange, ConnectionError, ProviderChoice, TestNumbers,
};
use crate::admin::sms_test::{self, TestSendReport};
use crate::app::AppState;
use crate::messages::admin_catalogue::AdminCatalogue;
use crate::sms::connection::ProviderSettings;
use crate::sms::{ConnectionSettings, TestNumber};

/// A form as posted: every field by name.
pub type ConnectionForm = HashMap<String, String>;

/// The values the form shows: the stored ones, or those just typed. The
/// credentials are never among them.
#[derive(Default)]
pub struct Fields {
    pub provider: String,
    pub account_sid: String,
    pub service_sid: String,
    pub from: String,
    pub webhook_url: String,
    pub otp_length: String,
    pub otp_ttl: String,
    pub max_attempts: String,
    pub countries: String,
    pub test_numbers: String,
}

impl Fields {
    fn of(s: &ConnectionSettings) -> Self {
        let mut f = Self {
            provider: s.provider.name().to_owned(),
            otp_length: s.otp_length.to_string(),
            otp_ttl: s.otp_ttl_secs.to_string(),
            max_attempts: s.max_attempts.to_string(),
            countries: s.allowed_countries.join(", "),
            test_numbers: s
                .test_numbers
                .iter()
                .map(|t| format!("{}={}", t.phone, t.code))
                .collect::<Vec<_>>()
                .join("\n"),
            ..Self::default()
        };
        match &s.provider {
            ProviderSettings::Outbox => {}
            ProviderSettings::Twilio {
                account_sid,
                messaging_service_sid,
                from,
                ..
            } => {
                f.account_sid = account_sid.clone();
                f.service_sid = messaging_service_sid.clone().unwrap_or_default();
                f.from = from.clone().unwrap_or_default();
            }
            ProviderSettings::Webhook { url, .. } => f.webhook_url = url.clone(),
        }
        f
    }

    fn of_form(form: &ConnectionForm) -> Self {
        let get = |name: &str| form.get(name).cloned().unwrap_or_default();
        Self {
            provider: get("provider"),
            account_sid: get("twilio_account_sid"),
            service_sid: get("twilio_messaging_service_sid"),
            from: get("twilio_from"),
            webhook_url: get("webhook_url"),
            otp_length: get("otp_length"),
            otp_ttl: get("otp_ttl"),
            max_attempts: get("max_attempts"),
            countries: get("allowed_countries"),
            test_numbers: get("test_numbers"),
        }
    }
}

/// One of the send limits the configuration sets, shown for reference.
pub struct Limit {
    pub label: &'static str,
    pub value: String,
}

/// What the provider answered to the test message.
pub struct TestAnswer {
    pub accepted: bool,
    pub text: String,
}

#[derive(Template)]
#[template(path = "admin/connection.html")]
pub struct ConnectionPage<'a> {
    pub a: &'static AdminCatalogue,
    pub csrf: &'a str,
    pub nav: Nav,
    pub providers: Vec<(&'static str, &'static str)>,
    pub f: Fields,
    /// Whether a Twilio auth token and a webhook secret are stored.
    pub token_set: bool,
    pub secret_set: bool,
    pub limits: Vec<Limit>,
    pub notice: Option<&'static str>,
    pub problems: Vec<String>,
    pub test_to: String,
    pub answer: Option<TestAnswer>,
    pub test_problem: Option<String>,
}

fn page<'a>(
    state: &AppState,
    admin: &'a AdminUser,
    a: &'static AdminCatalogue,
    stored: &ConnectionSettings,
    f: Fields,
) -> ConnectionPage<'a> {
    let otp = &state.settings.otp;
    ConnectionPage {
        a,
        csrf: &admin.csrf,
        nav: Nav::Connection,
        providers: vec![
            ("outbox", a.conn_provider_outbox),
            ("twilio", a.conn_provider_twilio),
            ("webhook", a.conn_provider_webhook),
        ],
        f,
        token_set: matches!(stored.provider, ProviderSettings::Twilio { .. }),
        secret_set: matches!(stored.provider, ProviderSettings::Webhook { .. }),
        limits: vec![
            Limit {
                label: a.conn_limit_phone,
                value: otp.max_sends_per_phone_per_hour.to_string(),
            },
            Limit {
                label: a.conn_limit_ip,
                value: otp.max_sends_per_ip_per_hour.to_string(),
            },
            Limit {
                label: a.conn_limit_minute,
                value: otp.max_sends_per_minute.to_string(),
            },
            Limit {
                label: a.conn_resend_cooldown,
                value: otp.resend_cooldown.0.as_secs().to_string(),
            },
        ],
        notice: None,
        problems: Vec::new(),
        test_to: String::new(),
        answer: None,
        test_problem: None,
    }
}

/// `GET /admin/connection`.
pub async fn show(req: HttpRequest, state: web::Data<AppState>, admin: AdminUser) -> HttpResponse {
    let a = Lang::resolve(&req, admin.user.locale.as_deref()).a;
    match sms_connection::show(&state.db).await {
        Ok(stored) => render(&page(&state, &admin, a, &stored, Fields::of(&stored))),
        Err(e) => internal_error(&req, &e),
    }
}

/// A number field of the form, or why not.
fn number<T: std::str::FromStr>(form: &ConnectionForm, name: &str) -> Result<Option<T>, String> {
    match form.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| format!("`{v}` is not a whole number ({name})")),
    }
}

/// The change the form asks for; empty credential fields keep the stored
/// ones.
fn change_of(form: &ConnectionForm) -> Result<ConnectionChange, String> {
    let text = |name: &str| {
        form.get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let provider = form
        .get("provider")
        .map(String::as_str)
        .unwrap_or("")
        .parse::<ProviderChoice>()?;
    let mut test_numbers = Vec::new();
    for line in form
        .get("test_numbers")
        .map(String::as_str)
        .unwrap_or("")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let (phone, code) = line
            .split_once('=')
            .ok_or_else(|| format!("`{line}` is not PHONE=CODE, like +15555550100=123456"))?;
        test_numbers.push(TestNumber {
            phone: phone.trim().replace([' ', '-'], ""),
            code: code.trim().to_owned(),
        });
    }
    Ok(ConnectionChange {
        provider: Some(provider),
        twilio_account_sid: text("twilio_account_sid"),
        twilio_auth_token: text("twilio_auth_token"),
        twilio_messaging_service_sid: text("twilio_messaging_service_sid"),
        twilio_from: text("twilio_from"),
        webhook_url: text("webhook_url"),
        webhook_secret: text("webhook_secret"),
        otp_length: number(form, "otp_length")?,
        otp_ttl: number::<u64>(form, "otp_ttl")?.map(Duration::from_secs),
        max_attempts: number(form, "max_attempts")?,
        allowed_countries: Some(
            form.get("allowed_countries")
                .map(String::as_str)
                .unwrap_or("")
                .split(',')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect(),
        ),
        test_numbers: Some(test_numbers),
        ..ConnectionChange::default()
    })
}

/// `POST /admin/connection`: saves the connection, or shows why not next
/// to the form (which keeps what was typed, but never a credential).
pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    form: web::Form<ConnectionForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !admin.csrf_ok(form.get("csrf").map(String::as_str)) {
        return csrf_failure(&req);
    }
    let a = Lang::resolve(&req, admin.user.locale.as_deref()).a;
    let stored = match sms_connection::show(&state.db).await {
        Ok(s) => s,
        Err(e) => return internal_error(&req, &e),
    };
    let refused = |problem: String| {
        let mut p = page(&state, &admin, a, &stored, Fields::of_form(&form));
        p.problems = vec![problem];
        render_with_status(StatusCode::BAD_REQUEST, &p)
    };
    let change = match change_of(&form) {
        Ok(change) => change,
        Err(problem) => return refused(problem),
    };
    let rule = TestNumbers::from_settings(&state.settings);
    match sms_connection::set_as(&state.db, &state.master_key, admin.user.id, change, rule).await {
        Ok(saved) => {
            let mut p = page(&state, &admin, a, &saved, Fields::of(&saved));
            p.notice = Some(a.conn_saved);
            render(&p)
        }
        Err(ConnectionError::Unexpected(e)) => internal_error(&req, &e),
        Err(e) => refused(e.to_string()),
    }
}

/// The test message's form.
#[derive(serde::Deserialize)]
pub struct TestForm {
    csrf: Option<String>,
    to: Option<String>,
}

/// `POST /admin/connection/test`: sends a test message through the live
/// connection and shows the provider's answer.
pub async fn test(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    form: web::Form<TestForm>,
) -> HttpResponse {
    if !admin.csrf_ok(form.csrf.as_deref()) {
        return csrf_failure(&req);
    }
    let a = Lang::resolve(&req, admin.user.locale.as_deref()).a;
    let to = form.to.as_deref().unwrap_or("").trim().to_owned();
    let stored = match sms_connection::show(&state.db).await {
        Ok(s) => s,
        Err(e) => return internal_error(&req, &e),
    };
    let live = match state.connection.get(&state.db, &state.master_key).await {
        Ok(live) => live,
        Err(e) => return internal_error(&req, &e),
    };
    let mut p = page(&state, &admin, a, &stored, Fields::of(&stored));
    p.test_to = to.clone();
    match sms_test::test_send_as(&state.db, &live, admin.user.id, &to).await {
        Ok(TestSendReport::Sent {
            provider,
            provider_id,
        }) => {
            p.answer = Some(TestAnswer {
                accepted: true,
                text: a
                    .test_accepted
                    .replace("{provider}", provider)
                    .replace("{id}", provider_id.as_deref().unwrap_or("—")),
            });
            render(&p)
        }
        Ok(TestSendReport::Failed { provider, error }) => {
            p.answer = Some(TestAnswer {
                accepted: false,
                text: a
                    .test_failed
                    .replace("{provider}", provider)
                    .replace("{error}", &error),
            });
            // The page worked; the provider's refusal is its answer.
            render(&p)
        }
        Err(ConnectionError::Unexpected(e)) => internal_error(&req, &e),
        Err(e) => {
            p.test_problem = Some(e.to_string());
            render_with_status(StatusCode::BAD_REQUEST, &p)
        }
    }
}
