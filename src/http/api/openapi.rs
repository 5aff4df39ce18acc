//! The OpenAPI 3.1 document of the management API, generated from the
//! handlers' annotations, and a page that lists its operations.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use super::problem::{InvalidParam, Problem};
use super::{audit, clients, config, policy, user_factors, users};
use crate::app::AppState;
use crate::http::errors::{internal_error, render};
use crate::oidc::api_token::ApiScope;

#[derive(OpenApi)]
#[openapi(
    info(title = "ferrid management API", version = "1"),
    paths(
        users::list_users,
        users::create_user,
        users::get_user,
        users::patch_user,
        users::delete_user,
        users::add_phone,
        users::verify_phone,
        users::remove_phone,
        user_factors::get_factor,
        user_factors::delete_factor,
        user_factors::list_sessions,
        user_factors::delete_sessions,
        user_factors::delete_session,
        clients::list_clients,
        clients::create_client,
        clients::get_client,
        clients::patch_client,
        clients::delete_client,
        clients::rotate_secret,
        config::get_sms_connection,
        config::patch_sms_connection,
        config::put_template,
        config::preview_template,
        policy::get_policy,
        policy::patch_policy,
        audit::list_audit_events,
    ),
    components(schemas(Problem, InvalidParam)),
    modifiers(&Security),
    tags(
        (name = "users", description = "Users, their phone numbers and sessions"),
        (name = "clients", description = "Applications"),
        (name = "config", description = "The SMS connection, message templates and the sign-in policy"),
        (name = "audit", description = "The audit log"),
    )
)]
struct ApiDoc;

/// The bearer scheme, its scopes, and the 401 and 403 every operation answers.
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut Document) {
        let scopes: Vec<String> = ApiScope::ALL
            .iter()
            .map(|s| format!("`{s}`: {}", s.description()))
            .collect();
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(format!(
                "An access token from the client credentials grant at /token. Scopes: {}",
                scopes.join("; ")
            )))
            .build();
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        for item in doc.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let responses = &mut operation.responses.responses;
                responses
                    .entry("401".to_owned())
                    .or_insert_with(|| problem("No valid access token").into());
                responses
                    .entry("403".to_owned())
                    .or_insert_with(|| problem("The access token lacks the scope").into());
            }
        }
    }
}

/// The document, built once per call (it is small).
fn document() -> Document {
    ApiDoc::openapi()
}

/// Serves the OpenAPI document (no token needed: it is public).
pub async fn openapi_json() -> HttpResponse {
    match document().to_pretty_json() {
        Ok(json) => HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, "application/json"))
            .body(json),
        Err(e) => actix_web::ResponseError::error_response(&Problem::unexpected(&e.into())),
    }
}

/// One operation on the docs page.
struct Operation {
    method: &'static str,
    path: String,
    summary: String,
    scopes: String,
    statuses: String,
}

#[derive(Template)]
#[template(path = "api/docs.html")]
struct DocsPage<'a> {
    issuer: &'a str,
    operations: Vec<Operation>,
    scopes: Vec<(&'static str, &'static str)>,
}

/// The scopes the operation's `bearer` requirements name. A requirement
/// keeps its map private, so it is read through its serialized form; one
/// that does not serialize fails the page rather than listing no scope.
fn bearer_scopes<'a>(
    requirements: impl Iterator<Item = &'a SecurityRequirement>,
) -> Result<Vec<String>, serde_json::Error> {
    let mut scopes = Vec::new();
    for requirement in requirements {
        if let Some(bearer) = serde_json::to_value(requirement)?.get("bearer") {
            scopes.extend(serde_json::from_value::<Vec<String>>(bearer.clone())?);
        }
    }
    Ok(scopes)
}

/// Lists every operation of the document, server-rendered.
pub async fn docs(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let doc = document();
    let mut operations = Vec::new();
    for (path, item) in &doc.paths.paths {
        let methods = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, operation) in methods {
            let Some(operation) = operation else { continue };
            let scopes = match bearer_scopes(operation.security.iter().flatten()) {
                Ok(scopes) => scopes.join(", "),
                Err(e) => return internal_error(&req, &e.into()),
            };
            operations.push(Operation {
                method,
                path: path.clone(),
                summary: operation.summary.clone().unwrap_or_default(),
                scopes,
                statuses: operation
                    .responses
                    .responses
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" "),
            });
        }
    }
    render(&DocsPage {
        issuer: state.settings.issuer_base(),
        operations,
        scopes: ApiScope::ALL
            .iter()
            .map(|s| (s.as_str(), s.description()))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_requirements_scopes_are_listed_and_others_ignored() {
        let requirements = [
            SecurityRequirement::new("bearer", ["users:read", "users:write"]),
            SecurityRequirement::new("other", ["x"]),
        ];
        assert_eq!(
            bearer_scopes(requirements.iter()).unwrap(),
            ["users:read", "users:write"]
        );
    }
}
