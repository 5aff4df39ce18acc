//! Message templates: the list per channel, usage and language, and an
//! editor per template whose Preview button (or script, as the admin
//! types) shows what it makes and, for an SMS, its segments; Save refuses
//! an invalid template with the Liquid error and its line.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::super::errors::{internal_error, render, render_with_status};
use super::super::login::csrf_failure;
use super::AdminUser;
use super::view::{Lang, Nav, message_page};
use crate::admin::template_editor::{self, EditorPreview, PreviewOutcome, TemplateEntry};
use crate::admin::templates::{Channel, TemplateProblem};
use crate::app::AppState;
use crate::messages::admin_catalogue::AdminCatalogue;
use crate::messages::catalogue::with_number;
use crate::messages::segments::SmsLength;

/// The templates of one channel.
pub struct TemplateGroup {
    pub channel: &'static str,
    pub title: &'static str,
    pub rows: Vec<TemplateEntry>,
}

#[derive(Template)]
#[template(path = "admin/templates.html")]
pub struct TemplatesPage<'a> {
    pub a: &'static AdminCatalogue,
    pub csrf: &'a str,
    pub nav: Nav,
    pub groups: Vec<TemplateGroup>,
}

/// What a template makes, as shown.
pub struct PreviewView {
    pub subject: Option<String>,
    pub body: String,
    /// "2 segments, GSM-7, 161/306".
    pub segments: Option<String>,
    pub too_long: bool,
}

/// Why a template was refused, as shown.
pub struct ProblemView {
    pub message: String,
    /// "Line 2".
    pub line: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/template.html")]
pub struct TemplatePage<'a> {
    pub a: &'static AdminCatalogue,
    pub csrf: &'a str,
    pub nav: Nav,
    pub channel: &'static str,
    pub usage: String,
    pub language: String,
    pub source: String,
    pub user: String,
    pub notice: Option<&'a str>,
    pub preview: Option<PreviewView>,
    pub problem: Option<ProblemView>,
    pub no_user: bool,
}

/// The editor's preview alone, for the script.
#[derive(Template)]
#[template(path = "admin/template_preview.html")]
pub struct PreviewFragment {
    pub a: &'static AdminCatalogue,
    pub preview: Option<PreviewView>,
    pub problem: Option<ProblemView>,
    pub no_user: bool,
}

fn segments_text(a: &AdminCatalogue, l: SmsLength) -> String {
    let capacity = SmsLength::capacity(l.encoding, l.segments.max(1));
    format!(
        "{}, {}, {}/{}",
        if l.segments == 1 {
            a.tpl_one_segment.to_owned()
        } else {
            with_number(a.tpl_segments, l.segments)
        },
        l.encoding,
        l.units,
        capacity
    )
}

fn preview_view(a: &AdminCatalogue, p: EditorPreview) -> PreviewView {
    PreviewView {
        subject: p.preview.subject,
        body: p.preview.body,
        segments: p.length.map(|l| segments_text(a, l)),
        too_long: p.too_long,
    }
}

fn problem_view(a: &AdminCatalogue, problem: &TemplateProblem) -> ProblemView {
    match problem {
        TemplateProblem::Invalid { message, line } => ProblemView {
            message: message.clone(),
            line: line.map(|n| with_number(a.tpl_line, n)),
        },
        other => ProblemView {
            message: other.to_string(),
            line: None,
        },
    }
}

/// `GET /admin/templates`.
pub async fn list(req: HttpRequest, state: web::Data<AppState>, admin: AdminUser) -> HttpResponse {
    let lang = Lang::resolve(&req, admin.user.locale.as_deref());
    let a = lang.a;
    let sms = match template_editor::sms_templates(&state.db).await {
        Ok(rows) => rows,
        Err(e) => return internal_error(&req, &e),
    };
    let email = match template_editor::email_templates(&state.db).await {
        Ok(rows) => rows,
        Err(e) => return internal_error(&req, &e),
    };
    render(&TemplatesPage {
        a,
        csrf: &admin.csrf,
        nav: Nav::Templates,
        groups: vec![
            TemplateGroup {
                channel: "sms",
                title: a.tpl_sms,
                rows: sms,
            },
            TemplateGroup {
                channel: "email",
                title: a.tpl_email,
                rows: email,
            },
        ],
    })
}

/// The channel, usage and language of a template's page.
pub type TemplatePath = web::Path<(String, String, String)>;

fn not_found(req: &HttpRequest, lang: &Lang) -> HttpResponse {
    let a = lang.a;
    message_page(
        req,
        lang,
        StatusCode::NOT_FOUND,
        a.tpl_not_found,
        a.tpl_not_found,
    )
}

/// A language key as the path may name it: `default` or a tag's letters.
fn plausible_language(language: &str) -> bool {
    !language.is_empty()
        && language.len() <= 35
        && language
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `GET /admin/templates/{channel}/{usage}/{lang}`.
pub async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: TemplatePath,
) -> HttpResponse {
    let lang = Lang::resolve(&req, admin.user.locale.as_deref());
    let (channel, usage, language) = path.into_inner();
    let Ok(channel) = channel.parse::<Channel>() else {
        return not_found(&req, &lang);
    };
    if !plausible_language(&language) {
        return not_found(&req, &lang);
    }
    let source = match template_editor::source_of(&state.db, channel, &usage, &language).await {
        Ok(Some(source)) => source,
        Ok(None) => return not_found(&req, &lang),
        Err(e) => return internal_error(&req, &e),
    };
    let (preview, problem) = match template_editor::preview(channel, &source, None) {
        PreviewOutcome::Shown(p) => (Some(preview_view(lang.a, p)), None),
        PreviewOutcome::Invalid(problem) => (None, Some(problem_view(lang.a, &problem))),
        PreviewOutcome::NoSuchUser => (None, None),
    };
    render(&TemplatePage {
        a: lang.a,
        csrf: &admin.csrf,
        nav: Nav::Templates,
        channel: channel.as_str(),
        usage,
        language,
        source,
        user: String::new(),
        notice: None,
        preview,
        problem,
        no_user: false,
    })
}

#[derive(Deserialize)]
pub struct EditForm {
    csrf: Option<String>,
    #[serde(default)]
    source: String,
    #[serde(default)]
    user: String,
    action: Option<String>,
}

/// A preview of `source`, for the user the admin named if any.
async fn preview_of(
    state: &AppState,
    channel: Channel,
    source: &str,
    user: &str,
) -> anyhow::Result<PreviewOutcome> {
    let who = user.trim();
    if who.is_empty() {
        return Ok(template_editor::preview(channel, source, None));
    }
    Ok(match template_editor::preview_user(&state.db, who).await? {
        Some(data) => template_editor::preview(channel, source, Some(&data)),
        None => PreviewOutcome::NoSuchUser,
    })
}

/// `POST /admin/templates/{channel}/{usage}/{lang}`: the Preview button
/// shows the page again with the preview; Save stores a valid template,
/// or shows the page again with the problem and the admin's text.
pub async fn edit(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: TemplatePath,
    form: web::Form<EditForm>,
) -> HttpResponse {
    if !admin.csrf_ok(form.csrf.as_deref()) {
        return csrf_failure(&req);
    }
    let form = form.into_inner();
    let lang = Lang::resolve(&req, admin.user.locale.as_deref());
    let a = lang.a;
    let (channel, usage, language) = path.into_inner();
    let Ok(channel) = channel.parse::<Channel>() else {
        return not_found(&req, &lang);
    };
    if !plausible_language(&language) {
        return not_found(&req, &lang);
    }
    let outcome = match preview_of(&state, channel, &form.source, &form.user).await {
        Ok(outcome) => outcome,
        Err(e) => return internal_error(&req, &e),
    };
    let mut page = TemplatePage {
        a,
        csrf: &admin.csrf,
        nav: Nav::Templates,
        channel: channel.as_str(),
        usage,
        language,
        source: form.source,
        user: form.user,
        notice: None,
        preview: None,
        problem: None,
        no_user: false,
    };
    match outcome {
        PreviewOutcome::Shown(p) => page.preview = Some(preview_view(a, p)),
        PreviewOutcome::Invalid(problem) => page.problem = Some(problem_view(a, &problem)),
        PreviewOutcome::NoSuchUser => page.no_user = true,
    }
    if form.action.as_deref() != Some("save") {
        return render(&page);
    }
    let saved = template_editor::save(
        &state,
        admin.user.id,
        channel,
        &page.usage,
        &page.language,
        &page.source,
    )
    .await;
    match saved {
        Ok(Ok(())) => {
            page.notice = Some(a.tpl_saved);
            render(&page)
        }
        Ok(Err(TemplateProblem::UnknownUsage(_))) => not_found(&req, &lang),
        Ok(Err(problem)) => {
            page.problem = Some(problem_view(a, &problem));
            render_with_status(StatusCode::BAD_REQUEST, &page)
        }
        Err(e) => internal_error(&req, &e),
    }
}

#[derive(Deserialize)]
pub struct PreviewForm {
    csrf: Option<String>,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    user: String,
}

/// `POST /admin/templates/preview`: the editor's preview as an HTML
/// fragment, for the script that previews as the admin types.
pub async fn preview(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    form: web::Form<PreviewForm>,
) -> HttpResponse {
    if !admin.csrf_ok(form.csrf.as_deref()) {
        return csrf_failure(&req);
    }
    let lang = Lang::resolve(&req, admin.user.locale.as_deref());
    let a = lang.a;
    let Ok(channel) = form.channel.parse::<Channel>() else {
        return HttpResponse::BadRequest()
            .content_type("text/plain; charset=utf-8")
            .body(a.tpl_not_found);
    };
    let mut fragment = PreviewFragment {
        a,
        preview: None,
        problem: None,
        no_user: false,
    };
    match preview_of(&state, channel, &form.source, &form.user).await {
        Ok(PreviewOutcome::Shown(p)) => fragment.preview = Some(preview_view(a, p)),
        Ok(PreviewOutcome::Invalid(problem)) => {
            fragment.problem = Some(problem_view(a, &problem));
        }
        Ok(PreviewOutcome::NoSuchUser) => fragment.no_user = true,
        Err(e) => return internal_error(&req, &e),
    }
    render(&fragment)
}
