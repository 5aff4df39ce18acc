use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::startup::AppState;
use crate::store;

/// Liveness: the process answers.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Readiness: the database answers too.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if store::ping(&state.db).await {
        HttpResponse::Ok().json(json!({ "status": "ready" }))
    } else {
        HttpResponse::ServiceUnavailable()
            .json(json!({ "status": "unavailable", "database": "unreachable" }))
    }
}
