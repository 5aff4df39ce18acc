//! `/api/v1/clients`: register, list, change and delete applications, and
//! rotate their secrets.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiCaller;
use super::problem::{InvalidParam, Problem};
use crate::admin::clients::{
    self, ClientUpdate, CreateClient, CreateClientError, NewClientConnections, RotateSecretOutcome,
    UpdateClientError,
};
use crate::app::AppState;
use crate::domain::{ClientId, ClientName, ClientType, GrantType, Origin, RedirectUri};
use crate::store::clients::Client;

/// An application, as the API shows one (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientView {
    pub client_id: String,
    pub name: String,
    /// `confidential` or `public`.
    #[serde(rename = "type")]
    pub client_type: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub grant_types: Vec<String>,
    pub connections: Vec<String>,
    pub first_party: bool,
    pub require_mfa: bool,
    pub allowed_scopes: Vec<String>,
    pub introspect: bool,
    pub created_at: DateTime<Utc>,
}

impl From<Client> for ClientView {
    fn from(c: Client) -> Self {
        Self {
            client_id: c.client_id.as_str().to_owned(),
            name: c.name.as_str().to_owned(),
            client_type: c.client_type.as_str().to_owned(),
            redirect_uris: c
                .redirect_uris
                .iter()
                .map(|u| u.as_str().to_owned())
                .collect(),
            post_logout_redirect_uris: c
                .post_logout_redirect_uris
                .iter()
                .map(|u| u.as_str().to_owned())
                .collect(),
            allowed_origins: c
                .allowed_origins
                .iter()
                .map(|o| o.as_str().to_owned())
                .collect(),
            grant_types: c
                .grant_types
                .iter()
                .map(|g| g.as_str().to_owned())
                .collect(),
            connections: c
                .connections
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
            first_party: c.first_party,
            require_mfa: c.require_mfa,
            allowed_scopes: c.allowed_scopes,
            introspect: c.introspect,
            created_at: c.created_at,
        }
    }
}

/// Every registered application.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientList {
    pub clients: Vec<ClientView>,
}

/// Lists the registered applications.
#[utoipa::path(get, path = "/api/v1/clients", tag = "clients",
    responses((status = 200, description = "Every application", body = ClientList)),
    security(("bearer" = ["ferrid:clients:write"])))]
pub async fn list_clients(
    _caller: ApiCaller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let list = clients::list_clients(&state.db).await?;
    Ok(HttpResponse::Ok().json(ClientList {
        clients: list.into_iter().map(ClientView::from).collect(),
    }))
}

/// An application to register (the fields of `ferrid client create`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClientBody {
    /// A chosen id; random when absent.
    pub client_id: Option<String>,
    pub name: String,
    /// `confidential` (default) or `public`.
    #[serde(rename = "type")]
    pub client_type: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Default `authorization_code`.
    #[serde(default)]
    pub grant_types: Vec<String>,
    #[serde(default)]
    pub first_party: bool,
    /// Scopes the client may ask for with client_credentials (`ferrid:…`
    /// scopes only those the caller holds).
    #[serde(default)]
    pub allowed_scopes: Vec<String>,
    /// Sign-in connections; every connection when absent.
    pub connections: Option<Vec<String>>,
    #[serde(default)]
    pub introspect: bool,
    #[serde(default)]
    pub require_mfa: bool,
}

/// A registered application and, for a confidential one, its secret, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedClientView {
    #[serde(flatten)]
    pub client: ClientView,
    pub client_secret: Option<String>,
}

fn parse_all<T>(
    name: &str,
    values: &[String],
    parse: impl Fn(&str) -> Result<T, String>,
    invalid: &mut Vec<InvalidParam>,
) -> Vec<T> {
    values
        .iter()
        .filter_map(|v| {
            parse(v)
                .map_err(|e| invalid.push(InvalidParam::new(name, e)))
                .ok()
        })
        .collect()
}

/// Registers an application.
#[utoipa::path(post, path = "/api/v1/clients", tag = "clients", request_body = CreateClientBody,
    responses(
        (status = 201, description = "Registered; the secret is shown this once", body = CreatedClientView),
        (status = 400, description = "Bad input", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The client_id is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A combination ferrid refuses", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:clients:write"])))]
pub async fn create_client(
    caller: ApiCaller,
    state: web::Data<AppState>,
    body: web::Json<CreateClientBody>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let mut invalid = Vec::new();
    let client_id = b
        .client_id
        .as_deref()
        .map(ClientId::parse)
        .transpose()
        .map_err(|e| invalid.push(InvalidParam::new("client_id", e)))
        .ok()
        .flatten();
    let name = ClientName::parse(&b.name)
        .map_err(|e| invalid.push(InvalidParam::new("name", e)))
        .ok();
    let client_type = b
        .client_type
        .as_deref()
        .unwrap_or("confidential")
        .parse::<ClientType>()
        .map_err(|e| invalid.push(InvalidParam::new("type", e)))
        .ok();
    let redirect_uris = parse_all(
        "redirect_uris",
        &b.redirect_uris,
        RedirectUri::parse,
        &mut invalid,
    );
    let post_logout_redirect_uris = parse_all(
        "post_logout_redirect_uris",
        &b.post_logout_redirect_uris,
        RedirectUri::parse,
        &mut invalid,
    );
    let allowed_origins = parse_all(
        "allowed_origins",
        &b.allowed_origins,
        Origin::parse,
        &mut invalid,
    );
    let grant_types = parse_all(
        "grant_types",
        &b.grant_types,
        str::parse::<GrantType>,
        &mut invalid,
    );
    if let Some(scope) = caller.0.cannot_grant(&b.allowed_scopes) {
        return Err(Problem::forbidden(scope));
    }
    let (Some(name), Some(client_type), true) = (name, client_type, invalid.is_empty()) else {
        return Err(Problem::bad_request("The client is invalid", invalid));
    };
    let req = CreateClient {
        client_id,
        name,
        client_type,
        redirect_uris,
        post_logout_redirect_uris,
        allowed_origins,
        grant_types,
        first_party: b.first_party,
        allowed_scopes: b.allowed_scopes,
        refresh_without_offline_access: false,
        connections: match b.connections {
            None => NewClientConnections::Default,
            Some(list) => NewClientConnections::These(list),
        }
        .resolve(),
        introspect: b.introspect,
        require_mfa: b.require_mfa,
    };
    match clients::create_client_by(&state.db, caller.client_id(), req, state.clock.now()).await {
        Ok(created) => Ok(HttpResponse::Created().json(CreatedClientView {
            client: ClientView::from(created.client),
            client_secret: created.client_secret,
        })),
        Err(CreateClientError::Taken(id)) => Err(Problem::conflict(format!(
            "A client with id `{}` already exists",
            id.as_str()
        ))),
        Err(CreateClientError::UnknownConnection(c)) => Err(Problem::invalid(
            "connections",
            format!("`{c}` is not a connection"),
        )),
        Err(CreateClientError::BadScope(s)) => Err(Problem::invalid(
            "allowed_scopes",
            format!("`{s}` is not a valid scope token"),
        )),
        Err(CreateClientError::Unexpected(e)) => Err(Problem::unexpected(&e)),
        Err(refused) => {
            let reason = refused.to_string();
            Err(Problem::unprocessable(
                reason.clone(),
                vec![InvalidParam::new("client", reason)],
            ))
        }
    }
}

fn client_id_of(raw: &str) -> Result<ClientId, Problem> {
    ClientId::parse(raw).map_err(|_| no_client())
}

fn no_client() -> Problem {
    Problem::not_found("There is no client with this id")
}

/// Shows one application.
#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "clients",
    params(("id" = String, Path, description = "The client_id")),
    responses(
        (status = 200, description = "The application", body = ClientView),
        (status = 404, description = "No such client", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:clients:write"])))]
pub async fn get_client(
    _caller: ApiCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = client_id_of(&id)?;
    match clients::find_client(&state.db, &id).await? {
        Some(client) => Ok(HttpResponse::Ok().json(ClientView::from(client))),
        None => Err(no_client()),
    }
}

/// A change to an application; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchClientBody {
    /// Every sign-in proves a second factor (refused when the sign-in
    /// policy cannot serve it).
    pub require_mfa: Option<bool>,
}

/// Changes an application.
#[utoipa::path(patch, path = "/api/v1/clients/{id}", tag = "clients", request_body = PatchClientBody,
    params(("id" = String, Path, description = "The client_id")),
    responses(
        (status = 200, description = "The application as changed", body = ClientView),
        (status = 400, description = "Bad input", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The sign-in policy cannot serve the change", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:clients:write"])))]
pub async fn patch_client(
    caller: ApiCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<PatchClientBody>,
) -> Result<HttpResponse, Problem> {
    let id = client_id_of(&id)?;
    let update = ClientUpdate {
        require_mfa: body.require_mfa,
    };
    match clients::update_client_by(
        &state.db,
        caller.client_id(),
        &id,
        update,
        state.clock.now(),
    )
    .await
    {
        Ok(client) => Ok(HttpResponse::Ok().json(ClientView::from(client))),
        // Built-in clients are not the API's to change.
        Err(UpdateClientError::NotFound(_) | UpdateClientError::Reserved(_)) => Err(no_client()),
        Err(UpdateClientError::MfaUnservable(why)) => Err(Problem::unprocessable(
            why.to_string(),
            why.0
                .iter()
                .map(|p| InvalidParam::new("require_mfa", p))
                .collect(),
        )),
        Err(UpdateClientError::Unexpected(e)) => Err(Problem::unexpected(&e)),
    }
}

/// Deletes an application; its tokens stop working for the API at once.
#[utoipa::path(delete, path = "/api/v1/clients/{id}", tag = "clients",
    params(("id" = String, Path, description = "The client_id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such client", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:clients:write"])))]
pub async fn delete_client(
    caller: ApiCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = client_id_of(&id)?;
    if clients::delete_client_by(&state.db, caller.client_id(), &id, state.clock.now()).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(no_client())
    }
}

/// A new client secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecret {
    pub client_id: String,
    pub client_secret: String,
}

/// Gives a confidential application a new secret; the old one stops working.
#[utoipa::path(post, path = "/api/v1/clients/{id}/secret", tag = "clients",
    params(("id" = String, Path, description = "The client_id")),
    responses(
        (status = 200, description = "The new secret, shown once", body = RotatedSecret),
        (status = 403, description = "The client may get an API scope the caller does not hold", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A public client has no secret", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["ferrid:clients:write"])))]
pub async fn rotate_secret(
    caller: ApiCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = client_id_of(&id)?;
    match clients::rotate_secret(&state.db, Some(&caller.0), &id, state.clock.now()).await? {
        RotateSecretOutcome::Rotated(secret) => Ok(HttpResponse::Ok().json(RotatedSecret {
            client_id: id.as_str().to_owned(),
            client_secret: secret,
        })),
        RotateSecretOutcome::Public => Err(Problem::unprocessable(
            "A public client has no secret",
            vec![InvalidParam::new("id", "a public client")],
        )),
        RotateSecretOutcome::Forbidden(scope) => Err(Problem::forbidden(&scope)),
        RotateSecretOutcome::NotFound => Err(no_client()),
    }
}
