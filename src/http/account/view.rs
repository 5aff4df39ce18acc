//! The account pages' language and views (askama structs and the rows
//! they show), shared by the handlers.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header::ACCEPT_LANGUAGE;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};

use super::super::errors::render_with_status;
pub(in crate::http) use super::super::login::LANGUAGE_COOKIE;
use crate::account::device::Device;
use crate::account::{ActivityEntry, Overview};
use crate::app::AppState;
use crate::messages::LanguagePreference;
use crate::messages::account_catalogue::{AccountCatalogue, account_catalogue_for};
use crate::messages::account_email_catalogue::{AccountEmailStrings, email_strings_for};
use crate::messages::account_factors_catalogue::{AccountFactorStrings, factor_strings_for};
use crate::messages::catalogue::{CATALOGUES, Catalogue, catalogue_for};

/// The language of an account page: the switch, then the remembered
/// choice, then the language the user last used (stored on the user), then
/// the browser's.
pub struct Lang {
    pub a: &'static AccountCatalogue,
    pub languages: LanguagePreference,
    /// A language picked with the switch on this request, to remember.
    picked: Option<&'static str>,
}

impl Lang {
    pub fn resolve(req: &HttpRequest, picked: Option<&str>, user_locale: Option<&str>) -> Self {
        let picked = picked
            .and_then(|l| CATALOGUES.iter().find(|c| c.lang == l))
            .map(|c| c.lang);
        let remembered = req.cookie(LANGUAGE_COOKIE).map(|c| c.value().to_owned());
        let explicit = picked.map(str::to_owned).or(remembered);
        let ui_locales = [explicit.as_deref(), user_locale]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let accept = req
            .headers()
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let languages = LanguagePreference::from_sources(None, Some(&ui_locales), accept);
        let t = catalogue_for(&languages);
        Self {
            a: account_catalogue_for(t),
            languages,
            picked,
        }
    }

    pub fn t(&self) -> &'static Catalogue {
        self.a.t
    }

    /// The strings of the email part, in the page's language.
    pub fn e(&self) -> &'static AccountEmailStrings {
        email_strings_for(self.a.t.lang)
    }

    pub fn f(&self) -> &'static AccountFactorStrings {
        factor_strings_for(self.a.t.lang)
    }

    /// Adds the cookie remembering a language picked with the switch.
    pub fn finish(&self, state: &AppState, mut res: HttpResponse) -> HttpResponse {
        if let Some(lang) = self.picked {
            let cookie = Cookie::build(LANGUAGE_COOKIE, lang)
                .path("/")
                .same_site(SameSite::Lax)
                .secure(state.settings.secure_cookies)
                .finish();
            let _ = res.add_cookie(&cookie);
        }
        res
    }
}

/// A time as the pages show it.
pub fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// "Firefox on Linux", in the page's language.
pub fn device_text(a: &AccountCatalogue, device: &Device) -> String {
    match (&device.browser, &device.os) {
        (Some(browser), Some(os)) => a
            .device_on
            .replace("{browser}", browser)
            .replace("{os}", os),
        (Some(one), None) | (None, Some(one)) => one.clone(),
        (None, None) => a.unknown_device.to_owned(),
    }
}

pub struct SessionRow {
    pub sid: String,
    pub device: String,
    pub network: String,
    pub signed_in_at: String,
    pub last_seen_at: String,
    pub current: bool,
}

pub struct ConsentRow {
    pub client_id: String,
    pub name: String,
    pub granted_at: String,
}

#[derive(Template)]
#[template(path = "account/overview.html")]
pub struct OverviewPage<'a> {
    pub a: &'a AccountCatalogue,
    pub e: &'a AccountEmailStrings,
    pub f: &'a AccountFactorStrings,
    pub t: &'a Catalogue,
    pub languages: &'a [&'static Catalogue],
    pub here: &'static str,
    pub csrf: &'a str,
    pub totp: bool,
    pub recovery_codes_left: u64,
    /// "Recovery codes left: 9.", in the page's language.
    pub recovery_left_text: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub sessions: Vec<SessionRow>,
    pub consents: Vec<ConsentRow>,
    pub phone_input: &'a str,
    pub email_input: &'a str,
    /// Which form the error is about.
    pub email_error: bool,
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
}

impl<'a> OverviewPage<'a> {
    pub fn new(lang: &'a Lang, csrf: &'a str, overview: Overview) -> Self {
        let a = lang.a;
        Self {
            a,
            e: lang.e(),
            f: lang.f(),
            t: a.t,
            languages: &CATALOGUES,
            here: "/account",
            csrf,
            totp: overview.totp,
            recovery_codes_left: overview.recovery_codes_left,
            recovery_left_text: lang
                .f()
                .recovery_left
                .replace("{n}", &overview.recovery_codes_left.to_string()),
            phone: overview.phone,
            email: overview.email,
            sessions: overview
                .sessions
                .into_iter()
                .map(|s| SessionRow {
                    device: device_text(a, &s.device),
                    network: s.network.unwrap_or_default(),
                    signed_in_at: when(s.signed_in_at),
                    last_seen_at: when(s.last_seen_at),
                    current: s.current,
                    sid: s.sid,
                })
                .collect(),
            consents: overview
                .consents
                .into_iter()
                .map(|c| ConsentRow {
                    client_id: c.client_id,
                    name: c.client_name,
                    granted_at: when(c.granted_at),
                })
                .collect(),
            phone_input: "",
            email_input: "",
            email_error: false,
            notice: None,
            error: None,
        }
    }

    pub fn render(&self, status: StatusCode) -> HttpResponse {
        render_with_status(status, self)
    }
}

#[derive(Template)]
#[template(path = "account/code.html")]
pub struct CodePage<'a> {
    pub a: &'a AccountCatalogue,
    pub t: &'a Catalogue,
    pub languages: &'a [&'static Catalogue],
    pub here: &'static str,
    pub csrf: &'a str,
    pub title: &'a str,
    pub intro: &'a str,
    pub masked: &'a str,
    pub action: &'static str,
    /// Where "send a new code" posts.
    pub resend_action: &'static str,
    pub code_label: String,
    pub code_length: u8,
    pub error: Option<&'a str>,
    pub notice: Option<&'a str>,
}

pub struct ActivityRow {
    pub at: String,
    pub text: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "account/activity.html")]
pub struct ActivityPage<'a> {
    pub a: &'a AccountCatalogue,
    pub t: &'a Catalogue,
    pub languages: &'a [&'static Catalogue],
    pub here: &'static str,
    pub rows: Vec<ActivityRow>,
}

/// An event of the activity list in words.
pub fn activity_row(a: &AccountCatalogue, e: ActivityEntry) -> ActivityRow {
    let m = email_strings_for(a.t.lang);
    let f = factor_strings_for(a.t.lang);
    let text = match e.kind.as_str() {
        "factor.totp.added" => f.ev_totp_added.to_owned(),
        "factor.totp.removed" => f.ev_totp_removed.to_owned(),
        "factor.totp.verified" => f.ev_totp_verified.to_owned(),
        "factor.totp.failed" | "factor.totp.enrollment_failed" => f.ev_totp_failed.to_owned(),
        "factor.recovery_codes.generated" => f.ev_codes_generated.to_owned(),
        "factor.recovery_code.used" => f.ev_code_used.to_owned(),
        "factor.recovery_code.failed" => f.ev_code_failed.to_owned(),
        "factor.locked" => f.ev_locked.to_owned(),
        "account.email_added" => m.ev_added.to_owned(),
        "account.email_changed" => m.ev_changed.to_owned(),
        "account.email_removed" => m.ev_removed.to_owned(),
        "account.email_taken" => m.ev_taken.to_owned(),
        "notification.queued" => match e.usage.as_deref() {
            Some("verify_email" | "reauth" | "sign_in" | "sign_up") => m.ev_code_mailed.to_owned(),
            _ => m.ev_notice.to_owned(),
        },
        "notification.sent" => m.ev_mail_delivered.to_owned(),
        "notification.failed" | "notification.abandoned" => m.ev_mail_failed.to_owned(),
        "session.signed_in" => a.ev_signed_in.replace(
            "{method}",
            &e.method.as_deref().unwrap_or("sms").to_uppercase(),
        ),
        "account.phone_added" => a.ev_phone_added.to_owned(),
        "account.phone_changed" => a.ev_phone_changed.to_owned(),
        "account.phone_removed" => a.ev_phone_removed.to_owned(),
        "account.phone_taken" => a.ev_phone_taken.to_owned(),
        "account.reauthenticated" => a.ev_reauth.to_owned(),
        "account.reverted" => a.ev_reverted.to_owned(),
        "account.session_revoked" => a.ev_session_revoked.to_owned(),
        "account.sessions_revoked_others" => a.ev_others_revoked.to_owned(),
        "account.consent_revoked" => a.ev_consent_revoked.to_owned(),
        "account.notice_sms" => a.ev_notice.to_owned(),
        "otp.failed" | "otp.locked" => a.ev_code_failed.to_owned(),
        _ => a.ev_other.to_owned(),
    };
    let detail = [
        e.device.as_ref().map(|d| device_text(a, d)),
        e.network,
        e.subject,
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    ActivityRow {
        at: when(e.at),
        text,
        detail,
    }
}

#[derive(Template)]
#[template(path = "account/revert.html")]
pub struct RevertPage<'a> {
    pub a: &'a AccountCatalogue,
    pub t: &'a Catalogue,
    /// What the link would undo, in words (the confirmation form).
    pub description: Option<String>,
    pub csrf: &'a str,
    pub action: String,
    /// Why there is nothing to confirm.
    pub message: Option<&'a str>,
}
