//! The dashboard's language and views (askama structs and the rows they
//! show), shared by its handlers.

use actix_web::http::StatusCode;
use actix_web::http::header::ACCEPT_LANGUAGE;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};

use super::super::errors::{render_with_status, request_id};
use crate::admin::dashboard::Overview;
use crate::domain::{Connection, Factor, MfaMode};
use crate::messages::LanguagePreference;
use crate::messages::admin_catalogue::{AdminCatalogue, admin_catalogue_for};
use crate::messages::admin_user_catalogue::AdminUserCatalogue;
use crate::messages::catalogue::catalogue_for;

/// The language of a dashboard page: the admin's own (stored on the
/// user), then the browser's.
pub struct Lang {
    pub a: &'static AdminCatalogue,
}

impl Lang {
    pub fn resolve(req: &HttpRequest, user_locale: Option<&str>) -> Self {
        let accept = req
            .headers()
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let languages = LanguagePreference::from_sources(None, user_locale, accept);
        Self {
            a: admin_catalogue_for(catalogue_for(&languages)),
        }
    }
}

/// A time as the pages show it.
pub fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A second factor's name.
pub fn factor_name(a: &AdminCatalogue, factor: Factor) -> &'static str {
    match factor {
        Factor::Totp => a.factor_totp,
        Factor::Sms => a.factor_sms,
        Factor::Email => a.factor_email,
        Factor::RecoveryCode => a.factor_recovery,
    }
}

/// A first factor's name.
pub fn connection_name(a: &AdminCatalogue, connection: Connection) -> &'static str {
    match connection {
        Connection::Sms => a.factor_sms,
        Connection::Email => a.factor_email,
    }
}

/// A page without the navigation: a refusal, a failed sign-in.
#[derive(Template)]
#[template(path = "admin/message.html")]
pub struct MessagePage<'a> {
    pub a: &'static AdminCatalogue,
    pub title: &'a str,
    pub text: &'a str,
    pub request_id: String,
}

pub fn message_page(
    req: &HttpRequest,
    lang: &Lang,
    status: StatusCode,
    title: &str,
    text: &str,
) -> HttpResponse {
    render_with_status(
        status,
        &MessagePage {
            a: lang.a,
            title,
            text,
            request_id: request_id(req),
        },
    )
}

/// Which part of the dashboard a page belongs to (the navigation marks it).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Overview,
    Applications,
    Policy,
    Users,
    Templates,
    Audit,
    Connection,
    Outbox,
    Keys,
}

#[derive(Template)]
#[template(path = "admin/overview.html")]
pub struct OverviewPage<'a> {
    pub a: &'static AdminCatalogue,
    pub csrf: &'a str,
    pub nav: Nav,
    pub counts: Overview,
    pub charts: Vec<Chart>,
    pub countries: CountryChart,
}

/// Codes sent and verified per country, as pairs of horizontal bars.
pub struct CountryChart {
    pub rows: Vec<CountryRow>,
    /// The SVG's height, a row per country.
    pub height: u32,
}

/// One country's pair of bars, in the chart's coordinates.
pub struct CountryRow {
    pub country: String,
    pub y: u32,
    pub sent_width: u32,
    pub verified_width: u32,
    /// "+44: 120 sent, 96 verified", the row's tooltip and label.
    pub label: String,
}

/// The width the longest bar takes, in SVG units (the labels take the rest).
const COUNTRY_BAR_WIDTH: u64 = 440;
const COUNTRY_ROW: u32 = 28;

impl CountryChart {
    pub fn new(a: &AdminCatalogue, countries: &[crate::admin::dashboard::CountryCount]) -> Self {
        let max = countries
            .iter()
            .map(|c| c.sent.max(c.verified))
            .max()
            .unwrap_or(0)
            .max(1);
        let width = |n: u64| u32::try_from(n.saturating_mul(COUNTRY_BAR_WIDTH) / max).unwrap_or(0);
        let rows: Vec<CountryRow> = countries
            .iter()
            .zip(0u32..)
            .map(|(c, i)| CountryRow {
                country: c.country.clone(),
                y: i * COUNTRY_ROW,
                sent_width: width(c.sent),
                verified_width: width(c.verified),
                label: a
                    .chart_country_row
                    .replace("{country}", &c.country)
                    .replace("{sent}", &c.sent.to_string())
                    .replace("{verified}", &c.verified.to_string()),
            })
            .collect();
        let height = u32::try_from(rows.len()).unwrap_or(0) * COUNTRY_ROW;
        Self { rows, height }
    }
}

/// A bar chart of counts per day, drawn as SVG on the server.
pub struct Chart {
    pub id: &'static str,
    pub title: &'static str,
    pub total: String,
    pub bars: Vec<Bar>,
}

/// One day's bar, in the chart's coordinates.
pub struct Bar {
    pub x: u32,
    pub y: u32,
    pub height: u32,
    /// "2026-11-03: 5", the bar's tooltip.
    pub label: String,
}

/// The chart's drawing area, in SVG units.
pub const CHART_WIDTH: u32 = 600;
pub const CHART_HEIGHT: u32 = 120;

impl Chart {
    pub fn new(
        id: &'static str,
        title: &'static str,
        a: &AdminCatalogue,
        days: &[crate::admin::dashboard::DayCount],
    ) -> Self {
        let max = days.iter().map(|d| d.count).max().unwrap_or(0).max(1);
        let step = CHART_WIDTH / u32::try_from(days.len().max(1)).unwrap_or(1);
        let bars = days
            .iter()
            .zip(0u32..)
            .map(|(d, i)| {
                let scaled = d.count.saturating_mul(u64::from(CHART_HEIGHT)) / max;
                let height = u32::try_from(scaled).unwrap_or(CHART_HEIGHT);
                Bar {
                    x: i * step,
                    y: CHART_HEIGHT - height,
                    height,
                    label: format!("{}: {}", d.day, d.count),
                }
            })
            .collect();
        let total: u64 = days.iter().map(|d| d.count).sum();
        Self {
            id,
            title,
            total: crate::messages::catalogue::with_number(a.chart_total, total),
            bars,
        }
    }
}

/// One application in the list.
pub struct AppRow {
    pub client_id: String,
    pub name: String,
    pub public: bool,
}

#[derive(Template)]
#[template(path = "admin/applications.html")]
pub struct ApplicationsPage<'a> {
    pub a: &'static AdminCatalogue,
    pub csrf: &'a str,
    pub nav: Nav,
    pub apps: Vec<AppRow>,
    pub notice: Option<&'a str>,
}

/// What the new-application form holds (shown again on a problem).
#[derive(Default)]
pub struct AppFormValues {
    pub name: String,
    pub public: bool,
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    pub allowed_origins: String,
    pub refresh: bool,
    pub first_party: bool,
    pub require_mfa: bool,
    pub sms: bool,
    pub email: bool,
}

#[derive(Template)]
#[template(path = "admin/application_new.html")]
pub struct NewApplicationPage<'a> {
    pub a: &'static AdminCatalogue,
    pub csrf: &'a str,
    pub nav: Nav,
    pub heading: &'a str,
    /// Where the form posts: a new application, or this one's edit.
    pub action: String,
    /// Editing an existing application: its type cannot change.
    pub editing: bool,
    pub cancel: String,
    pub form: AppFormValues,
    pub problems: Vec<String>,
}

/// One application, whole.
pub struct AppDetail {
    pub client_id: String,
    pub name: String,
    pub public: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub grants: String,
    pub connections: String,
    pub first_party: bool,
    pub require_mfa: bool,
}

#[derive(Template)]
#[template(path = "admin/application.html")]
pub struct ApplicationPage<'a> {
    pub a: &'static AdminCatalogue,
    pub csrf: &'a str,
    pub nav: Nav,
    pub app: AppDetail,
    /// The new client's secret, shown this once.
    pub secret: Option<String>,
    /// The secret shown is a rotated one.
    pub rotated: bool,
    pub notice: Option<&'a str>,
}

/// One choice of a set on the policy form.
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "admin/policy.html")]
pub struct PolicyPage<'a> {
    pub a: &'static AdminCatalogue,
    pub csrf: &'a str,
    pub nav: Nav,
    pub first_factors: Vec<Choice>,
    pub signup: bool,
    pub mfa: Vec<Choice>,
    pub second_factors: Vec<Choice>,
    pub unique_phone: bool,
    pub notice: Option<&'a str>,
    pub problems: Vec<String>,
}

impl PolicyPage<'_> {
    /// The MFA modes, `mode` checked.
    pub fn modes(a: &'static AdminCatalogue, mode: MfaMode) -> Vec<Choice> {
        MfaMode::ALL
            .into_iter()
            .map(|m| Choice {
                value: m.as_str(),
                label: match m {
                    MfaMode::Off => a.mfa_off,
                    MfaMode::Optional => a.mfa_optional,
                    MfaMode::Required => a.mfa_required,
                },
                checked: m == mode,
            })
            .collect()
    }
}

/// One user in a list.
pub struct UserRow {
    pub id: String,
    pub phone: String,
    pub email: String,
    pub blocked: bool,
    pub admin: bool,
    pub created: String,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersPage<'a> {
    pub a: &'static AdminCatalogue,
    pub csrf: &'a str,
    pub nav: Nav,
    pub q: String,
    pub users: Vec<UserRow>,
    /// Why the search found nothing, when it could not be read.
    pub problem: Option<&'a str>,
}

/// One row of a user's page: a session or an event.
pub struct LineRow {
    pub text: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "admin/user.html")]
pub struct UserPage<'a> {
    pub a: &'static AdminCatalogue,
    pub u: &'static AdminUserCatalogue,
    pub csrf: &'a str,
    pub nav: Nav,
    pub user: UserRow,
    /// Each factor's name (for its remove form) and label.
    pub factors: Vec<(&'static str, &'static str)>,
    /// A number waits for the code the user received.
    pub code_pending: bool,
    pub sessions: Vec<LineRow>,
    /// The applications the user allowed: client id and scope.
    pub consents: Vec<LineRow>,
    pub events: Vec<LineRow>,
    pub notice: Option<String>,
    pub problem: Option<&'a str>,
}
