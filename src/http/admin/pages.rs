//! The overview and the sign-in policy.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::super::errors::{internal_error, render, render_with_status};
use super::super::login::csrf_failure;
use super::AdminUser;
use super::view::{
    Chart, Choice, CountryChart, Lang, Nav, OverviewPage, PolicyPage, connection_name, factor_name,
};
use crate::admin::dashboard;
use crate::admin::policy::{self, PolicyChange, SetPolicyOutcome};
use crate::app::AppState;
use crate::domain::{Connection, Factor, MfaMode, SignInPolicy};

/// `GET /admin`.
pub async fn overview(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
) -> HttpResponse {
    let lang = Lang::resolve(&req, admin.user.locale.as_deref());
    let a = lang.a;
    match dashboard::overview(&state.db, state.clock.now()).await {
        Ok(counts) => render(&OverviewPage {
            a,
            csrf: &admin.csrf,
            nav: Nav::Overview,
            charts: vec![
                Chart::new("chart-sign-ins", a.chart_sign_ins, a, &counts.sign_ins),
                Chart::new("chart-sms", a.chart_sms, a, &counts.sms_sent),
                Chart::new("chart-refused", a.chart_refused, a, &counts.refused),
            ],
            countries: CountryChart::new(a, &counts.countries),
            counts,
        }),
        Err(e) => internal_error(&req, &e),
    }
}

/// The policy form as posted: a checkbox is there when ticked.
pub type PolicyForm = std::collections::HashMap<String, String>;

fn policy_page<'a>(
    lang: &Lang,
    admin: &'a AdminUser,
    p: &SignInPolicy,
    notice: Option<&'a str>,
    problems: Vec<String>,
) -> PolicyPage<'a> {
    let a = lang.a;
    PolicyPage {
        a,
        csrf: &admin.csrf,
        nav: Nav::Policy,
        first_factors: Connection::ALL
            .into_iter()
            .map(|c| Choice {
                value: c.as_str(),
                label: connection_name(a, c),
                checked: p.first_factors.contains(&c),
            })
            .collect(),
        signup: p.signup,
        mfa: PolicyPage::modes(a, p.mfa),
        second_factors: Factor::ALL
            .into_iter()
            .map(|f| Choice {
                value: f.as_str(),
                label: factor_name(a, f),
                checked: p.second_factors.contains(&f),
            })
            .collect(),
        unique_phone: p.unique_phone,
        notice,
        problems,
    }
}

/// `GET /admin/policy`.
pub async fn policy_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
) -> HttpResponse {
    let lang = Lang::resolve(&req, admin.user.locale.as_deref());
    match policy::show(&state.db, state.settings.login.signup).await {
        Ok(p) => render(&policy_page(&lang, &admin, &p, None, Vec::new())),
        Err(e) => internal_error(&req, &e),
    }
}

/// The whole policy the form describes (a form always says every part).
fn change_of(form: &PolicyForm) -> Result<PolicyChange, String> {
    let on = |name: &str| form.get(name).is_some_and(|v| v == "on");
    let mfa = form
        .get("mfa")
        .map(String::as_str)
        .unwrap_or("")
        .parse::<MfaMode>()?;
    Ok(PolicyChange {
        first_factors: Some(
            Connection::ALL
                .into_iter()
                .filter(|c| on(&format!("first_{}", c.as_str())))
                .collect::<BTreeSet<_>>(),
        ),
        signup: Some(on("signup")),
        mfa: Some(mfa),
        second_factors: Some(
            Factor::ALL
                .into_iter()
                .filter(|f| on(&format!("second_{}", f.as_str())))
                .collect(),
        ),
        unique_phone: Some(on("unique_phone")),
    })
}

/// `POST /admin/policy`: saves the policy, or shows every reason it
/// cannot be saved next to the form (which keeps what was typed).
pub async fn policy(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    form: web::Form<PolicyForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !admin.csrf_ok(form.get("csrf").map(String::as_str)) {
        return csrf_failure(&req);
    }
    let lang = Lang::resolve(&req, admin.user.locale.as_deref());
    let a = lang.a;
    let signup = state.settings.login.signup;
    let current = match policy::show(&state.db, signup).await {
        Ok(p) => p,
        Err(e) => return internal_error(&req, &e),
    };
    let change = match change_of(&form) {
        Ok(change) => change,
        Err(problem) => {
            let page = policy_page(&lang, &admin, &current, None, vec![problem]);
            return render_with_status(StatusCode::BAD_REQUEST, &page);
        }
    };
    let now = state.clock.now();
    match policy::set_as(&state.db, signup, &change, now, Some(admin.user.id)).await {
        Ok(SetPolicyOutcome::Changed { after, .. }) => render(&policy_page(
            &lang,
            &admin,
            &after,
            Some(a.policy_saved),
            Vec::new(),
        )),
        Ok(SetPolicyOutcome::Unchanged(p)) => render(&policy_page(
            &lang,
            &admin,
            &p,
            Some(a.policy_unchanged),
            Vec::new(),
        )),
        Ok(SetPolicyOutcome::Refused(problems)) => {
            // Shown as it was asked for, so the admin can fix it.
            let asked = change.apply_to(&current);
            let reasons = problems.iter().map(ToString::to_string).collect();
            let page = policy_page(&lang, &admin, &asked, None, reasons);
            render_with_status(StatusCode::BAD_REQUEST, &page)
        }
        Err(e) => internal_error(&req, &e),
    }
}
