//! Who calls the management API and what they may do: the bearer token is
//! checked once per scope of routes by [`authorize`], which puts the
//! [`ApiCaller`] into the request for the handlers to take.

use std::future::{Ready, ready};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::AUTHORIZATION;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use super::problem::Problem;
use crate::app::AppState;
use crate::domain::ClientId;
use crate::oidc::api_token::{ApiClient, ApiScope, ApiTokenError, authenticate};

/// The scopes a scope of routes needs: one to read (GET), one to change.
#[derive(Clone, Copy, Debug)]
pub struct Needs {
    pub read: ApiScope,
    pub write: ApiScope,
}

impl Needs {
    /// The same scope for reading and changing.
    pub const fn only(scope: ApiScope) -> Self {
        Self {
            read: scope,
            write: scope,
        }
    }

    /// The scope a request of this method needs.
    pub fn for_method(self, method: &Method) -> ApiScope {
        if method == Method::GET || method == Method::HEAD {
            self.read
        } else {
            self.write
        }
    }
}

/// The client calling, authenticated by its bearer token, whose token has
/// the scope of the routes it called.
#[derive(Clone, Debug)]
pub struct ApiCaller(pub ApiClient);

impl ApiCaller {
    pub fn client_id(&self) -> &ClientId {
        &self.0.client_id
    }

    /// The caller as the audit trail names it.
    pub fn actor(&self) -> crate::audit::Actor {
        crate::audit::Actor::Client(self.0.client_id.as_str().to_owned())
    }
}

impl FromRequest for ApiCaller {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Only `authorize` puts a caller there: a route outside its scopes
        // that asks for one is refused rather than left open.
        ready(
            req.extensions()
                .get::<ApiCaller>()
                .cloned()
                .ok_or_else(|| Problem::unauthorized(None, "An access token is required")),
        )
    }
}

/// The middleware of a scope of routes: a valid token (401 otherwise) with
/// the scope the routes need for the request's method (403 otherwise).
pub async fn authorize(
    needs: Needs,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    match caller(&req, needs).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            Ok(next.call(req).await?.map_into_left_body())
        }
        Err(problem) => {
            let res = actix_web::ResponseError::error_response(&problem);
            Ok(req.into_response(res).map_into_right_body())
        }
    }
}

async fn caller(req: &ServiceRequest, needs: Needs) -> Result<ApiCaller, Problem> {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return Err(Problem::unexpected(&anyhow::anyhow!(
            "no application state"
        )));
    };
    let token = bearer(req)?;
    let client = authenticate(state, token.as_deref())
        .await
        .map_err(|e| match e {
            // RFC 6750 §3.1: no token at all gets a bare challenge.
            ApiTokenError::MissingToken => {
                Problem::unauthorized(None, "An access token is required")
            }
            ApiTokenError::InvalidToken(why) => Problem::unauthorized(Some("invalid_token"), why),
            ApiTokenError::Unexpected(e) => Problem::unexpected(&e),
        })?;
    let needed = needs.for_method(req.method());
    if !client.may(needed) {
        return Err(Problem::forbidden(needed.as_str()));
    }
    Ok(ApiCaller(client))
}

/// The token of an `Authorization: Bearer` header (RFC 6750 §2.1).
fn bearer(req: &ServiceRequest) -> Result<Option<String>, Problem> {
    let Some(value) = req.headers().get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| {
        Problem::unauthorized(
            Some("invalid_request"),
            "The Authorization header is malformed",
        )
    })?;
    Ok(match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
            Some(token.trim().to_owned())
        }
        _ => None,
    })
}
