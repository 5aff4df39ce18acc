//! Registering, listing, changing and removing applications.

use anyhow::Context;
use chrono::{DateTime, Utc};

use crate::crypto::{random_alphanumeric, random_token, sha256_hex};
use crate::domain::{
    ClientId, ClientName, ClientType, Connection, GrantType, Origin, PolicyProblem, RedirectUri,
};
use crate::oidc::api_token::ApiClient;
use crate::store::{
    self, ConnectionTrait, DatabaseConnection, StoreError, clients::Client, clients::NewClient,
};

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
    /// Every sign-in to the client proves a second factor; refused when
    /// the sign-in policy cannot serve it.
    pub require_mfa: bool,
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
    #[error(
        "the client id `{0}` is reserved: ids starting with `ferrid.` name ferrid's built-in clients"
    )]
    Reserved(ClientId),
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
    MfaUnservable(MfaUnservable),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Why the sign-in policy cannot serve a client that requires MFA: one
/// reason per first factor whose users would have no other second factor.
#[derive(Debug, thiserror::Error)]
#[error("the sign-in policy cannot serve a client that requires MFA: {}", reasons(.0))]
pub struct MfaUnservable(pub Vec<PolicyProblem>);

fn reasons(problems: &[PolicyProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether the policy in force can serve `client_id` requiring MFA.
async fn check_mfa_servable(
    db: &impl ConnectionTrait,
    client_id: &ClientId,
) -> anyhow::Result<Result<(), MfaUnservable>> {
    // Sign-up has no bearing on second factors: the seed's value is moot.
    // Held until the caller's transaction ends, so that the policy cannot
    // stop serving the client before the client is saved (a policy change
    // reads the clients that require MFA after locking the same row).
    let policy = crate::policy::load_held(db, true).await?;
    Ok(policy
        .validate_for(std::slice::from_ref(client_id))
        .or_else(|problems| {
            let about_client: Vec<_> = problems
                .into_iter()
                .filter(|p| matches!(p, PolicyProblem::ClientCannotBeServed { .. }))
                .collect();
            if about_client.is_empty() {
                Ok(())
            } else {
                Err(MfaUnservable(about_client))
            }
        }))
}

/// Registers an application.
pub async fn create_client(
    db: &DatabaseConnection,
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
        Some(id) if id.is_reserved() => return Err(CreateClientError::Reserved(id)),
        Some(id) => id,
        // 131 random bits, letters and digits only: unguessable without being
        // a secret, and never mistaken for a flag on a command line.
        None => ClientId::parse(&random_alphanumeric(22)).map_err(anyhow::Error::msg)?,
    };
    let txn = store::begin_write(db)
        .await
        .context("starting a transaction")?;
    if req.require_mfa
        && let Err(unservable) = check_mfa_servable(&txn, &client_id).await?
    {
        return Err(CreateClientError::MfaUnservable(unservable));
    }
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
        require_mfa: req.require_mfa,
    };
    match store::clients::insert(&txn, new).await {
        Ok(client) => {
            txn.commit().await.context("committing the client")?;
            store::clients::note_change();
            Ok(CreatedClient {
                client,
                client_secret,
            })
        }
        Err(StoreError::Conflict) => Err(CreateClientError::Taken(client_id)),
        Err(StoreError::Unexpected(e)) => Err(CreateClientError::Unexpected(e)),
    }
}

/// A change to a registered client; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct ClientUpdate {
    pub require_mfa: Option<bool>,
}

/// Why a client could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum UpdateClientError {
    #[error("no client with id `{0}`")]
    NotFound(ClientId),
    #[error("the client `{0}` is built into ferrid and cannot be changed")]
    Reserved(ClientId),
    #[error(transparent)]
    MfaUnservable(MfaUnservable),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Changes a registered client; the client as it is now.
pub async fn update_client(
    db: &DatabaseConnection,
    client_id: &ClientId,
    update: ClientUpdate,
    now: DateTime<Utc>,
) -> Result<Client, UpdateClientError> {
    if client_id.is_reserved() {
        return Err(UpdateClientError::Reserved(client_id.clone()));
    }
    let txn = store::begin_write(db)
        .await
        .context("starting a transaction")?;
    let Some(mut client) = store::clients::find_by_client_id(&txn, client_id)
        .await
        .map_err(anyhow::Error::from)?
    else {
        return Err(UpdateClientError::NotFound(client_id.clone()));
    };
    if let Some(require_mfa) = update.require_mfa {
        if require_mfa && let Err(unservable) = check_mfa_servable(&txn, client_id).await? {
            return Err(UpdateClientError::MfaUnservable(unservable));
        }
        client = store::clients::update_require_mfa(&txn, client_id, require_mfa, now)
            .await
            .map_err(anyhow::Error::from)?
            .ok_or_else(|| UpdateClientError::NotFound(client_id.clone()))?;
    }
    txn.commit().await.context("committing the client")?;
    store::clients::note_change();
    Ok(client)
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

/// Removes a client; whether it existed. ferrid's built-in clients are
/// refused.
pub async fn delete_client(
    db: &impl ConnectionTrait,
    client_id: &ClientId,
) -> anyhow::Result<bool> {
    anyhow::ensure!(
        !client_id.is_reserved(),
        "the client `{client_id}` is built into ferrid and cannot be deleted"
    );
    Ok(store::clients::delete_by_client_id(db, client_id).await?)
}

/// Records a change to a client made through the management API by `by`.
pub async fn audit_by(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    by: &ClientId,
    kind: &str,
    client_id: &ClientId,
) {
    crate::audit::record_by_client(
        db,
        now,
        by.as_str(),
        kind,
        None,
        Some(client_id.as_str().to_owned()),
        serde_json::json!({ "client": client_id.as_str() }),
    )
    .await;
}

/// [`create_client`] by a client of the management API, audited.
pub async fn create_client_by(
    db: &DatabaseConnection,
    by: &ClientId,
    req: CreateClient,
    now: DateTime<Utc>,
) -> Result<CreatedClient, CreateClientError> {
    let created = create_client(db, req).await?;
    audit_by(
        db,
        now,
        by,
        "admin.client.created",
        &created.client.client_id,
    )
    .await;
    Ok(created)
}

/// [`update_client`] by a client of the management API, audited.
pub async fn update_client_by(
    db: &DatabaseConnection,
    by: &ClientId,
    client_id: &ClientId,
    update: ClientUpdate,
    now: DateTime<Utc>,
) -> Result<Client, UpdateClientError> {
    let client = update_client(db, client_id, update, now).await?;
    audit_by(db, now, by, "admin.client.updated", client_id).await;
    Ok(client)
}

/// [`delete_client`] by a client of the management API, audited; whether
/// it existed.
pub async fn delete_client_by(
    db: &DatabaseConnection,
    by: &ClientId,
    client_id: &ClientId,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let deleted = delete_client(db, client_id).await?;
    if deleted {
        audit_by(db, now, by, "admin.client.deleted", client_id).await;
    }
    Ok(deleted)
}

/// Why a client's settings were not changed.
#[derive(Debug, thiserror::Error)]
pub enum EditClientError {
    #[error("no client with id `{0}`")]
    NotFound(ClientId),
    #[error("the client `{0}` is built into ferrid and cannot be changed")]
    Reserved(ClientId),
    #[error("the authorization_code grant needs at least one redirect URI")]
    NoRedirectUri,
    #[error(
        "the refresh_token grant needs a grant that issues tokens to a user (authorization_code)"
    )]
    RefreshWithoutCode,
    #[error("a public client cannot use the client_credentials grant (it has no secret)")]
    PublicClientCredentials,
    #[error(transparent)]
    MfaUnservable(MfaUnservable),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Replaces a registered client's settings (the dashboard's edit form),
/// checked as a new client's are; the client as it is now.
pub async fn edit_client(
    db: &DatabaseConnection,
    client_id: &ClientId,
    mut settings: store::clients::ClientSettings,
    now: DateTime<Utc>,
) -> Result<Client, EditClientError> {
    if client_id.is_reserved() {
        return Err(EditClientError::Reserved(client_id.clone()));
    }
    settings.grant_types.sort();
    settings.grant_types.dedup();
    settings.connections.sort();
    settings.connections.dedup();
    let has_code = settings.grant_types.contains(&GrantType::AuthorizationCode);
    if has_code && settings.redirect_uris.is_empty() {
        return Err(EditClientError::NoRedirectUri);
    }
    if settings.grant_types.contains(&GrantType::RefreshToken) && !has_code {
        return Err(EditClientError::RefreshWithoutCode);
    }
    let txn = store::begin_write(db)
        .await
        .context("starting a transaction")?;
    let Some(existing) = store::clients::find_by_client_id(&txn, client_id)
        .await
        .map_err(anyhow::Error::from)?
    else {
        return Err(EditClientError::NotFound(client_id.clone()));
    };
    if existing.client_type == ClientType::Public
        && settings.grant_types.contains(&GrantType::ClientCredentials)
    {
        return Err(EditClientError::PublicClientCredentials);
    }
    if settings.require_mfa
        && let Err(unservable) = check_mfa_servable(&txn, client_id).await?
    {
        return Err(EditClientError::MfaUnservable(unservable));
    }
    let client = store::clients::update_settings(&txn, client_id, &settings, now)
        .await
        .map_err(anyhow::Error::from)?
        .ok_or_else(|| EditClientError::NotFound(client_id.clone()))?;
    txn.commit().await.context("committing the client")?;
    store::clients::note_change();
    Ok(client)
}

/// What became of rotating a client's secret.
#[derive(Debug)]
pub enum RotateSecretOutcome {
    /// The new secret, shown once; the old one no longer works.
    Rotated(String),
    /// A public client has no secret.
    Public,
    /// The client may get a scope of the management API that the caller
    /// does not hold: its secret would hand the caller that scope.
    Forbidden(String),
    NotFound,
}

/// Gives a confidential client a new secret, replacing the old one at once.
/// `by` is the management API's caller: it may rotate only a client whose
/// API scopes it holds itself, and its rotation is audited here. The
/// dashboard (`None`) audits its own with the admin's id.
pub async fn rotate_secret(
    db: &impl ConnectionTrait,
    by: Option<&ApiClient>,
    client_id: &ClientId,
    now: DateTime<Utc>,
) -> anyhow::Result<RotateSecretOutcome> {
    if client_id.is_reserved() {
        return Ok(RotateSecretOutcome::NotFound);
    }
    let Some(client) = store::clients::find_by_client_id(db, client_id).await? else {
        return Ok(RotateSecretOutcome::NotFound);
    };
    if client.client_type == ClientType::Public {
        return Ok(RotateSecretOutcome::Public);
    }
    if let Some(scope) = by.and_then(|by| by.cannot_grant(&client.allowed_scopes)) {
        return Ok(RotateSecretOutcome::Forbidden(scope.to_owned()));
    }
    let secret = random_token();
    if !store::clients::update_secret_hash(db, client_id, &sha256_hex(&secret), now).await? {
        return Ok(RotateSecretOutcome::NotFound);
    }
    if let Some(by) = by {
        audit_by(
            db,
            now,
            &by.client_id,
            "admin.client.secret_rotated",
            client_id,
        )
        .await;
    }
    Ok(RotateSecretOutcome::Rotated(secret))
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
