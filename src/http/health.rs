use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::app::AppState;
use crate::store;

/// Liveness: the process answers.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Readiness: the database answers too. Without the database nothing works
/// (503, so a load balancer sends traffic elsewhere); without Redis the
/// service still works, with limits counted per instance, so it stays ready
/// and says so in the body.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let redis = match &state.redis {
        Some(redis) if redis.ping().await => Some("ok"),
        Some(_) => Some("unavailable"),
        None => None,
    };
    if !store::ping(&state.db).await {
        return HttpResponse::ServiceUnavailable().json(json!({
            "status": "unavailable",
            "database": "unreachable",
            "redis": redis,
        }));
    }
    match redis {
        Some("unavailable") => HttpResponse::Ok().json(json!({
            "status": "degraded",
            "database": "ok",
            "redis": "unavailable",
            "degraded": ["redis: send limits are counted per instance until Redis answers"],
        })),
        _ => HttpResponse::Ok().json(json!({
            "status": "ready",
            "database": "ok",
            "redis": redis,
        })),
    }
}
