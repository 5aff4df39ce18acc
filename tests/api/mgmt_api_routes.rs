//! Every route of the management API: 401 without a token, 403 without its
//! scope, a problem for bad input; the OpenAPI document walked and every
//! operation called, answering as documented; the docs page.

use serde_json::{Value, json};

use crate::helpers::{PHONE, spawn_app};
use crate::mgmt_api::{api_client, call, create_user, problem};

/// A route, a token scope that does not reach it, and a bad request to it
/// with the status of its problem.
struct Route {
    method: &'static str,
    path: &'static str,
    other_scope: &'static str,
    bad_path: &'static str,
    bad_body: Option<Value>,
    bad_status: u16,
}

/// A user id no user has.
const UNKNOWN_USER: &str = "00000000-0000-4000-8000-000000000000";

#[rustfmt::skip]
fn routes() -> Vec<Route> {
    let r = |method, path, other_scope, bad_path, bad_body, bad_status| Route {
        method,
        path,
        other_scope,
        bad_path,
        bad_body,
        bad_status,
    };
    let audit = "ferrid:audit:read";
    let odd = Some(json!({ "bogus": 1 }));
    vec![
        r("GET", "/api/v1/users", audit, "/api/v1/users?cursor=nope", None, 400),
        r("POST", "/api/v1/users", "ferrid:users:read", "/api/v1/users", odd.clone(), 400),
        r("GET", "/api/v1/users/{id}", audit, "/api/v1/users/not-a-uuid", None, 404),
        r("PATCH", "/api/v1/users/{id}", "ferrid:users:read", "/api/v1/users/{id}", Some(json!({ "blocked": "yes" })), 400),
        r("DELETE", "/api/v1/users/{id}", "ferrid:users:read", "/api/v1/users/not-a-uuid", None, 404),
        r("POST", "/api/v1/users/{id}/phone-numbers", "ferrid:users:read", "/api/v1/users/{id}/phone-numbers", Some(json!({})), 400),
        r("POST", "/api/v1/users/{id}/phone-numbers/verify", "ferrid:users:read", "/api/v1/users/{id}/phone-numbers/verify", Some(json!({ "code": 5 })), 400),
        r("DELETE", "/api/v1/users/{id}/phone-numbers", "ferrid:users:read", "/api/v1/users/{unknown}/phone-numbers", None, 404),
        r("GET", "/api/v1/users/{id}/factors/{factor}", audit, "/api/v1/users/{id}/factors/password", None, 404),
        r("DELETE", "/api/v1/users/{id}/factors/{factor}", "ferrid:users:read", "/api/v1/users/{unknown}/factors/totp", None, 404),
        r("GET", "/api/v1/users/{id}/sessions", audit, "/api/v1/users/{unknown}/sessions", None, 404),
        r("DELETE", "/api/v1/users/{id}/sessions", "ferrid:users:read", "/api/v1/users/{unknown}/sessions", None, 404),
        r("DELETE", "/api/v1/users/{id}/sessions/{sid}", "ferrid:users:read", "/api/v1/users/{id}/sessions/nosuch", None, 404),
        r("GET", "/api/v1/clients", audit, "/api/v1/clients/x/y/z", None, 404),
        r("POST", "/api/v1/clients", audit, "/api/v1/clients", odd.clone(), 400),
        r("GET", "/api/v1/clients/{id}", audit, "/api/v1/clients/nobody", None, 404),
        r("PATCH", "/api/v1/clients/{id}", audit, "/api/v1/clients/{id}", Some(json!({ "require_mfa": "x" })), 400),
        r("DELETE", "/api/v1/clients/{id}", audit, "/api/v1/clients/nobody", None, 404),
        r("POST", "/api/v1/clients/{id}/secret", audit, "/api/v1/clients/nobody/secret", None, 404),
        r("GET", "/api/v1/connections/sms", audit, "/api/v1/connections/email", None, 404),
        r("PATCH", "/api/v1/connections/sms", audit, "/api/v1/connections/sms", Some(json!({ "provider": "pigeon" })), 400),
        r("PUT", "/api/v1/templates/{channel}/{usage}/{lang}", audit, "/api/v1/templates/sms/login/en", Some(json!({ "text": "x" })), 400),
        r("POST", "/api/v1/templates/preview", audit, "/api/v1/templates/preview", Some(json!({ "channel": "fax", "source": "x" })), 400),
        r("GET", "/api/v1/policy", audit, "/api/v1/policy/nothing", None, 404),
        r("PATCH", "/api/v1/policy", audit, "/api/v1/policy", Some(json!({ "mfa": "x" })), 400),
        r("GET", "/api/v1/audit-events", "ferrid:users:read", "/api/v1/audit-events?since=yesterday", None, 400),
    ]
}

#[tokio::test]
async fn every_route_needs_a_token_its_scope_and_good_input() {
    let app = spawn_app().await;
    let admin = api_client(&app, &["ferrid:admin"]).await;
    // The user of the bad requests that need one has no number.
    let user = create_user(&app, &admin.token, json!({ "name": "Ada" })).await;
    let user_id = user["id"].as_str().unwrap();
    for route in routes() {
        let path = concrete(route.path, user_id);
        let res = call(&app, route.method, &path, None, route.bad_body.clone()).await;
        problem(res, 401).await;
        let other = api_client(&app, &[route.other_scope]).await;
        let res = call(&app, route.method, &path, Some(&other.token), None).await;
        let body = problem(res, 403).await;
        assert!(
            body["detail"].as_str().unwrap().contains("ferrid:"),
            "{} {}",
            route.method,
            route.path
        );
        let bad_path = route
            .bad_path
            .replace("{id}", user_id)
            .replace("{unknown}", UNKNOWN_USER);
        let res = call(
            &app,
            route.method,
            &bad_path,
            Some(&admin.token),
            route.bad_body.clone(),
        )
        .await;
        problem(res, route.bad_status).await;
    }
}

/// `path` with its parameters filled in: the user `id`, the factor `sms`,
/// a session id no session has.
fn concrete(path: &str, id: &str) -> String {
    path.replace("{id}", id)
        .replace("{factor}", "sms")
        .replace("{channel}/{usage}/{lang}", "sms/login/default")
        .replace("{sid}", "nosuch")
}

/// Every `$ref` in a JSON document.
fn refs_in(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs_in(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs_in(v, out)),
        _ => {}
    }
}

/// The body each operation is called with in the walk.
fn sample_body(method: &str, path: &str) -> Option<Value> {
    Some(match (method, path) {
        ("POST", "/api/v1/users") => json!({ "name": "Walker" }),
        ("PATCH", "/api/v1/users/{id}") => json!({ "name": "Walked" }),
        ("POST", "/api/v1/users/{id}/phone-numbers") => {
            json!({ "phone_number": PHONE, "verify": false })
        }
        ("POST", "/api/v1/users/{id}/phone-numbers/verify") => json!({ "code": "123456" }),
        ("POST", "/api/v1/clients") => {
            json!({ "name": "Walked", "grant_types": ["client_credentials"] })
        }
        ("PATCH", "/api/v1/clients/{id}") => json!({ "require_mfa": false }),
        ("PATCH", "/api/v1/policy") => json!({ "signup": true }),
        ("PATCH", "/api/v1/connections/sms") => json!({ "otp_ttl_secs": 300 }),
        ("PUT", "/api/v1/templates/{channel}/{usage}/{lang}") => {
            json!({ "source": "{{ code }} is your code" })
        }
        ("POST", "/api/v1/templates/preview") => {
            json!({ "channel": "sms", "source": "{{ code }} is your code" })
        }
        _ => return None,
    })
}

#[tokio::test]
async fn every_operation_of_the_openapi_document_answers_as_documented() {
    let app = spawn_app().await;
    let res = call(&app, "GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );

    // Every schema the document refers to is in it.
    let mut refs = Vec::new();
    refs_in(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let name = r.strip_prefix("#/components/schemas/").unwrap();
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} is not in the document"
        );
    }

    let admin = api_client(&app, &["ferrid:admin"]).await;
    let user = create_user(&app, &admin.token, json!({ "name": "Ada" })).await;
    let user_id = user["id"].as_str().unwrap().to_owned();
    let walked = api_client(&app, &[]).await;

    let mut operations: Vec<(String, String, Value)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations.push((method.to_uppercase(), path.clone(), operation.clone()));
        }
    }
    // Deletions last, the narrower first.
    operations.sort_by_key(|(method, path, _)| (method == "DELETE", std::cmp::Reverse(path.len())));
    assert_eq!(
        operations.len(),
        routes().len(),
        "every route is documented"
    );
    for route in routes() {
        assert!(
            operations
                .iter()
                .any(|(m, p, _)| m == route.method && p == route.path),
            "{} {} is documented",
            route.method,
            route.path
        );
    }
    for (method, path, operation) in &operations {
        let documented: Vec<u16> = operation["responses"]
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.parse().unwrap())
            .collect();
        assert!(
            documented.contains(&401) && documented.contains(&403),
            "{method} {path}"
        );
        assert!(
            operation["security"][0]["bearer"].is_array(),
            "{method} {path}"
        );
        let id = if path.starts_with("/api/v1/clients") {
            walked.client_id.as_str()
        } else {
            user_id.as_str()
        };
        let url = concrete(path, id);
        let res = call(&app, method, &url, None, None).await;
        assert_eq!(res.status(), 401, "{method} {path}");
        let res = call(
            &app,
            method,
            &url,
            Some(&admin.token),
            sample_body(method, path),
        )
        .await;
        let status = res.status().as_u16();
        assert!(
            documented.contains(&status),
            "{method} {path} answered {status}, documented {documented:?}: {}",
            res.text().await.unwrap()
        );
        // Only the session, which no sign-in opened, and the code, which
        // none was sent for, are not there to act on.
        let absent = path.ends_with("{sid}") || path.ends_with("/verify");
        assert!(status < 300 || absent, "{method} {path} answered {status}");
    }
}

#[tokio::test]
async fn the_docs_page_lists_every_operation_without_scripts() {
    let app = spawn_app().await;
    let res = call(&app, "GET", "/api/v1/docs", None, None).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    for route in routes() {
        assert!(html.contains(route.path), "{}", route.path);
    }
    assert!(html.contains("ferrid:admin"));
    assert!(!html.contains("<script"));
}
