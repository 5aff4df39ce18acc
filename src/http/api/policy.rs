//! `/api/v1/policy`: the sign-in policy, changed only as a whole that can
//! be served.

use std::collections::BTreeSet;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiCaller;
use super::problem::{InvalidParam, Problem};
use crate::admin::policy::{self, PolicyChange, SetPolicyOutcome};
use crate::app::AppState;
use crate::domain::{Connection, Factor, MfaMode, SignInPolicy};

/// The sign-in policy.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyView {
    /// `sms`, `email`.
    pub first_factors: Vec<String>,
    pub signup: bool,
    /// `off`, `optional`, `required`.
    pub mfa: String,
    pub second_factors: Vec<String>,
    pub unique_phone: bool,
}

impl From<SignInPolicy> for PolicyView {
    fn from(p: SignInPolicy) -> Self {
        Self {
            first_factors: p
                .first_factors
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
            signup: p.signup,
            mfa: p.mfa.as_str().to_owned(),
            second_factors: p
                .second_factors
                .iter()
                .map(|f| f.as_str().to_owned())
                .collect(),
            unique_phone: p.unique_phone,
        }
    }
}

/// Shows the sign-in policy in force.
#[utoipa::path(get, path = "/api/v1/policy", tag = "config",
    responses((status = 200, description = "The policy in force", body = PolicyView)),
    security(("bearer" = ["ferrid:config:write"])))]
pub async fn get_policy(
    _caller: ApiCaller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let policy = policy::show(&state.db, state.settings.login.signup).await?;
    Ok(HttpResponse::Ok().json(PolicyView::from(policy)))
}

/// A change to the policy; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchPolicyBody {
    pub first_factors: Option<Vec<String>>,
    pub signup: Option<bool>,
    pub mfa: Option<String>,
    pub second_factors: Option<Vec<String>>,
    pub unique_phone: Option<bool>,
}

fn set_of<T: Ord + std::str::FromStr<Err = String>>(
    name: &str,
    values: Option<Vec<String>>,
    invalid: &mut Vec<InvalidParam>,
) -> Option<BTreeSet<T>> {
    let values = values?;
    let mut set = BTreeSet::new();
    for v in values {
        match v.parse::<T>() {
            Ok(item) => {
                set.insert(item);
            }
            Err(e) => invalid.push(InvalidParam::new(name, e)),
        }
    }
    Some(set)
}

/// Changes the sign-in policy: checked as a whole, saved only if it can be served.
#[utoipa::path(patch, path = "/api/v1/policy", tag = "config", request_body = PatchPolicyBody,
    responses(
        (status = 200, description = "The policy now in force", body = PolicyView),
        (status = 400, description = "Bad input", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Every reason the policy cannot be served; nothing changed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:config:write"])))]
pub async fn patch_policy(
    caller: ApiCaller,
    state: web::Data<AppState>,
    body: web::Json<PatchPolicyBody>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let mut invalid = Vec::new();
    let first_factors = set_of::<Connection>("first_factors", b.first_factors, &mut invalid);
    let second_factors = set_of::<Factor>("second_factors", b.second_factors, &mut invalid);
    let mfa = match b.mfa.as_deref().map(str::parse::<MfaMode>) {
        Some(Ok(mode)) => Some(mode),
        Some(Err(e)) => {
            invalid.push(InvalidParam::new("mfa", e));
            None
        }
        None => None,
    };
    if !invalid.is_empty() {
        return Err(Problem::bad_request("The change is invalid", invalid));
    }
    let change = PolicyChange {
        first_factors,
        signup: b.signup,
        mfa,
        second_factors,
        unique_phone: b.unique_phone,
    };
    let outcome = policy::set_by(
        &state.db,
        caller.client_id(),
        state.settings.login.signup,
        &change,
        state.clock.now(),
    )
    .await?;
    match outcome {
        SetPolicyOutcome::Changed { after, .. } | SetPolicyOutcome::Unchanged(after) => {
            Ok(HttpResponse::Ok().json(PolicyView::from(after)))
        }
        SetPolicyOutcome::Refused(problems) => Err(Problem::unprocessable(
            "The policy cannot be served; nothing was changed",
            problems
                .iter()
                .map(|p| InvalidParam::new("policy", p))
                .collect(),
        )),
    }
}
