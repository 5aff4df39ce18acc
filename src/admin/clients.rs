//! Registering, listing and removing applications.

use crate::crypto::{random_alphanumeric, random_token, sha256_hex};
use crate::domain::{ClientId, ClientName, ClientType, Connection, GrantType, Origin, RedirectUri};
use crate::store::{self, ConnectionTrait, StoreError, clients::Client, clients::NewClient};

/// A request to register an application, already parsed into domain types.
#[derive(Clone, Debug)]
pub struct CreateClient {
    /// A chosen id; a random one is made when `None`.
    pub client_id: Option<ClientId>,
    pub name: ClientName,
    pub client_type: ClientType,
    pub redirect_uris: Vec<RedirectUri>,
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    pub allowed_origins: Vec<Origin>,
    /// Empty means the default, `authorization_code`.
    pub grant_types: Vec<GrantType>,
    pub first_party: bool,
    /// Scopes the client may ask for with `client_credentials`.
    pub allowed_scopes: Vec<String>,
    /// Issue refresh tokens without `offline_access` (first-party clients only).
    pub refresh_without_offline_access: bool,
    /// Sign-in connections the client may use (`sms`).
    pub connections: Vec<String>,
    /// A resource server that may introspect every client's tokens
    /// (otherwise a client introspects only its own).
    pub introspect: bool,
}

/// Which connections a new client gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NewClientConnections {
    /// The connections enabled for new clients: every connection ferrid has
    /// (today only `sms`), as a new Auth0 application gets the connections
    /// enabled for new applications.
    Default,
    /// None: the client cannot sign users in until one is enabled.
    None,
    /// Exactly these.
    These(Vec<String>),
}

impl NewClientConnections {
    /// The connection names to store in [`CreateClient::connections`].
    pub fn resolve(self) -> Vec<String> {
        match self {
            Self::Default => Connection::ALL
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
            Self::None => Vec::new(),
            Self::These(list) => list,
        }
    }
}

/// True when a client has a grant that signs users in but no connection to
/// sign them in with, so every sign-in it starts is refused.
pub fn cannot_sign_users_in(client: &Client) -> bool {
    let signs_users_in = client
        .grant_types
        .iter()
        .any(|g| matches!(g, GrantType::AuthorizationCode | GrantType::PasswordlessOtp));
    signs_users_in && client.connections.is_empty()
}

/// A registered client and, for confidential clients, its secret: shown
/// once, stored only as a hash.
#[derive(Debug)]
pub struct CreatedClient {
    pub client: Client,
    pub client_secret: Option<String>,
}

/// Why a client could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum CreateClientError {
    #[error("a client with id `{0}` already exists")]
    Taken(ClientId),
    #[error("the authorization_code grant needs at least one --redirect-uri")]
    NoRedirectUri,
    #[error("a public client cannot use the client_credentials grant (it has no secret)")]
    PublicClientCredentials,
    #[error(
        "the refresh_token grant needs a grant that issues tokens to a user (authorization_code)"
    )]
    RefreshWithoutCode,
    #[error("--refresh-without-offline-access is only for first-party clients")]
    RefreshWithoutOfflineAccessThirdParty,
    #[error("the scope `{0}` is not a valid scope token")]
    BadScope(String),
    #[error("--introspect needs a confidential client (introspection requires a secret)")]
    PublicIntrospect,
    #[error("`{0}` is not a connection (sms)")]
    UnknownConnection(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Registers an application.
pub async fn create_client(
    db: &impl ConnectionTrait,
    req: CreateClient,
) -> Result<CreatedClient, CreateClientError> {
    let mut grant_types = req.grant_types;
    if grant_types.is_empty() {
        grant_types.push(GrantType::AuthorizationCode);
    }
    grant_types.sort();
    grant_types.dedup();
    let has_code = grant_types.contains(&GrantType::AuthorizationCode);
    if has_code && req.redirect_uris.is_empty() {
        return Err(CreateClientError::NoRedirectUri);
    }
    if grant_types.contains(&GrantType::RefreshToken) && !has_code {
        return Err(CreateClientError::RefreshWithoutCode);
    }
    if req.client_type == ClientType::Public && grant_types.contains(&GrantType::ClientCredentials)
    {
        return Err(CreateClientError::PublicClientCredentials);
    }
    if req.client_type == ClientType::Public && req.introspect {
        return Err(CreateClientError::PublicIntrospect);
    }
    let mut connections = req
        .connections
        .iter()
        .map(|c| {
            c.parse::<Connection>()
                .map_err(|_| CreateClientError::UnknownConnection(c.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    connections.sort();
    connections.dedup();
    let client_id = match req.client_id {
        Some(id) => id,
        // 131 random bits, letters and digits only: unguessable without being
        // a secret, and never mistaken for a flag on a command line.
        None => ClientId::parse(&random_alphanumeric(22)).map_err(anyhow::Error::msg)?,
    };
    let client_secret = (req.client_type == ClientType::Confidential).then(random_token);
    let new = NewClient {
        client_id: client_id.clone(),
        secret_hash: client_secret.as_deref().map(sha256_hex),
        name: req.name,
        client_type: req.client_type,
        redirect_uris: req.redirect_uris,
        post_logout_redirect_uris: req.post_logout_redirect_uris,
        allowed_origins: req.allowed_origins,
        grant_types,
        connections,
        first_party: req.first_party,
        allowed_scopes: req.allowed_scopes,
        refresh_without_offline_access: req.refresh_without_offline_access,
        introspect: req.introspect,
    };
    match store::clients::insert(db, new).await {
        Ok(client) => Ok(CreatedClient {
            client,
            client_secret,
        }),
        Err(StoreError::Conflict) => Err(CreateClientError::Taken(client_id)),
        Err(StoreError::Unexpected(e)) => Err(CreateClientError::Unexpected(e)),
    }
}

/// Every registered client.
pub async fn list_clients(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Client>> {
    Ok(store::clients::list(db).await?)
}

/// One client by id.
pub async fn find_client(
    db: &impl ConnectionTrait,
    client_id: &ClientId,
) -> anyhow::Result<Option<Client>> {
    Ok(store::clients::find_by_client_id(db, client_id).await?)
}

/// Removes a client; whether it existed.
pub async fn delete_client(
    db: &impl ConnectionTrait,
    client_id: &ClientId,
) -> anyhow::Result<bool> {
    Ok(store::clients::delete_by_client_id(db, client_id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_clients_get_every_connection_unless_told_otherwise() {
        assert_eq!(
            NewClientConnections::Default.resolve(),
            vec!["sms", "email"]
        );
        assert!(NewClientConnections::None.resolve().is_empty());
        assert_eq!(
            NewClientConnections::These(vec!["sms".into()]).resolve(),
            vec!["sms"]
        );
    }
}
